#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "address/address.h"
#include "core/config_sections.h"
#include "core/embedded.h"
#include "core/yaml_fields.h"

namespace sendguard {
namespace {

namespace fs = std::filesystem;
using namespace yaml_fields;

Result<void> parse_content(const std::string& source, const YAML::Node& content,
                           ContentConfig& out) {
  if (!content.IsDefined() || content.IsNull()) return {};
  if (!content.IsMap())
    return std::unexpected(config_error(source, content, "content", "expected a mapping"));
  if (auto ok = check_keys(source, content, "content.", {"custom_detectors", "limits"}); !ok)
    return ok;
  if (YAML::Node limits = content["limits"]; limits.IsDefined() && !limits.IsNull()) {
    if (!limits.IsMap())
      return std::unexpected(config_error(source, limits, "content.limits", "expected a mapping"));
    if (auto ok = check_keys(
            source, limits, "content.limits.",
            {"max_message_bytes", "max_depth", "max_parts", "max_decoded_bytes", "time_budget_ms"});
        !ok) {
      return ok;
    }
    MessageLimitsConfig& l = out.limits;
    for (auto ok :
         {read_number<std::size_t>(source, limits["max_message_bytes"],
                                   "content.limits.max_message_bytes", 1024, std::size_t{1} << 32,
                                   l.max_message_bytes),
          read_number<int>(source, limits["max_depth"], "content.limits.max_depth", 1, 100,
                           l.max_depth),
          read_number<int>(source, limits["max_parts"], "content.limits.max_parts", 1, 100000,
                           l.max_parts),
          read_number<std::size_t>(source, limits["max_decoded_bytes"],
                                   "content.limits.max_decoded_bytes", 1024, std::size_t{1} << 34,
                                   l.max_decoded_bytes),
          read_number<int>(source, limits["time_budget_ms"], "content.limits.time_budget_ms", 10,
                           600'000, l.time_budget_ms)}) {
      if (!ok) return ok;
    }
  }
  YAML::Node detectors = content["custom_detectors"];
  if (!detectors.IsDefined() || detectors.IsNull()) return {};
  if (!detectors.IsSequence()) {
    return std::unexpected(
        config_error(source, detectors, "content.custom_detectors", "expected a list"));
  }
  for (const auto& d : detectors) {
    const std::string key = "content.custom_detectors";
    if (!d.IsMap())
      return std::unexpected(config_error(source, d, key, "expected a mapping per detector"));
    if (auto ok = check_keys(source, d, key + ".", {"id", "keywords", "patterns", "weight"}); !ok)
      return ok;
    CustomDetectorConfig detector;
    YAML::Node id = d["id"];
    if (!id.IsDefined() || !id.IsScalar() || id.as<std::string>().rfind("org.", 0) != 0 ||
        id.as<std::string>().size() < 5) {
      return std::unexpected(config_error(source, id.IsDefined() ? id : YAML::Node(d), key + ".id",
                                          "each detector needs an id starting with \"org.\""));
    }
    detector.id = id.as<std::string>();
    auto keywords = string_list(source, d["keywords"], key + ".keywords");
    if (!keywords) return std::unexpected(keywords.error());
    auto patterns = string_list(source, d["patterns"], key + ".patterns");
    if (!patterns) return std::unexpected(patterns.error());
    if (keywords->empty() && patterns->empty()) {
      return std::unexpected(
          config_error(source, d, key, detector.id + " has neither keywords nor patterns"));
    }
    detector.keywords = std::move(*keywords);
    detector.patterns = std::move(*patterns);
    if (YAML::Node weight = d["weight"]; weight.IsDefined()) {
      double w;
      if (!weight.IsScalar() || !YAML::convert<double>::decode(weight, w) || !(w > 0) || w > 10) {
        return std::unexpected(
            config_error(source, weight, key + ".weight", "expected a number above 0"));
      }
      detector.weight = w;
    }
    out.custom_detectors.push_back(std::move(detector));
  }
  return {};
}

Result<Config> parse_config(const std::string& text, const std::string& source,
                            const std::string& base_dir) {
  Config config;
  config.source = source;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return make_error(ErrorCode::kConfig, source + ":" + std::to_string(e.mark.line + 1) +
                                              ": not valid YAML: " + e.msg);
  }
  try {
    if (!root.IsMap())
      return make_error(ErrorCode::kConfig, source + ": expected a mapping with version: 1");
    if (auto ok = check_keys(source, root, "",
                             {"version", "public_suffix_list", "recipients", "content", "policy",
                              "gateway", "store", "history"});
        !ok) {
      return std::unexpected(ok.error());
    }
    YAML::Node version = root["version"];
    if (!version.IsDefined())
      return make_error(ErrorCode::kConfig, source + ": version: missing (write version: 1)");
    if (!version.IsScalar() || version.as<std::string>() != "1") {
      return std::unexpected(
          config_error(source, version, "version", "only version 1 is understood"));
    }
    if (YAML::Node psl = root["public_suffix_list"]; psl.IsDefined()) {
      if (!psl.IsScalar())
        return std::unexpected(
            config_error(source, psl, "public_suffix_list", "expected a file path"));
      config.public_suffix_list = resolve_path(base_dir, psl.as<std::string>());
    }
    YAML::Node recipients = root["recipients"];
    if (recipients.IsDefined() && !recipients.IsNull()) {
      if (!recipients.IsMap())
        return std::unexpected(
            config_error(source, recipients, "recipients", "expected a mapping"));
      if (auto ok = check_keys(source, recipients, "recipients.",
                               {"known_domains", "known_domains_files", "trusted_suffixes",
                                "sister_groups", "mail_providers_file"});
          !ok) {
        return std::unexpected(ok.error());
      }
      RecipientConfig& r = config.recipients;
      auto known = string_list(source, recipients["known_domains"], "recipients.known_domains");
      if (!known) return std::unexpected(known.error());
      r.known_domains = std::move(*known);
      auto files =
          string_list(source, recipients["known_domains_files"], "recipients.known_domains_files");
      if (!files) return std::unexpected(files.error());
      for (const std::string& f : *files)
        r.known_domains_files.push_back(resolve_path(base_dir, f));
      auto trusted =
          string_list(source, recipients["trusted_suffixes"], "recipients.trusted_suffixes");
      if (!trusted) return std::unexpected(trusted.error());
      r.trusted_suffixes = std::move(*trusted);
      YAML::Node groups = recipients["sister_groups"];
      if (groups.IsDefined() && !groups.IsNull()) {
        if (!groups.IsSequence()) {
          return std::unexpected(
              config_error(source, groups, "recipients.sister_groups", "expected a list of lists"));
        }
        for (const auto& group : groups) {
          auto members = string_list(source, group, "recipients.sister_groups");
          if (!members) return std::unexpected(members.error());
          if (members->size() < 2) {
            return std::unexpected(config_error(source, group, "recipients.sister_groups",
                                                "a group needs at least two domains"));
          }
          r.sister_groups.push_back(std::move(*members));
        }
      }
      if (YAML::Node providers = recipients["mail_providers_file"]; providers.IsDefined()) {
        if (!providers.IsScalar()) {
          return std::unexpected(config_error(source, providers, "recipients.mail_providers_file",
                                              "expected a file path"));
        }
        r.mail_providers_file = resolve_path(base_dir, providers.as<std::string>());
      }
    }
    for (auto ok : {parse_content(source, root["content"], config.content),
                    parse_policy_section(source, root["policy"], base_dir, config.policy),
                    parse_gateway_section(source, root["gateway"], base_dir, config.gateway),
                    parse_store_section(source, root["store"], config.store),
                    parse_history_section(source, root["history"], base_dir, config.history)}) {
      if (!ok) return std::unexpected(ok.error());
    }
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kConfig,
                      source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return config;
}

std::vector<std::string> parse_domain_lines(std::istream& in) {
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    std::size_t e = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kConfig, path + ": cannot read the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  std::string dir = fs::path(path).parent_path().string();
  Result<Config> config = parse_config(text.str(), path, dir.empty() ? "." : dir);
  if (config && !config->policy.rules_given) {
    Result<Config> shipped = default_config();
    if (!shipped) return std::unexpected(shipped.error());
    config->policy.rules = shipped->policy.rules;
  }
  return config;
}

Result<Config> default_config() {
  return parse_config(std::string(embedded::default_config()), "<embedded default>", "");
}

Result<std::vector<std::string>> read_domain_list(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, path + ": cannot read the domain list");
  std::vector<std::string> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.size() > 4096) {
      return make_error(ErrorCode::kConfig,
                        path + ":" + std::to_string(number) + ": line too long");
    }
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    std::size_t e = line.find_last_not_of(" \t\r");
    std::string entry = line.substr(b, e - b + 1);
    if (entry.find_first_of(" \t") != std::string::npos) {
      return make_error(ErrorCode::kConfig, path + ":" + std::to_string(number) +
                                                ": one domain a line expected, got \"" + entry +
                                                "\"");
    }
    if (auto domain = normalize_domain(entry); !domain) {
      return make_error(ErrorCode::kConfig,
                        path + ":" + std::to_string(number) + ": \"" + entry +
                            "\" is not a valid domain: " + domain.error().message);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::string> embedded_mail_providers() {
  std::istringstream in{std::string(embedded::mail_providers())};
  return parse_domain_lines(in);
}

}  // namespace sendguard
