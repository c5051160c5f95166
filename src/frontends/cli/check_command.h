// `sendguard check`: inspect messages (recipients and content) as the gateway would.
#pragma once

#include <CLI/CLI.hpp>

namespace sendguard::cli {

// Exit status: 0 nothing found, 1 something found, 2 usage or input error.
void add_check_command(CLI::App& app, int& exit_status);

}  // namespace sendguard::cli
