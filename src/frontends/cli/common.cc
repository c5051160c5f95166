#include "frontends/cli/common.h"

#include <iostream>

#include "gateway/gateway.h"

namespace sendguard::cli {

void add_common_options(CLI::App& command, CommonOptions& options) {
  command.add_option("--config", options.config_file, "Configuration file (default: embedded)")
      ->check(CLI::ExistingFile);
  command
      .add_option("--known-domains", options.known_domains,
                  "File of known domains, one a line (added to the configured ones); repeatable")
      ->allow_extra_args(false)
      ->check(CLI::ExistingFile);
  command.add_option(
      "--state-dir", options.state_dir,
      "Where the embedded store lives (default: gateway.state_dir of the configuration)");
}

std::optional<Config> load_config_or_report(const CommonOptions& options) {
  Result<Config> config =
      options.config_file.empty() ? default_config() : load_config(options.config_file);
  if (!config) {
    std::cerr << "sendguard: " << config.error().message << '\n';
    return std::nullopt;
  }
  return std::move(*config);
}

std::optional<ConfigAndStore> open_store_or_report(const CommonOptions& common) {
  std::optional<Config> config = load_config_or_report(common);
  if (!config) return std::nullopt;
  auto store = open_configured_store(*config, effective_state_dir(*config, common.state_dir));
  if (!store) {
    std::cerr << "sendguard: " << store.error().message << '\n';
    return std::nullopt;
  }
  return ConfigAndStore{std::move(*config), std::move(*store)};
}

}  // namespace sendguard::cli
