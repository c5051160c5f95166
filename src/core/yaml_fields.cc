#include "core/yaml_fields.h"

#include <filesystem>

namespace sendguard::yaml_fields {

int line_of(const YAML::Node& node) {
  if (!node.IsDefined() || node.Mark().line < 0) return 0;
  return node.Mark().line + 1;
}

Error config_error(const std::string& source, const YAML::Node& node, const std::string& key,
                   const std::string& problem) {
  std::string where = source;
  if (int line = line_of(node); line > 0) where.append(":").append(std::to_string(line));
  return Error{ErrorCode::kConfig, where + ": " + key + ": " + problem};
}

Result<void> check_keys(const std::string& source, const YAML::Node& map, const std::string& prefix,
                        const std::set<std::string>& allowed) {
  for (const auto& entry : map) {
    std::string key = entry.first.as<std::string>();
    if (!allowed.contains(key)) {
      std::string list;
      for (const std::string& k : allowed) list += (list.empty() ? "" : ", ") + k;
      return std::unexpected(config_error(source, entry.first, prefix + key,
                                          "unknown key (expected one of: " + list + ")"));
    }
  }
  return {};
}

Result<bool> optional_map(const std::string& source, const YAML::Node& node,
                          const std::string& key) {
  if (!node.IsDefined() || node.IsNull()) return false;
  if (!node.IsMap()) return std::unexpected(config_error(source, node, key, "expected a mapping"));
  return true;
}

Result<std::vector<std::string>> string_list(const std::string& source, const YAML::Node& node,
                                             const std::string& key, bool allow_scalar) {
  std::vector<std::string> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (allow_scalar && node.IsScalar()) {
    out.push_back(node.as<std::string>());
    return out;
  }
  if (!node.IsSequence())
    return std::unexpected(config_error(source, node, key, "expected a list"));
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      return std::unexpected(config_error(source, item, key, "expected a list of strings"));
    }
    out.push_back(item.as<std::string>());
  }
  return out;
}

Result<void> read_string(const std::string& source, const YAML::Node& node, const std::string& key,
                         std::string& out) {
  if (!node.IsDefined()) return {};
  if (!node.IsScalar())
    return std::unexpected(config_error(source, node, key, "expected a string"));
  out = node.as<std::string>();
  return {};
}

Result<void> read_choice(const std::string& source, const YAML::Node& node, const std::string& key,
                         const std::vector<std::string>& choices, std::string& out) {
  if (!node.IsDefined()) return {};
  std::string value;
  if (node.IsScalar()) value = node.as<std::string>();
  for (const std::string& choice : choices) {
    if (node.IsScalar() && value == choice) {
      out = value;
      return {};
    }
  }
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : " | ") + c;
  return std::unexpected(config_error(source, node, key, "expected one of " + list));
}

Result<void> read_bool(const std::string& source, const YAML::Node& node, const std::string& key,
                       bool& out) {
  if (!node.IsDefined()) return {};
  bool value;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return std::unexpected(config_error(source, node, key, "expected true or false"));
  }
  out = value;
  return {};
}

Result<void> read_integer(const std::string& source, const YAML::Node& node, const std::string& key,
                          long long low, long long high, long long& out) {
  if (!node.IsDefined()) return {};
  long long value;
  if (!node.IsScalar() || !YAML::convert<long long>::decode(node, value) || value < low ||
      value > high) {
    return std::unexpected(config_error(
        source, node, key,
        "expected a whole number from " + std::to_string(low) + " to " + std::to_string(high)));
  }
  out = value;
  return {};
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || base_dir.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

}  // namespace sendguard::yaml_fields
