// `sendguard recipients`: classify recipient addresses against the known domains.
#pragma once

#include <CLI/CLI.hpp>

namespace sendguard::cli {

struct CommonOptions {
  std::string config_file;                 // --config; empty: the embedded default
  std::vector<std::string> known_domains;  // --known-domains, added to the configured ones
};

// Exit status: 0 nothing flagged, 1 a lookalike or invalid address, 2 usage or input error.
void add_recipients_command(CLI::App& app, int& exit_status);

}  // namespace sendguard::cli
