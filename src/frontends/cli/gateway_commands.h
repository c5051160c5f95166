// The gateway's commands: the milter daemon, configuration check, quarantine and audit log.
#pragma once

#include <CLI/CLI.hpp>

namespace sendguard::cli {

void add_milter_command(CLI::App& app, int& exit_status);
void add_config_command(CLI::App& app, int& exit_status);
void add_quarantine_command(CLI::App& app, int& exit_status);
void add_audit_command(CLI::App& app, int& exit_status);

}  // namespace sendguard::cli
