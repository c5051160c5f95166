#include "frontends/cli/history_commands.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "frontends/cli/common.h"
#include "frontends/cli/progress_line.h"
#include "gateway/gateway.h"
#include "history/history_keys.h"
#include "history/learned_domains.h"
#include "history/learner.h"
#include "history/mail_source.h"
#include "investigate/investigate.h"
#include "investigate/reports.h"

namespace sendguard::cli {
namespace {

// --since and --until, read as UTC; on error, prints it and returns false.
struct TimeWindow {
  std::string since, until;
};

void add_time_window(CLI::App& cmd, TimeWindow& window) {
  cmd.add_option("--since", window.since,
                 "Only mail from this time on (UTC: 2026-11-28[T10:00:00Z])");
  cmd.add_option("--until", window.until, "Only mail before this time (UTC)");
}

bool read_time_window(const TimeWindow& window,
                      std::optional<std::chrono::system_clock::time_point>& since,
                      std::optional<std::chrono::system_clock::time_point>& until) {
  for (auto [text, bound, name] : {std::tuple{&window.since, &since, "--since"},
                                   std::tuple{&window.until, &until, "--until"}}) {
    if (text->empty()) continue;
    *bound = parse_utc(*text);
    if (!*bound) {
      std::cerr << "sendguard: " << name << " " << *text
                << ": expected a UTC date such as 2026-11-28 or 2026-11-28T10:00:00Z\n";
      return false;
    }
  }
  if (since && until && *until <= *since) {
    std::cerr << "sendguard: --until must be later than --since\n";
    return false;
  }
  return true;
}

std::vector<std::filesystem::path> as_paths(const std::vector<std::string>& sources) {
  return {sources.begin(), sources.end()};
}

}  // namespace

void add_learn_command(CLI::App& app, int& exit_status) {
  struct Args {
    CommonOptions common;
    TimeWindow window;
    std::vector<std::string> sources;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "learn",
      "Add sent mail to the history: Postfix logs (rotated and gzipped ones too), mbox files,\n"
      "Maildir folders, folders of .eml files. Importing a source again counts nothing twice.");
  add_common_options(*cmd, args->common);
  add_time_window(*cmd, args->window);
  cmd->add_option("SOURCE", args->sources, "Log files, mbox files, Maildir or .eml folders")
      ->required();
  cmd->callback([args, &exit_status] {
    exit_status = 2;
    std::optional<ConfigAndStore> opened = open_store_or_report(args->common);
    if (!opened) return;
    MailSourceOptions read_options;
    if (!read_time_window(args->window, read_options.since, read_options.until)) return;
    auto suffixes = PublicSuffixList::load(opened->config.public_suffix_list);
    if (!suffixes) {
      std::cerr << "sendguard: " << suffixes.error().message << '\n';
      return;
    }
    auto keys = HistoryKeys::open(std::make_shared<const PublicSuffixList>(std::move(*suffixes)),
                                  opened->config.history.hash_key_file);
    if (!keys) {
      std::cerr << "sendguard: " << keys.error().message << '\n';
      return;
    }
    auto started = std::chrono::steady_clock::now();
    Result<SourcesLearned> learned_sources = [&] {
      ProgressLine progress("learning");
      return learn_sources(*opened->store, *keys, opened->config.history,
                           as_paths(args->sources), read_options,
                           [&](std::uint64_t done, std::uint64_t total) {
                             progress.update(done, total);
                           });
    }();
    if (!learned_sources) {
      std::cerr << "sendguard: " << learned_sources.error().message << '\n';
      return;
    }
    const SourceStats& stats = learned_sources->read;
    const LearnCounts& counts = learned_sources->counts;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "Read " << counts.messages << " messages (" << stats.files << " files, "
              << stats.bytes / 1'000'000 << " MB) in " << static_cast<int>(seconds * 10) / 10.0
              << " s: " << counts.added << " added to the history, " << counts.already_known
              << " already in it, " << counts.skipped << " without a usable recipient";
    if (stats.malformed_lines > 0)
      std::cout << ", " << stats.malformed_lines << " unreadable log lines";
    if (stats.outside_time_bounds > 0)
      std::cout << ", " << stats.outside_time_bounds << " outside --since/--until";
    std::cout << ".\n";
    auto learned = learn_known_domains(opened->config, args->common.known_domains, *opened->store);
    if (!learned) {
      std::cerr << "sendguard: " << learned.error().message << '\n';
      return;
    }
    std::cout << learned->known.size() << " domains are now known from the history (written to on "
              << opened->config.history.known_after_days << " days or more)";
    if (!learned->refused.empty()) {
      std::cout << "; " << learned->refused.size()
                << " look like past slips and stay unknown (sendguard history domains)";
    }
    std::cout << ".\n";
    exit_status = 0;
  });
}

void add_history_command(CLI::App& app, int& exit_status) {
  struct Args {
    CommonOptions common;
    std::string format = "text";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("history", "Show what the history has learned.");
  cmd->require_subcommand(1);
  CLI::App* domains = cmd->add_subcommand(
      "domains", "Domains learned as known, and those refused as lookalikes of busier ones.");
  add_common_options(*domains, args->common);
  domains->add_option("--format", args->format, "text or json (one object a line)")
      ->check(CLI::IsMember({"text", "json"}));
  domains->callback([args, &exit_status] {
    exit_status = 2;
    std::optional<ConfigAndStore> opened = open_store_or_report(args->common);
    if (!opened) return;
    auto learned = learn_known_domains(opened->config, args->common.known_domains, *opened->store);
    if (!learned) {
      std::cerr << "sendguard: " << learned.error().message << '\n';
      return;
    }
    for (const auto* list : {&learned->known, &learned->refused}) {
      for (const LearnedDomain& d : *list) {
        if (args->format == "json") {
          nlohmann::ordered_json j;
          j["domain"] = d.domain;
          j["status"] = d.resembles.empty() ? "known" : "refused";
          j["messages"] = d.messages;
          j["days"] = d.days;
          j["resembles"] =
              d.resembles.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(d.resembles);
          std::cout << j.dump() << '\n';
        } else if (d.resembles.empty()) {
          std::cout << "known    " << d.domain << "  " << d.messages << " messages on " << d.days
                    << " days\n";
        } else {
          std::cout << "refused  " << d.domain << "  " << d.messages << " messages on " << d.days
                    << " days: " << d.explanation << '\n';
        }
      }
    }
    exit_status = 0;
  });
}

void add_investigate_command(CLI::App& app, int& exit_status) {
  struct Args {
    CommonOptions common;
    TimeWindow window;
    std::string out = "sendguard-investigation";
    bool no_history = false;
    std::vector<std::string> sources;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "investigate",
      "Find mail that already went to lookalikes of the domains you write to, in Postfix logs,\n"
      "mbox files, Maildir or .eml folders, and write an HTML report with CSV and JSON beside it.\n"
      "Exit status: 0 nothing found, 1 misdirected mail found, 2 error.");
  add_common_options(*cmd, args->common);
  add_time_window(*cmd, args->window);
  cmd->add_option("--out", args->out,
                  "Directory for report.html, misdirected.csv and investigation.json")
      ->capture_default_str();
  cmd->add_flag("--no-history", args->no_history,
                "Do not use the domains the gateway's history has learned");
  cmd->add_option("SOURCE", args->sources, "Log files, mbox files, Maildir or .eml folders")
      ->required();
  cmd->callback([args, &exit_status] {
    exit_status = 2;
    std::optional<Config> config = load_config_or_report(args->common);
    if (!config) return;
    InvestigateOptions options;
    options.sources = as_paths(args->sources);
    if (!read_time_window(args->window, options.since, options.until)) return;
    // The history is used when there is one: an analyst's copy of the logs on another machine
    // has none, and must not get an empty database created in passing.
    std::unique_ptr<Store> store;
    std::string state_dir = effective_state_dir(*config, args->common.state_dir);
    if (!args->no_history &&
        (config->store.backend != "sqlite" ||
         std::filesystem::exists(std::filesystem::path(state_dir) / "sendguard.db"))) {
      auto opened = open_configured_store(*config, state_dir);
      if (!opened) {
        std::cerr << "sendguard: " << opened.error().message
                  << " (use --no-history to investigate without it)\n";
        return;
      }
      store = std::move(*opened);
    }
    InvestigateStats stats;
    Result<Investigation> found = [&] {
      ProgressLine progress("reading");
      options.progress = [&](std::uint64_t done, std::uint64_t total) {
        progress.update(done, total);
      };
      return investigate(*config, args->common.known_domains, store.get(), options, &stats);
    }();
    if (!found) {
      std::cerr << "sendguard: " << found.error().message << '\n';
      return;
    }
    auto written = write_investigation_reports(*found, args->out);
    if (!written) {
      std::cerr << "sendguard: " << written.error().message << '\n';
      return;
    }
    std::cout << "Read " << found->messages_read << " messages (" << stats.read.files << " files); "
              << found->known_domains << " known domains (" << stats.learned_from_sources
              << " learned from these sources, " << stats.learned_from_store
              << " from the history).\n";
    std::cout << found->misdirected.size() << " recipients at lookalike domains";
    if (stats.inspected > 0)
      std::cout << "; content of " << stats.inspected << " messages inspected";
    std::cout << ".\n";
    std::size_t shown = 0;
    for (const MisdirectedMessage& m : found->misdirected) {
      if (++shown > 20) {
        std::cout << "  ... and " << found->misdirected.size() - 20 << " more in the report\n";
        break;
      }
      std::cout << "  " << utc_time(m.time) << "  " << (m.sender.empty() ? "<>" : m.sender)
                << " -> " << m.recipient << "  (meant " << m.intended << "?)"
                << (m.findings.empty() ? "" : "  [sensitive content]") << '\n';
    }
    std::cout << "Report: " << written->html << "\n        " << written->csv << "\n        "
              << written->json << '\n';
    exit_status = found->misdirected.empty() ? 0 : 1;
  });
}

}  // namespace sendguard::cli
