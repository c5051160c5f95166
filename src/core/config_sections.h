// Parsers of the gateway's sections of the configuration file: policy, gateway, store and history
// (core internal; config.cc calls them). Structure and types are checked here; the policy module
// checks the meaning of values (levels, patterns) when it compiles the rules.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/config.h"

namespace sendguard {

Result<void> parse_policy_section(const std::string& source, const YAML::Node& node,
                                  const std::string& base_dir, PolicyConfig& out);
Result<void> parse_gateway_section(const std::string& source, const YAML::Node& node,
                                   const std::string& base_dir, GatewayConfig& out);
Result<void> parse_store_section(const std::string& source, const YAML::Node& node,
                                 StoreConfig& out);
Result<void> parse_history_section(const std::string& source, const YAML::Node& node,
                                   const std::string& base_dir, HistoryConfig& out);

}  // namespace sendguard
