// `sendguard recipients`: classify recipient addresses against the known domains.
#pragma once

#include <CLI/CLI.hpp>

namespace sendguard::cli {

// Exit status: 0 nothing flagged, 1 a lookalike or invalid address, 2 usage or input error.
void add_recipients_command(CLI::App& app, int& exit_status);

}  // namespace sendguard::cli
