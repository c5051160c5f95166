// The sendguard command line: one subcommand per job, each a thin front-end.
#include <CLI/CLI.hpp>
#include <iostream>

#include "frontends/cli/check_command.h"
#include "frontends/cli/gateway_commands.h"
#include "frontends/cli/history_commands.h"
#include "frontends/cli/recipients_command.h"

int main(int argc, char** argv) {
  CLI::App app{"sendguard: stops misdirected and sensitive outbound mail"};
  app.set_version_flag("--version", SENDGUARD_VERSION);
  app.require_subcommand(1);
  int exit_status = 0;
  sendguard::cli::add_recipients_command(app, exit_status);
  sendguard::cli::add_check_command(app, exit_status);
  sendguard::cli::add_milter_command(app, exit_status);
  sendguard::cli::add_quarantine_command(app, exit_status);
  sendguard::cli::add_audit_command(app, exit_status);
  sendguard::cli::add_config_command(app, exit_status);
  sendguard::cli::add_learn_command(app, exit_status);
  sendguard::cli::add_history_command(app, exit_status);
  sendguard::cli::add_investigate_command(app, exit_status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors are 2, as with grep
  }
  return exit_status;
}
