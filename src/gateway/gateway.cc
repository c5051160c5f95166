#include "gateway/gateway.h"

#include <spdlog/spdlog.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "guard/report_json.h"
#include "history/learned_domains.h"

namespace sendguard {
namespace {

using Clock = std::chrono::steady_clock;

long long milliseconds_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// "<bob@army.ml>" as the MTA gives it, or "bob@army.ml".
std::string bare_address(std::string_view address) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    address = address.substr(1, address.size() - 2);
  }
  return std::string(address);
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

}  // namespace

std::string effective_state_dir(const Config& config, const std::string& state_dir_option) {
  return state_dir_option.empty() ? config.gateway.state_dir : state_dir_option;
}

Result<std::unique_ptr<Store>> open_configured_store(const Config& config,
                                                     const std::string& state_dir) {
  StoreOptions options;
  options.backend = config.store.backend;
  options.postgresql_dsn = config.store.postgresql_dsn;
  if (options.backend == "sqlite") {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec)
      return make_error(ErrorCode::kIo,
                        "cannot create the state directory " + state_dir + ": " + ec.message());
    options.sqlite_path = (std::filesystem::path(state_dir) / "sendguard.db").string();
  }
  return open_store(options);
}

Result<std::unique_ptr<Gateway>> Gateway::open(const Config& config,
                                               const std::vector<std::string>& extra_known_files,
                                               const std::string& state_dir) {
  auto store = open_configured_store(config, effective_state_dir(config, state_dir));
  if (!store) return std::unexpected(store.error());
  return open_with_store(config, extra_known_files, std::move(*store));
}

Result<std::unique_ptr<Gateway>> Gateway::open_with_store(
    const Config& config, const std::vector<std::string>& extra_known_files,
    std::unique_ptr<Store> store) {
  auto learned = with_learned_domains(config, extra_known_files, *store);
  if (!learned) return std::unexpected(learned.error());
  auto guard = Guard::build(*learned, extra_known_files);
  if (!guard) return std::unexpected(guard.error());
  auto suffixes = PublicSuffixList::load(config.public_suffix_list);
  if (!suffixes) return std::unexpected(suffixes.error());
  auto keys = HistoryKeys::open(std::make_shared<const PublicSuffixList>(std::move(*suffixes)),
                                config.history.hash_key_file);
  if (!keys) return std::unexpected(keys.error());

  std::unique_ptr<Gateway> gateway(new Gateway());
  gateway->config_ = config.gateway;
  gateway->node_ = host_name();
  gateway->guard_ = std::move(*guard);
  gateway->store_ = std::move(store);
  gateway->history_keys_ = std::make_unique<HistoryKeys>(std::move(*keys));
  gateway->signals_ = std::make_unique<HistorySignals>(
      *gateway->store_, *gateway->history_keys_, config.history, config.policy.internal_domains);
  if (config.history.record) {
    gateway->recorder_ = std::make_unique<HistoryRecorder>(*gateway->store_,
                                                           *gateway->history_keys_, config.history);
  }
  if (!config.gateway.sender_notice_command.empty()) {
    SenderNotifierOptions options;
    options.command = config.gateway.sender_notice_command;
    options.from = config.gateway.sender_notice_from;
    gateway->notifier_ =
        std::make_unique<SenderNotifier>(std::move(options), gateway->counters_.sender_notices,
                                         gateway->counters_.sender_notices_failed);
  }
  spdlog::info("{} known domains learned from the history",
               learned->recipients.known_domains.size() - config.recipients.known_domains.size());
  return gateway;
}

void Gateway::flush_history() {
  if (recorder_) recorder_->flush();
}

void Gateway::flush_notices() {
  if (notifier_) notifier_->flush();
}

// At RCPT time the 550 reply tells the sender; at the end of the message only a notice can.
void Gateway::notify_sender(const Transaction& transaction, const Evaluation& evaluation,
                            const std::vector<DroppedRecipient>& dropped) {
  if (!notifier_ || dropped.empty()) return;
  std::string sender = bare_address(transaction.sender);
  if (auto refusal = notice_refusal(sender, evaluation.report.headers)) {
    spdlog::info("{}: not telling the sender about the removed recipient(s): {}",
                 or_dash(transaction.queue_id), *refusal);
    return;
  }
  SenderNotice notice;
  notice.sender = std::move(sender);
  notice.subject = evaluation.report.subject;
  notice.message_id = evaluation.report.message_id;
  notice.queue_id = transaction.queue_id;
  notice.dropped = dropped;
  notifier_->send(std::move(notice));
}

// Counts and logs a decision sendguard could not make; returns whether gateway.on_failure lets
// the mail through unchecked (fail open) rather than asking the MTA to retry (fail closed).
bool Gateway::record_failure(const Transaction& transaction, std::string_view stage,
                             const std::string& why, std::string_view when_open,
                             std::string_view when_closed) {
  bool open = config_.on_failure == "accept";
  std::uint64_t n = (open ? counters_.failed_open : counters_.failed_closed).fetch_add(1) + 1;
  spdlog::warn("{} {}: cannot decide ({}); {} (failure #{} of this kind)",
               or_dash(transaction.queue_id), stage, why, open ? when_open : when_closed, n);
  return open;
}

RcptOutcome Gateway::fail_rcpt(const Transaction& transaction, const std::string& why) {
  if (record_failure(transaction, "RCPT", why,
                     "accepting the recipient unchecked (on_failure: accept)",
                     "telling the client to retry (on_failure: tempfail)"))
    return {};
  return {RcptOutcome::Verb::kTempfail,
          "sendguard could not check this recipient just now; please try again later"};
}

MessageOutcome Gateway::fail_message(const Transaction& transaction, const std::string& why) {
  MessageOutcome outcome;
  if (!record_failure(transaction, "end of data", why,
                      "delivering it unchecked (on_failure: accept)",
                      "leaving it queued at the MTA for a retry (on_failure: tempfail)")) {
    outcome.verb = MessageOutcome::Verb::kTempfail;
    outcome.reply = "sendguard could not check this message just now; it will be retried";
  }
  return outcome;
}

RcptOutcome Gateway::on_recipient(const Transaction& transaction, std::string_view recipient) {
  Clock::time_point start = Clock::now();
  try {
    Sender sender{bare_address(transaction.sender), transaction.auth_user};
    auto [verdict, decision] = guard_->decide_recipient(bare_address(recipient), sender);
    if (milliseconds_since(start) > config_.rcpt_time_limit_ms) {
      return fail_rcpt(transaction, "over gateway.rcpt_time_limit_ms");
    }
    if (!decision ||
        (decision->action != Action::kReject && decision->action != Action::kDropRecipient))
      return {};

    AuditRecord record;
    record.time = std::chrono::system_clock::now();
    record.node = node_;
    record.stage = "rcpt";
    record.queue_id = transaction.queue_id;
    record.sender = sender.address;
    record.auth_user = sender.auth_user;
    record.recipients = {verdict.address};
    record.rule = decision->rule;
    record.action = std::string(to_string(decision->action));
    record.monitor = guard_->policy().monitor();
    nlohmann::ordered_json details;
    details["recipients"] = nlohmann::ordered_json::array({to_json(verdict)});
    details["decision"] = nlohmann::ordered_json::array({to_json(*decision)});
    record.details_json = dump_line(details);
    auto written = store_->append_audit(record);
    if (!written) {
      // The recipient is refused either way, which is the safe outcome; the gap in the audit
      // log is what needs attention.
      spdlog::error("{} RCPT {}: could not write the audit record: {}",
                    or_dash(transaction.queue_id), verdict.address, written.error().message);
    }
    if (record.monitor) {
      counters_.monitored.fetch_add(1);
      spdlog::info("{} RCPT {}: would {} (rule {}), monitor mode", or_dash(transaction.queue_id),
                   verdict.address, record.action, record.rule);
      return {};
    }
    counters_.recipients_rejected.fetch_add(1);
    std::string reply = decision->reason;
    // "You have sent 143 messages to army.mil and none to army.ml." makes the case at once.
    if (auto evidence = signals_->lookalike_evidence(verdict); evidence && !evidence->empty()) {
      reply += " " + *evidence;
    }
    spdlog::info("{} RCPT {}: {} (rule {}): {}", or_dash(transaction.queue_id), verdict.address,
                 record.action, record.rule, reply);
    return {RcptOutcome::Verb::kReject, reply};
  } catch (const std::exception& e) {
    return fail_rcpt(transaction, std::string("internal error: ") + e.what());
  }
}

std::optional<RcptOutcome> Gateway::quick_recipient(const Transaction& transaction,
                                                    std::string_view recipient) const {
  Clock::time_point start = Clock::now();
  Sender sender{bare_address(transaction.sender), transaction.auth_user};
  auto [verdict, decision] = guard_->decide_recipient(bare_address(recipient), sender);
  if (milliseconds_since(start) > config_.rcpt_time_limit_ms) return std::nullopt;
  if (decision &&
      (decision->action == Action::kReject || decision->action == Action::kDropRecipient))
    return std::nullopt;
  return RcptOutcome{};
}

MessageOutcome Gateway::on_message(const Transaction& transaction, std::string_view raw_message) {
  Clock::time_point start = Clock::now();
  try {
    Envelope envelope;
    envelope.sender = bare_address(transaction.sender);
    envelope.auth_user = transaction.auth_user;
    envelope.queue_id = transaction.queue_id;
    for (const std::string& r : transaction.recipients)
      envelope.recipients.push_back(bare_address(r));
    // Without recipients the guard would read them from the headers; the MTA always has some.
    if (envelope.recipients.empty())
      return fail_message(transaction, "no recipients in the transaction");
    Evaluation evaluation;
    evaluation.report = guard_->inspect(raw_message, envelope);
    auto signals = signals_->for_message(envelope.sender, evaluation.report.recipients);
    if (!signals)
      return fail_message(transaction, "history unavailable: " + signals.error().message);
    evaluation.report.findings.insert(evaluation.report.findings.end(), signals->begin(),
                                      signals->end());
    evaluation.decision = guard_->decide(evaluation.report, envelope);
    if (milliseconds_since(start) > config_.message_time_limit_ms) {
      return fail_message(transaction, "over gateway.message_time_limit_ms");
    }
    counters_.messages.fetch_add(1);
    MessageOutcome outcome = apply(transaction, evaluation);
    record_delivery(transaction, evaluation, outcome);
    if (outcome.verb != MessageOutcome::Verb::kTempfail) {
      const Decision& d = evaluation.decision;
      spdlog::info(
          "{}: {}{} (rule {}), {} recipient(s), {} finding(s), {} ms (parse {:.1f}, scan {:.1f})",
          or_dash(transaction.queue_id), d.monitor ? "would " : "", to_string(d.action),
          or_dash(d.rule), evaluation.report.recipients.size(), evaluation.report.findings.size(),
          milliseconds_since(start), evaluation.report.parse_ms, evaluation.report.scan_ms);
    }
    return outcome;
  } catch (const std::exception& e) {
    return fail_message(transaction, std::string("internal error: ") + e.what());
  }
}

// What goes on to its recipients now joins the history: accepted and tagged mail (also in
// monitor mode), without the recipients removed. Held mail joins it only through the logs
// once released; rejected mail never left.
void Gateway::record_delivery(const Transaction& transaction, const Evaluation& evaluation,
                              const MessageOutcome& outcome) {
  if (!recorder_ || outcome.verb != MessageOutcome::Verb::kAccept ||
      outcome.quarantine_reason.has_value())
    return;
  SentMail mail;
  mail.time = std::chrono::system_clock::now();
  mail.sender = bare_address(transaction.sender);
  mail.queue_id = transaction.queue_id;
  mail.message_id = evaluation.report.message_id;
  for (const std::string& r : transaction.recipients) {
    if (std::find(outcome.remove_recipients.begin(), outcome.remove_recipients.end(), r) ==
        outcome.remove_recipients.end())
      mail.recipients.push_back(bare_address(r));
  }
  if (mail.recipients.empty()) return;
  // Without a queue id (an MTA that does not send the "i" macro) nothing else names the
  // message, and the log import cannot meet it anyway.
  mail.identity =
      transaction.queue_id.empty()
          ? "gateway:" + node_ + ":" + std::to_string(mail.time.time_since_epoch().count())
          : postfix_identity(node_, transaction.queue_id, mail.time);
  mail.origin = "gateway:" + node_;
  recorder_->record(std::move(mail));
}

// Adds the recipients whose own decision is drop-recipient to the outcome's removals.
std::vector<DroppedRecipient> Gateway::drop_recipients(const Transaction& transaction,
                                                       const Decision& decision,
                                                       MessageOutcome& outcome) {
  std::vector<DroppedRecipient> dropped;
  for (std::size_t i = 0; i < decision.recipients.size() && i < transaction.recipients.size();
       ++i) {
    const RecipientDecision& d = decision.recipients[i];
    if (d.action != Action::kDropRecipient) continue;
    outcome.remove_recipients.push_back(transaction.recipients[i]);
    counters_.recipients_dropped.fetch_add(1);
    dropped.push_back({bare_address(transaction.recipients[i]), d.rule, d.reason});
  }
  return dropped;
}

MessageOutcome Gateway::apply(const Transaction& transaction, const Evaluation& evaluation) {
  const Decision& decision = evaluation.decision;
  const MessageReport& report = evaluation.report;

  AuditRecord record;
  record.time = std::chrono::system_clock::now();
  record.node = node_;
  record.stage = "eom";
  record.queue_id = transaction.queue_id;
  record.message_id = report.message_id;
  record.sender = bare_address(transaction.sender);
  record.auth_user = transaction.auth_user;
  for (const RecipientVerdict& r : report.recipients) record.recipients.push_back(r.address);
  record.rule = decision.rule;
  record.action = std::string(to_string(decision.action));
  record.monitor = decision.monitor;
  record.override_justification = decision.override_justification;
  nlohmann::ordered_json details;
  details["recipients"] = nlohmann::ordered_json::array();
  for (const RecipientVerdict& r : report.recipients) details["recipients"].push_back(to_json(r));
  details["findings"] = nlohmann::ordered_json::array();
  for (const Finding& f : report.findings) details["findings"].push_back(to_json(f));
  details["attachments"] = nlohmann::ordered_json::array();
  for (const Attachment& a : report.attachments) details["attachments"].push_back(to_json(a));
  details["decision"] = to_json(decision);
  record.details_json = dump_line(details);

  auto written = store_->append_audit(record);
  if (!written) {
    if (decision.monitor) {
      spdlog::error("{}: could not write the audit record: {}", or_dash(transaction.queue_id),
                    written.error().message);
      return {};
    }
    return fail_message(transaction, "audit log unavailable: " + written.error().message);
  }

  MessageOutcome outcome;
  if (decision.monitor) {
    if (decision.action != Action::kAccept && decision.action != Action::kTag)
      counters_.monitored.fetch_add(1);
    return outcome;
  }
  if (!decision.override_justification.empty()) {
    counters_.overrides.fetch_add(1);
    spdlog::info("{}: the sender confirmed past rule {}: \"{}\"", or_dash(transaction.queue_id),
                 or_dash(record.rule), decision.override_justification);
  }
  switch (decision.action) {
    case Action::kReject:
      counters_.rejected.fetch_add(1);
      outcome.verb = MessageOutcome::Verb::kReject;
      outcome.reply = decision.reply;
      break;
    case Action::kHold: {
      QuarantineEntry entry;
      entry.held_at = record.time;
      entry.queue_id = transaction.queue_id;
      entry.message_id = report.message_id;
      entry.sender = record.sender;
      // A recipient another rule drops is removed from the message as it is held: released
      // later, the message must not reach it.
      for (std::size_t i = 0; i < record.recipients.size(); ++i) {
        bool was_dropped = i < decision.recipients.size() &&
                           decision.recipients[i].action == Action::kDropRecipient;
        if (!was_dropped) entry.recipients.push_back(record.recipients[i]);
      }
      entry.rule = decision.rule;
      for (const RecipientDecision& d : decision.recipients) {
        if (d.action == Action::kHold && !d.reason.empty()) {
          entry.reason = d.reason;
          break;
        }
      }
      entry.location = "postfix-hold:" + config_.postfix_config_dir + ":" + transaction.queue_id;
      auto id = store_->hold(entry);
      if (!id)
        return fail_message(transaction, "quarantine index unavailable: " + id.error().message);
      counters_.held.fetch_add(1);
      outcome.quarantine_id = *id;
      outcome.quarantine_reason = "sendguard " + *id + ": rule " + decision.rule;
      outcome.add_headers.emplace_back("X-Sendguard-Quarantine-Id", *id);
      notify_sender(transaction, evaluation, drop_recipients(transaction, decision, outcome));
      break;
    }
    case Action::kDropRecipient:
      notify_sender(transaction, evaluation, drop_recipients(transaction, decision, outcome));
      break;
    case Action::kTag:
      counters_.tagged.fetch_add(1);
      break;
    case Action::kAccept:
      break;
  }
  if (decision.action == Action::kTag || decision.action == Action::kHold ||
      decision.action == Action::kDropRecipient) {
    outcome.add_headers.insert(outcome.add_headers.end(), decision.add_headers.begin(),
                               decision.add_headers.end());
    for (const std::string& name : decision.remove_headers) {
      int occurrences = 0;
      for (const auto& header : report.headers)
        occurrences += strcasecmp(header.first.c_str(), name.c_str()) == 0;
      for (int i = occurrences; i >= 1; --i) outcome.remove_headers.emplace_back(name, i);
    }
    std::string subject = decision.subject_without_override.value_or(report.subject);
    if (!decision.subject_prefix.empty() && !subject.starts_with(decision.subject_prefix)) {
      subject = subject.empty() ? decision.subject_prefix : decision.subject_prefix + " " + subject;
    }
    if (subject != report.subject) outcome.new_subject = encode_header_text(subject);
  }
  return outcome;
}

}  // namespace sendguard
