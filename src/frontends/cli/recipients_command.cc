#include "frontends/cli/recipients_command.h"

#include <iostream>
#include <memory>

#include "frontends/cli/common.h"
#include "frontends/cli/recipient_output.h"
#include "lookalike/lookalike.h"

namespace sendguard::cli {
namespace {

struct RecipientsArgs {
  CommonOptions common;
  std::string format = "text";
  std::vector<std::string> addresses;
};

// Reads one line, keeping at most `limit` bytes of it (the rest is discarded, and the kept
// part is then too long to be an address), so a hostile input cannot exhaust memory.
bool read_bounded_line(std::istream& in, std::string& line, std::size_t limit) {
  line.clear();
  int c;
  bool any = false;
  while ((c = in.get()) != EOF) {
    any = true;
    if (c == '\n') break;
    if (line.size() <= limit) line.push_back(static_cast<char>(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return any;
}

int run(const RecipientsArgs& args) {
  std::optional<Config> config = load_config_or_report(args.common);
  if (!config) return 2;
  auto index = build_lookalike_index(*config, args.common.known_domains);
  if (!index) {
    std::cerr << "sendguard: " << index.error().message << '\n';
    return 2;
  }

  bool json = args.format == "json";
  bool flagged = false;
  std::vector<RecipientVerdict> table;
  auto handle = [&](const std::string& address) {
    RecipientVerdict v = (*index)->check_address(address);
    flagged = flagged || v.verdict == Verdict::kLookalike || v.verdict == Verdict::kInvalid;
    if (json) {
      write_json_line(std::cout, v);
    } else {
      table.push_back(std::move(v));
    }
  };
  if (!args.addresses.empty()) {
    for (const std::string& a : args.addresses) handle(a);
  } else {
    std::string line;
    while (read_bounded_line(std::cin, line, kMaxAddressBytes)) handle(line);
    if (std::cin.bad()) {
      std::cerr << "sendguard: error reading standard input\n";
      return 2;
    }
  }
  if (!json) write_table(std::cout, table);
  std::cout.flush();
  return flagged ? 1 : 0;
}

}  // namespace

void add_recipients_command(CLI::App& app, int& exit_status) {
  auto args = std::make_shared<RecipientsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "recipients",
      "Classify recipient addresses as known, new, lookalike or invalid.\n"
      "Reads one address a line from standard input when none are given.\n"
      "Exit status: 0 nothing flagged, 1 a lookalike or invalid address, 2 error.");
  add_common_options(*cmd, args->common);
  cmd->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("address", args->addresses, "Addresses to check");
  cmd->callback([args, &exit_status] { exit_status = run(*args); });
}

}  // namespace sendguard::cli
