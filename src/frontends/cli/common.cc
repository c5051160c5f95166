#include "frontends/cli/common.h"

#include <iostream>

namespace sendguard::cli {

void add_common_options(CLI::App& command, CommonOptions& options) {
  command.add_option("--config", options.config_file, "Configuration file (default: embedded)")
      ->check(CLI::ExistingFile);
  command
      .add_option("--known-domains", options.known_domains,
                  "File of known domains, one a line (added to the configured ones); repeatable")
      ->allow_extra_args(false)
      ->check(CLI::ExistingFile);
  command.add_option("--state-dir", options.state_dir,
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

}  // namespace sendguard::cli
