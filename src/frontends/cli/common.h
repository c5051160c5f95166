// What every sendguard command shares: --config, --known-domains and --state-dir, loading
// them, and how times are written and read.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/utc_time.h"
#include "store/store.h"

namespace sendguard::cli {

struct CommonOptions {
  std::string config_file;                 // --config; empty: the embedded default
  std::vector<std::string> known_domains;  // --known-domains, added to the configured ones
  std::string state_dir;                   // --state-dir; empty: gateway.state_dir
};

void add_common_options(CLI::App& command, CommonOptions& options);

// The configuration the options name; on error, prints it and returns nullopt (exit status 2).
std::optional<Config> load_config_or_report(const CommonOptions& options);

// The configuration and the store that --config and --state-dir name; on error, prints it and
// returns nullopt (exit status 2).
struct ConfigAndStore {
  Config config;
  std::unique_ptr<Store> store;
};
std::optional<ConfigAndStore> open_store_or_report(const CommonOptions& common);


}  // namespace sendguard::cli
