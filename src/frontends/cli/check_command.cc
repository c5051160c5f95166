#include "frontends/cli/check_command.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "frontends/cli/common.h"
#include "frontends/cli/recipient_output.h"
#include "guard/guard.h"
#include "guard/report_json.h"

namespace sendguard::cli {
namespace {

namespace fs = std::filesystem;

struct CheckArgs {
  CommonOptions common;
  std::string format = "text";
  std::string from;
  std::vector<std::string> recipients;
  std::vector<std::string> inputs;
};

// Reads at most `limit` + 1 bytes, so that an oversized message is seen to be oversized
// without being held in memory whole.
Result<std::string> read_bounded(std::istream& in, std::size_t limit, const std::string& name) {
  std::string data;
  constexpr std::size_t kChunk = 1 << 16;
  while (data.size() <= limit) {
    std::size_t old = data.size();
    data.resize(old + kChunk);
    in.read(data.data() + old, static_cast<std::streamsize>(kChunk));
    data.resize(old + static_cast<std::size_t>(in.gcount()));
    if (!in) break;
  }
  if (in.bad()) return make_error(ErrorCode::kIo, name + ": read error");
  if (data.size() > limit + 1) data.resize(limit + 1);
  return data;
}

// FILE arguments as given, with directories expanded to the .eml files under them, sorted.
Result<std::vector<std::string>> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (input != "-" && fs::is_directory(input, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(
               input, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".eml")
          found.push_back(it->path().string());
      }
      if (ec) return make_error(ErrorCode::kIo, input + ": " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(input);
    }
  }
  return files;
}

void write_json(std::ostream& out, const std::string& file, const Evaluation& evaluation,
                double total_ms) {
  const MessageReport& report = evaluation.report;
  nlohmann::ordered_json j;
  j["file"] = file;
  j["from"] = report.from;
  j["recipients"] = nlohmann::ordered_json::array();
  for (const auto& r : report.recipients) j["recipients"].push_back(to_json(r));
  j["findings"] = nlohmann::ordered_json::array();
  for (const auto& f : report.findings) j["findings"].push_back(to_json(f));
  j["attachments"] = nlohmann::ordered_json::array();
  for (const auto& a : report.attachments) j["attachments"].push_back(to_json(a));
  j["decision"] = to_json(evaluation.decision);
  auto round = [](double ms) {
    return static_cast<double>(static_cast<long long>(ms * 1000 + 0.5)) / 1000;
  };
  j["timing"] = {{"parse_ms", round(report.parse_ms)},
                 {"scan_ms", round(report.scan_ms)},
                 {"total_ms", round(total_ms)}};
  out << dump_line(j) << '\n';
}

void write_text(std::ostream& out, const std::string& file, const Evaluation& evaluation) {
  const MessageReport& report = evaluation.report;
  const Decision& decision = evaluation.decision;
  out << file << (report.flagged() ? "  FLAGGED" : "  ok") << '\n';
  if (!report.from.empty()) out << "  from " << report.from << '\n';
  for (const auto& r : report.recipients) {
    out << "  to   " << r.address << "  " << to_string(r.verdict);
    if (r.verdict == Verdict::kLookalike || r.verdict == Verdict::kInvalid)
      out << ": " << r.explanation;
    out << '\n';
  }
  for (const auto& f : report.findings) {
    std::string confidence(to_string(f.confidence));
    std::transform(confidence.begin(), confidence.end(), confidence.begin(), ::toupper);
    out << "  " << confidence << std::string(8 - std::min<std::size_t>(confidence.size(), 7), ' ')
        << f.detector;
    if (!f.level.empty()) out << " (" << f.level << ")";
    out << "  in " << f.where;
    if (f.count > 1) out << " x" << f.count;
    if (!f.excerpt.empty()) out << "  \"" << f.excerpt << "\"";
    out << '\n';
  }
  out << "  policy: " << to_string(decision.action);
  if (!decision.rule.empty()) out << " (rule " << decision.rule << ")";
  if (decision.monitor) out << ", monitor mode: not applied";
  out << '\n';
  for (const RecipientDecision& d : decision.recipients) {
    if (d.action == Action::kAccept || d.reason.empty()) continue;
    out << "    " << d.address << ": " << to_string(d.action) << ": " << d.reason << '\n';
  }
}

int run(const CheckArgs& args) {
  std::optional<Config> config = load_config_or_report(args.common);
  if (!config) return 2;
  auto guard = Guard::build(*config, args.common.known_domains);
  if (!guard) {
    std::cerr << "sendguard: " << guard.error().message << '\n';
    return 2;
  }
  auto files = expand_inputs(args.inputs);
  if (!files) {
    std::cerr << "sendguard: " << files.error().message << '\n';
    return 2;
  }
  Envelope envelope;
  envelope.sender = args.from;
  envelope.recipients = args.recipients;
  bool flagged = false, failed = false;
  for (const std::string& file : *files) {
    auto start = std::chrono::steady_clock::now();
    Result<std::string> raw;
    if (file == "-") {
      raw = read_bounded(std::cin, (*guard)->limits().max_message_bytes, "standard input");
    } else {
      std::ifstream in(file, std::ios::binary);
      raw = in ? read_bounded(in, (*guard)->limits().max_message_bytes, file)
               : make_error(ErrorCode::kIo, file + ": cannot open");
    }
    if (!raw) {
      std::cerr << "sendguard: " << raw.error().message << '\n';
      failed = true;
      continue;
    }
    Evaluation evaluation = (*guard)->evaluate(*raw, envelope);
    flagged = flagged || evaluation.report.flagged();
    double total_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (args.format == "json") {
      write_json(std::cout, file, evaluation, total_ms);
    } else {
      write_text(std::cout, file, evaluation);
    }
  }
  std::cout.flush();
  if (failed) return 2;
  return flagged ? 1 : 0;
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_status) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Inspect messages: recipients and sensitive content, as the gateway would.\n"
      "FILE may be '-' for standard input or a directory of .eml files.\n"
      "Exit status: 0 nothing found, 1 something found, 2 error.");
  add_common_options(*cmd, args->common);
  cmd->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--from", args->from, "Envelope sender (default: the From header)");
  cmd->add_option("--rcpt", args->recipients,
                  "Envelope recipient; repeatable (default: the To, Cc and Bcc headers)")
      ->allow_extra_args(false);
  cmd->add_option("file", args->inputs, "Messages to inspect")->required();
  cmd->callback([args, &exit_status] { exit_status = run(*args); });
}

}  // namespace sendguard::cli
