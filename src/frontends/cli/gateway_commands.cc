#include "frontends/cli/gateway_commands.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>

#include "frontends/cli/common.h"
#include "frontends/milter/milter.h"
#include "gateway/gateway.h"
#include "gateway/quarantine.h"
#include "guard/guard.h"
#include "guard/report_json.h"

namespace sendguard::cli {
namespace {

std::string operator_name() {
  if (const char* sudo_user = std::getenv("SUDO_USER")) return sudo_user;
  if (passwd* pw = getpwuid(getuid())) return pw->pw_name;
  return "uid " + std::to_string(getuid());
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

nlohmann::ordered_json entry_json(const QuarantineEntry& e, const GatewayConfig& config) {
  nlohmann::ordered_json j;
  j["id"] = e.id;
  j["queue_id"] = e.queue_id;
  j["message_id"] = e.message_id;
  j["sender"] = e.sender;
  j["recipients"] = e.recipients;
  j["rule"] = e.rule;
  j["reason"] = e.reason;
  j["held_at"] = utc_time(e.held_at);
  j["state"] = std::string(to_string(e.state));
  j["changed_at"] = utc_time(e.changed_at);
  j["changed_by"] = e.changed_by;
  j["location"] = e.location;
  // A release or discard cut short: the next release or discard of it recovers it.
  j["stale"] = is_stale_claim(e, config);
  return j;
}

}  // namespace

void add_milter_command(CLI::App& app, int& exit_status) {
  struct Args {
    CommonOptions common;
    std::string listen;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "milter",
      "Run the milter daemon for Postfix or Sendmail (smtpd_milters = inet:127.0.0.1:8891).\n"
      "Stops on SIGTERM or SIGINT.");
  add_common_options(*cmd, args->common);
  cmd->add_option("--listen", args->listen,
                  "inet:PORT@HOST or unix:PATH (default: gateway.listen)");
  cmd->callback([args, &exit_status] {
    std::optional<Config> config = load_config_or_report(args->common);
    if (!config) {
      exit_status = 2;
      return;
    }
    milter::MilterOptions options;
    options.known_domains = args->common.known_domains;
    options.listen = args->listen;
    options.state_dir = args->common.state_dir;
    exit_status = milter::run(*config, options);
  });
}

void add_config_command(CLI::App& app, int& exit_status) {
  auto file = std::make_shared<std::string>();
  CLI::App* config = app.add_subcommand("config", "Work with configuration files.");
  config->require_subcommand(1);
  CLI::App* check = config->add_subcommand(
      "check",
      "Validate a configuration file completely (as the daemon would at start) without starting.\n"
      "Exit status: 0 valid, 2 not (the error names the file, line and key).");
  check->add_option("file", *file, "Configuration file")->required();
  check->callback([file, &exit_status] {
    Result<Config> config = load_config(*file);
    if (!config) {
      std::cerr << "sendguard: " << config.error().message << '\n';
      exit_status = 2;
      return;
    }
    // Building the guard checks what parsing cannot: domain lists, levels, patterns, groups.
    auto guard = Guard::build(*config, {});
    if (!guard) {
      std::cerr << "sendguard: " << guard.error().message << '\n';
      exit_status = 2;
      return;
    }
    std::cout << *file << ": valid (" << config->policy.rules.size() << " rules, mode "
              << config->policy.mode << ", store " << config->store.backend << ")\n";
    exit_status = 0;
  });
}

void add_quarantine_command(CLI::App& app, int& exit_status) {
  struct Args {
    CommonOptions common;
    std::string format = "text";
    bool all = false;
    std::string id;
  };
  auto args = std::make_shared<Args>();
  CLI::App* q = app.add_subcommand("quarantine", "List, show, release or discard held mail.");
  q->require_subcommand(1);
  add_common_options(*q, args->common);

  CLI::App* list = q->add_subcommand(
      "list",
      "Held messages, and releases or discards under way, oldest first (--all: also released\n"
      "and discarded). A release or discard that stalled (crashed) for gateway.stale_release_s\n"
      "is marked STALE; releasing or discarding it again recovers it.");
  list->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  list->add_flag("--all", args->all, "Include messages no longer held");
  list->callback([args, &exit_status] {
    std::optional<ConfigAndStore> opened = open_store_or_report(args->common);
    if (!opened) {
      exit_status = 2;
      return;
    }
    Store* store = opened->store.get();
    auto entries = store->quarantine(std::nullopt);
    if (!entries) {
      std::cerr << "sendguard: " << entries.error().message << '\n';
      exit_status = 2;
      return;
    }
    // Without --all: what still needs someone, held mail and releases under way (a stalled one
    // is held mail that nobody will deliver unless it is recovered).
    if (!args->all) {
      std::erase_if(*entries, [](const QuarantineEntry& e) {
        return e.state != QuarantineState::kHeld && e.state != QuarantineState::kReleasing;
      });
    }
    const GatewayConfig& gateway = opened->config.gateway;
    for (const QuarantineEntry& e : *entries) {
      if (args->format == "json") {
        std::cout << dump_line(entry_json(e, gateway)) << '\n';
      } else {
        std::cout << e.id << "  " << utc_time(e.held_at) << "  " << to_string(e.state);
        if (is_stale_claim(e, gateway)) {
          std::cout << " (STALE: claimed by " << e.changed_by << " at " << utc_time(e.changed_at)
                    << " and never finished; release or discard it again to recover)";
        }
        std::cout << "  queue " << e.queue_id << "  from " << (e.sender.empty() ? "<>" : e.sender)
                  << "  to " << join(e.recipients) << "  rule " << e.rule << '\n';
      }
    }
    if (args->format == "text" && entries->empty()) std::cout << "no held messages\n";
    exit_status = 0;
  });

  CLI::App* show = q->add_subcommand("show", "Everything recorded about one held message.");
  show->add_option("id", args->id, "Quarantine id")->required();
  show->callback([args, &exit_status] {
    std::optional<ConfigAndStore> opened = open_store_or_report(args->common);
    if (!opened) {
      exit_status = 2;
      return;
    }
    Store* store = opened->store.get();
    auto entry = store->quarantine_entry(args->id);
    if (!entry || !*entry) {
      std::cerr << "sendguard: "
                << (entry ? "no held message with id " + args->id : entry.error().message) << '\n';
      exit_status = 2;
      return;
    }
    std::cout << entry_json(**entry, opened->config.gateway)
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
    exit_status = 0;
  });

  for (const char* verb : {"release", "discard"}) {
    bool release = std::string_view(verb) == "release";
    CLI::App* sub =
        q->add_subcommand(verb, release ? "Deliver a held message (exactly once, even if two "
                                          "people release it at the same time)."
                                        : "Delete a held message without delivering it.");
    sub->add_option("id", args->id, "Quarantine id")->required();
    sub->callback([args, release, &exit_status] {
      std::optional<ConfigAndStore> opened = open_store_or_report(args->common);
      if (!opened) {
        exit_status = 2;
        return;
      }
      const GatewayConfig& gateway = opened->config.gateway;
      auto done = release ? release_held(*opened->store, gateway, args->id, operator_name())
                          : discard_held(*opened->store, gateway, args->id, operator_name());
      if (!done) {
        std::cerr << "sendguard: " << done.error().message << '\n';
        exit_status = 2;
        return;
      }
      std::cout << args->id << ": " << *done << '\n';
      exit_status = 0;
    });
  }
  // --config, --known-domains and --state-dir may follow the verb: "quarantine list --config F".
  for (CLI::App* sub : q->get_subcommands({})) sub->fallthrough();
}

void add_audit_command(CLI::App& app, int& exit_status) {
  struct Args {
    CommonOptions common;
    std::string format = "text";
    std::string since, until, queue_id;
    std::size_t limit = 100;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("audit", "Show the audit log, newest first.");
  add_common_options(*cmd, args->common);
  cmd->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--since", args->since,
                  "From this UTC time (2026-11-28 or 2026-11-28T10:00:00Z)");
  cmd->add_option("--until", args->until, "Before this UTC time");
  cmd->add_option("--queue-id", args->queue_id, "Only this queue id");
  cmd->add_option("--limit", args->limit, "At most this many records (0: all)");
  cmd->callback([args, &exit_status] {
    AuditQuery query;
    query.queue_id = args->queue_id;
    query.limit = args->limit;
    for (auto [text, bound] :
         {std::pair{&args->since, &query.since}, std::pair{&args->until, &query.until}}) {
      if (text->empty()) continue;
      *bound = parse_utc(*text);
      if (!*bound) {
        std::cerr << "sendguard: \"" << *text
                  << "\" is not a date (use 2026-11-28 or 2026-11-28T10:00:00Z)\n";
        exit_status = 2;
        return;
      }
    }
    std::optional<ConfigAndStore> opened = open_store_or_report(args->common);
    if (!opened) {
      exit_status = 2;
      return;
    }
    Store* store = opened->store.get();
    auto records = store->audit(query);
    if (!records) {
      std::cerr << "sendguard: " << records.error().message << '\n';
      exit_status = 2;
      return;
    }
    for (const AuditRecord& r : *records) {
      if (args->format == "json") {
        nlohmann::ordered_json j;
        j["id"] = r.id;
        j["time"] = utc_time(r.time);
        j["node"] = r.node;
        j["stage"] = r.stage;
        j["queue_id"] = r.queue_id;
        j["message_id"] = r.message_id;
        j["sender"] = r.sender;
        j["auth_user"] = r.auth_user;
        j["recipients"] = r.recipients;
        j["rule"] = r.rule;
        j["action"] = r.action;
        j["monitor"] = r.monitor;
        j["override_justification"] = r.override_justification;
        j["details"] = nlohmann::ordered_json::parse(r.details_json.empty() ? "{}" : r.details_json,
                                                     nullptr, false);
        std::cout << dump_line(j) << '\n';
      } else {
        std::cout << utc_time(r.time) << "  " << r.stage << "  " << (r.monitor ? "would " : "")
                  << r.action << "  rule " << (r.rule.empty() ? "-" : r.rule) << "  queue "
                  << (r.queue_id.empty() ? "-" : r.queue_id) << "  from "
                  << (r.sender.empty() ? "<>" : r.sender) << "  to " << join(r.recipients);
        if (!r.override_justification.empty())
          std::cout << "  override: \"" << r.override_justification << "\"";
        std::cout << '\n';
      }
    }
    exit_status = 0;
  });
}

}  // namespace sendguard::cli
