// The history's commands: `learn` imports sent mail into the history, `history` shows what it
// learned, `investigate` reports mail that already went to lookalike domains.
#pragma once

#include <CLI/CLI.hpp>

namespace sendguard::cli {

void add_learn_command(CLI::App& app, int& exit_status);
void add_history_command(CLI::App& app, int& exit_status);
void add_investigate_command(CLI::App& app, int& exit_status);

}  // namespace sendguard::cli
