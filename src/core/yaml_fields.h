// Reading typed fields out of the configuration's YAML tree with errors that name the file, the
// line and the key (core internal; shared by the parsers of the configuration's sections).
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace sendguard::yaml_fields {

// The line (1-based) of a node, or 0 when it has none (an absent key).
int line_of(const YAML::Node& node);

// "file:line: key: problem", the form editors and people both understand.
Error config_error(const std::string& source, const YAML::Node& node, const std::string& key,
                   const std::string& problem);

// Fails on any key of `map` not in `allowed`; `prefix` is the dotted path, e.g. "content.".
Result<void> check_keys(const std::string& source, const YAML::Node& map, const std::string& prefix,
                        const std::set<std::string>& allowed);

// A mapping, or absent/null (then `present` is false). Anything else is an error.
Result<bool> optional_map(const std::string& source, const YAML::Node& node,
                          const std::string& key);

// A list of strings; absent or null gives an empty list. A single string is accepted as a
// one-element list when `allow_scalar` is true.
Result<std::vector<std::string>> string_list(const std::string& source, const YAML::Node& node,
                                             const std::string& key, bool allow_scalar = false);

// A string; absent leaves `out` unchanged.
Result<void> read_string(const std::string& source, const YAML::Node& node, const std::string& key,
                         std::string& out);

// One of `choices`; absent leaves `out` unchanged.
Result<void> read_choice(const std::string& source, const YAML::Node& node, const std::string& key,
                         const std::vector<std::string>& choices, std::string& out);

// true or false; absent leaves `out` unchanged.
Result<void> read_bool(const std::string& source, const YAML::Node& node, const std::string& key,
                       bool& out);

// A whole number within [low, high]; absent leaves `out` unchanged.
Result<void> read_integer(const std::string& source, const YAML::Node& node, const std::string& key,
                          long long low, long long high, long long& out);

template <typename Number>
Result<void> read_number(const std::string& source, const YAML::Node& node, const std::string& key,
                         Number low, Number high, Number& out) {
  long long value = static_cast<long long>(out);
  if (auto ok = read_integer(source, node, key, static_cast<long long>(low),
                             static_cast<long long>(high), value);
      !ok) {
    return ok;
  }
  out = static_cast<Number>(value);
  return {};
}

// A path taken relative to the configuration file's directory unless absolute.
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace sendguard::yaml_fields
