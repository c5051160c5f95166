#include "core/config_sections.h"

#include <algorithm>
#include <charconv>

#include "core/yaml_fields.h"

namespace sendguard {
namespace {

using namespace yaml_fields;

const std::vector<std::string> kActions = {"accept", "tag", "hold", "reject", "drop-recipient"};
const std::vector<std::string> kVerdicts = {"known", "new", "lookalike", "invalid"};

// Reads a list field into `out`, or returns the error from the caller's function.
#define SENDGUARD_READ_LIST(node, key, out)                \
  do {                                                     \
    auto list_ = string_list(source, (node), (key), true); \
    if (!list_) return std::unexpected(list_.error());     \
    (out) = std::move(*list_);                             \
  } while (false)

Result<void> parse_when(const std::string& source, const YAML::Node& when, const std::string& key,
                        RuleConfig& rule) {
  auto present = optional_map(source, when, key);
  if (!present) return std::unexpected(present.error());
  if (!*present) return {};
  if (auto ok = check_keys(source, when, key + ".",
                           {"recipient", "recipient_scope", "recipient_domain", "finding",
                            "cleared", "sender", "sender_group", "authenticated", "attachment"});
      !ok) {
    return ok;
  }
  SENDGUARD_READ_LIST(when["recipient"], key + ".recipient", rule.recipient);
  for (const std::string& verdict : rule.recipient) {
    if (std::find(kVerdicts.begin(), kVerdicts.end(), verdict) == kVerdicts.end()) {
      return std::unexpected(
          config_error(source, when["recipient"], key + ".recipient",
                       "\"" + verdict + "\" is not a verdict (known, new, lookalike, invalid)"));
    }
  }
  if (auto ok = read_choice(source, when["recipient_scope"], key + ".recipient_scope",
                            {"internal", "external"}, rule.recipient_scope);
      !ok) {
    return ok;
  }
  SENDGUARD_READ_LIST(when["recipient_domain"], key + ".recipient_domain", rule.recipient_domains);
  if (YAML::Node finding = when["finding"]; finding.IsDefined()) {
    const std::string fkey = key + ".finding";
    auto is_map = optional_map(source, finding, fkey);
    if (!is_map) return std::unexpected(is_map.error());
    if (*is_map) {
      if (auto ok = check_keys(source, finding, fkey + ".",
                               {"detector", "min_confidence", "min_count", "min_level"});
          !ok) {
        return ok;
      }
      SENDGUARD_READ_LIST(finding["detector"], fkey + ".detector", rule.detectors);
      if (rule.detectors.empty()) {
        return std::unexpected(config_error(source, finding, fkey + ".detector",
                                            "name at least one detector (\"*\" for any)"));
      }
      if (auto ok = read_choice(source, finding["min_confidence"], fkey + ".min_confidence",
                                {"low", "medium", "high"}, rule.min_confidence);
          !ok) {
        return ok;
      }
      if (auto ok = read_number<int>(source, finding["min_count"], fkey + ".min_count", 1,
                                     1'000'000, rule.min_count);
          !ok) {
        return ok;
      }
      if (auto ok = read_string(source, finding["min_level"], fkey + ".min_level", rule.min_level);
          !ok)
        return ok;
    }
  }
  bool flag = false;
  if (when["cleared"].IsDefined()) {
    if (auto ok = read_bool(source, when["cleared"], key + ".cleared", flag); !ok) return ok;
    rule.cleared = flag;
  }
  SENDGUARD_READ_LIST(when["sender"], key + ".sender", rule.senders);
  SENDGUARD_READ_LIST(when["sender_group"], key + ".sender_group", rule.sender_groups);
  if (when["authenticated"].IsDefined()) {
    if (auto ok = read_bool(source, when["authenticated"], key + ".authenticated", flag); !ok)
      return ok;
    rule.authenticated = flag;
  }
  if (YAML::Node attachment = when["attachment"]; attachment.IsDefined()) {
    const std::string akey = key + ".attachment";
    auto is_map = optional_map(source, attachment, akey);
    if (!is_map) return std::unexpected(is_map.error());
    if (*is_map) {
      if (auto ok = check_keys(source, attachment, akey + ".", {"type", "name"}); !ok) return ok;
      SENDGUARD_READ_LIST(attachment["type"], akey + ".type", rule.attachment_types);
      SENDGUARD_READ_LIST(attachment["name"], akey + ".name", rule.attachment_names);
      if (rule.attachment_types.empty() && rule.attachment_names.empty()) {
        return std::unexpected(
            config_error(source, attachment, akey, "give a type or a name pattern"));
      }
    }
  }
  return {};
}

Result<void> parse_rule(const std::string& source, const YAML::Node& node, std::size_t index,
                        RuleConfig& rule) {
  const std::string key = "policy.rules[" + std::to_string(index) + "]";
  if (!node.IsMap())
    return std::unexpected(config_error(source, node, key, "expected a mapping per rule"));
  if (auto ok = check_keys(source, node, key + ".",
                           {"id", "description", "when", "action", "overridable", "reply"});
      !ok) {
    return ok;
  }
  rule.line = line_of(node);
  if (auto ok = read_string(source, node["id"], key + ".id", rule.id); !ok) return ok;
  if (rule.id.empty())
    return std::unexpected(config_error(source, node, key + ".id", "each rule needs an id"));
  if (auto ok = read_string(source, node["description"], key + ".description", rule.description);
      !ok)
    return ok;
  if (auto ok = parse_when(source, node["when"], key + ".when", rule); !ok) return ok;
  if (!node["action"].IsDefined()) {
    return std::unexpected(config_error(source, node, key + ".action",
                                        "missing (accept, tag, hold, reject or drop-recipient)"));
  }
  if (auto ok = read_choice(source, node["action"], key + ".action", kActions, rule.action); !ok)
    return ok;
  if (auto ok = read_bool(source, node["overridable"], key + ".overridable", rule.overridable); !ok)
    return ok;
  if (auto ok = read_string(source, node["reply"], key + ".reply", rule.reply); !ok) return ok;
  return {};
}

}  // namespace

Result<void> parse_policy_section(const std::string& source, const YAML::Node& node,
                                  const std::string& base_dir, PolicyConfig& out) {
  auto present = optional_map(source, node, "policy");
  if (!present) return std::unexpected(present.error());
  if (!*present) return {};
  if (auto ok = check_keys(source, node, "policy.",
                           {"mode", "internal_domains", "sender_groups_file", "clearance",
                            "override", "subject_prefix", "rules"});
      !ok) {
    return ok;
  }
  if (auto ok = read_choice(source, node["mode"], "policy.mode", {"enforce", "monitor"}, out.mode);
      !ok)
    return ok;
  SENDGUARD_READ_LIST(node["internal_domains"], "policy.internal_domains", out.internal_domains);
  if (auto ok = read_string(source, node["sender_groups_file"], "policy.sender_groups_file",
                            out.sender_groups_file);
      !ok) {
    return ok;
  }
  out.sender_groups_file = resolve_path(base_dir, out.sender_groups_file);
  if (auto ok =
          read_string(source, node["subject_prefix"], "policy.subject_prefix", out.subject_prefix);
      !ok) {
    return ok;
  }
  if (YAML::Node clearance = node["clearance"]; clearance.IsDefined() && !clearance.IsNull()) {
    if (!clearance.IsMap()) {
      return std::unexpected(
          config_error(source, clearance, "policy.clearance",
                       "expected a mapping from marking level to a list of domains"));
    }
    for (const auto& entry : clearance) {
      ClearanceConfig level;
      level.level = entry.first.as<std::string>();
      level.line = line_of(entry.first);
      SENDGUARD_READ_LIST(entry.second, "policy.clearance." + level.level, level.domains);
      out.clearance.push_back(std::move(level));
    }
  }
  auto has_override = optional_map(source, node["override"], "policy.override");
  if (!has_override) return std::unexpected(has_override.error());
  if (*has_override) {
    YAML::Node o = node["override"];
    if (auto ok = check_keys(source, o, "policy.override.",
                             {"header", "subject_keyword", "min_justification_chars"});
        !ok) {
      return ok;
    }
    if (auto ok =
            read_string(source, o["header"], "policy.override.header", out.override_with.header);
        !ok)
      return ok;
    if (auto ok = read_string(source, o["subject_keyword"], "policy.override.subject_keyword",
                              out.override_with.subject_keyword);
        !ok) {
      return ok;
    }
    if (auto ok = read_number<int>(source, o["min_justification_chars"],
                                   "policy.override.min_justification_chars", 1, 1000,
                                   out.override_with.min_justification_chars);
        !ok) {
      return ok;
    }
  }
  if (YAML::Node rules = node["rules"]; rules.IsDefined()) {
    if (rules.IsNull()) {
      out.rules.clear();
      out.rules_given = true;
      return {};
    }
    if (!rules.IsSequence())
      return std::unexpected(config_error(source, rules, "policy.rules", "expected a list"));
    out.rules.clear();
    out.rules_given = true;
    std::size_t index = 0;
    for (const auto& r : rules) {
      RuleConfig rule;
      if (auto ok = parse_rule(source, r, index++, rule); !ok) return ok;
      for (const RuleConfig& earlier : out.rules) {
        if (earlier.id == rule.id) {
          return std::unexpected(config_error(source, r["id"], "policy.rules",
                                              "rule id \"" + rule.id + "\" is used twice"));
        }
      }
      out.rules.push_back(std::move(rule));
    }
  }
  return {};
}

namespace {

// gateway.socket_mode: permission bits written in octal, as chmod takes them ("0660", "660").
Result<void> read_socket_mode(const std::string& source, const YAML::Node& node, int& out) {
  if (!node.IsDefined()) return {};
  std::string text;
  if (auto ok = read_string(source, node, "gateway.socket_mode", text); !ok) return ok;
  int mode = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (error != std::errc() || end != text.data() + text.size() || mode < 0 || mode > 0777) {
    return std::unexpected(
        config_error(source, node, "gateway.socket_mode",
                     "expected permission bits in octal such as \"0660\", got \"" + text + "\""));
  }
  out = mode;
  return {};
}

}  // namespace

Result<void> parse_gateway_section(const std::string& source, const YAML::Node& node,
                                   const std::string& base_dir, GatewayConfig& out) {
  auto present = optional_map(source, node, "gateway");
  if (!present) return std::unexpected(present.error());
  if (!*present) return {};
  if (auto ok =
          check_keys(source, node, "gateway.",
                     {"listen", "socket_mode", "state_dir", "on_failure", "rcpt_time_limit_ms",
                      "message_time_limit_ms", "mta_timeout_s", "postfix_config_dir", "postsuper",
                      "stale_release_s", "sender_notice_command", "sender_notice_from"});
      !ok) {
    return ok;
  }
  for (auto ok :
       {read_string(source, node["listen"], "gateway.listen", out.listen),
        read_string(source, node["state_dir"], "gateway.state_dir", out.state_dir),
        read_choice(source, node["on_failure"], "gateway.on_failure", {"tempfail", "accept"},
                    out.on_failure),
        read_number<int>(source, node["rcpt_time_limit_ms"], "gateway.rcpt_time_limit_ms", 10,
                         600'000, out.rcpt_time_limit_ms),
        read_number<int>(source, node["message_time_limit_ms"], "gateway.message_time_limit_ms",
                         100, 3'600'000, out.message_time_limit_ms),
        read_number<int>(source, node["mta_timeout_s"], "gateway.mta_timeout_s", 1, 3600,
                         out.mta_timeout_s),
        read_string(source, node["postfix_config_dir"], "gateway.postfix_config_dir",
                    out.postfix_config_dir),
        read_string(source, node["postsuper"], "gateway.postsuper", out.postsuper),
        read_number<int>(source, node["stale_release_s"], "gateway.stale_release_s", 10, 604'800,
                         out.stale_release_s),
        read_string(source, node["sender_notice_from"], "gateway.sender_notice_from",
                    out.sender_notice_from)}) {
    if (!ok) return ok;
  }
  if (node["sender_notice_command"]) {
    auto command =
        string_list(source, node["sender_notice_command"], "gateway.sender_notice_command");
    if (!command) return std::unexpected(command.error());
    if (!command->empty() && !command->front().starts_with("/")) {
      return std::unexpected(
          config_error(source, node["sender_notice_command"], "gateway.sender_notice_command",
                       "the program must be an absolute path (no shell runs it), got \"" +
                           command->front() + "\""));
    }
    out.sender_notice_command = std::move(*command);
  }
  if (!out.listen.starts_with("inet:") && !out.listen.starts_with("inet6:") &&
      !out.listen.starts_with("unix:") && !out.listen.starts_with("local:")) {
    return std::unexpected(
        config_error(source, node["listen"], "gateway.listen",
                     "expected inet:PORT@HOST or unix:PATH, got \"" + out.listen + "\""));
  }
  if (auto ok = read_socket_mode(source, node["socket_mode"], out.socket_mode); !ok) return ok;
  out.state_dir = resolve_path(base_dir, out.state_dir);
  return {};
}

Result<void> parse_store_section(const std::string& source, const YAML::Node& node,
                                 StoreConfig& out) {
  auto present = optional_map(source, node, "store");
  if (!present) return std::unexpected(present.error());
  if (!*present) return {};
  if (auto ok = check_keys(source, node, "store.", {"backend", "postgresql_dsn"}); !ok) return ok;
  if (auto ok = read_choice(source, node["backend"], "store.backend", {"sqlite", "postgresql"},
                            out.backend);
      !ok) {
    return ok;
  }
  if (auto ok =
          read_string(source, node["postgresql_dsn"], "store.postgresql_dsn", out.postgresql_dsn);
      !ok) {
    return ok;
  }
  if (out.backend == "postgresql" && out.postgresql_dsn.empty()) {
    return std::unexpected(config_error(source, node, "store.postgresql_dsn",
                                        "required when store.backend is postgresql"));
  }
  return {};
}

Result<void> parse_history_section(const std::string& source, const YAML::Node& node,
                                   const std::string& base_dir, HistoryConfig& out) {
  auto present = optional_map(source, node, "history");
  if (!present) return std::unexpected(present.error());
  if (!*present) return {};
  if (auto ok = check_keys(source, node, "history.",
                           {"record", "known_after_days", "typo_ratio", "signals_after_messages",
                            "max_together", "hash_key_file"});
      !ok) {
    return ok;
  }
  for (auto ok :
       {read_bool(source, node["record"], "history.record", out.record),
        read_number<int>(source, node["known_after_days"], "history.known_after_days", 1, 3650,
                         out.known_after_days),
        read_number<int>(source, node["typo_ratio"], "history.typo_ratio", 2, 1'000'000,
                         out.typo_ratio),
        read_number<int>(source, node["signals_after_messages"], "history.signals_after_messages",
                         0, 1'000'000'000, out.signals_after_messages),
        read_number<int>(source, node["max_together"], "history.max_together", 2, 100,
                         out.max_together),
        read_string(source, node["hash_key_file"], "history.hash_key_file", out.hash_key_file)}) {
    if (!ok) return ok;
  }
  if (!out.hash_key_file.empty()) out.hash_key_file = resolve_path(base_dir, out.hash_key_file);
  return {};
}

#undef SENDGUARD_READ_LIST

}  // namespace sendguard
