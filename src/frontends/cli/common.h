// What every sendguard command shares: --config and --known-domains, and loading them.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "core/config.h"

namespace sendguard::cli {

struct CommonOptions {
  std::string config_file;                 // --config; empty: the embedded default
  std::vector<std::string> known_domains;  // --known-domains, added to the configured ones
  std::string state_dir;                   // --state-dir; empty: gateway.state_dir
};

void add_common_options(CLI::App& command, CommonOptions& options);

// The configuration the options name; on error, prints it and returns nullopt (exit status 2).
std::optional<Config> load_config_or_report(const CommonOptions& options);

}  // namespace sendguard::cli
