#include "guard/guard.h"

#include <strings.h>

#include <chrono>

namespace sendguard {
namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

bool MessageReport::flagged() const {
  for (const auto& r : recipients) {
    if (r.verdict == Verdict::kLookalike || r.verdict == Verdict::kInvalid) return true;
  }
  for (const auto& f : findings) {
    if (f.confidence != Confidence::kLow) return true;
  }
  return false;
}

Result<std::shared_ptr<const Guard>> Guard::build(
    const Config& config, const std::vector<std::string>& extra_known_files) {
  // The organisation's own domains are the ones a slip most often lands beside.
  Config with_internal = config;
  for (const std::string& d : config.policy.internal_domains)
    with_internal.recipients.known_domains.push_back(d);
  auto index = build_lookalike_index(with_internal, extra_known_files);
  if (!index) return std::unexpected(index.error());
  auto policy = Policy::build(config.policy, config.source);
  if (!policy) return std::unexpected(policy.error());

  ContentOptions content;
  for (const CustomDetectorConfig& d : config.content.custom_detectors) {
    content.custom_detectors.push_back({d.id, d.keywords, d.patterns, d.weight});
  }
  auto scanner = ContentScanner::build(content);
  if (!scanner) {
    return make_error(scanner.error().code, config.source + ": " + scanner.error().message);
  }

  std::shared_ptr<Guard> guard(new Guard());
  guard->index_ = std::move(*index);
  guard->scanner_ = std::move(*scanner);
  guard->policy_ = std::move(*policy);
  const MessageLimitsConfig& l = config.content.limits;
  guard->limits_.max_message_bytes = l.max_message_bytes;
  guard->limits_.max_depth = l.max_depth;
  guard->limits_.max_parts = l.max_parts;
  guard->limits_.max_decoded_bytes = l.max_decoded_bytes;
  guard->limits_.time_budget = std::chrono::milliseconds(l.time_budget_ms);
  return std::shared_ptr<const Guard>(std::move(guard));
}

RecipientVerdict Guard::check_recipient(std::string_view address) const {
  return index_->check_address(address);
}

MessageReport Guard::inspect(std::string_view raw_message, const Envelope& envelope) const {
  MessageReport report;
  Clock::time_point start = Clock::now();
  Result<ParsedMessage> parsed = parse_message(raw_message, limits_);
  report.parse_ms = milliseconds_since(start);

  std::vector<std::string> recipients = envelope.recipients;
  report.from = envelope.sender;
  if (!parsed) {
    // Not examinable at all: say so, so that the policy can hold it rather than pass it.
    report.findings.push_back(
        {"unscannable", Confidence::kHigh, "message", 1, parsed.error().message, ""});
  } else {
    if (report.from.empty()) report.from = parsed->from;
    if (recipients.empty()) {
      for (const auto* list : {&parsed->to, &parsed->cc, &parsed->bcc}) {
        recipients.insert(recipients.end(), list->begin(), list->end());
      }
    }
    start = Clock::now();
    for (const auto& [name, value] : parsed->headers) {
      scanner_->scan_header(name, value, report.findings);
    }
    for (const TextSegment& segment : parsed->texts) {
      // The Subject header was scanned above (scan_header reports it as "subject"); scanning
      // the same text again would report every finding in it twice.
      if (segment.where == "subject") continue;
      scanner_->scan_text(segment.text, segment.where, report.findings);
    }
    report.scan_ms = milliseconds_since(start);
    for (const Unscannable& u : parsed->unscannable) {
      Confidence severity = u.text_was_read ? Confidence::kLow : Confidence::kHigh;
      report.findings.push_back({"unscannable", severity, u.where, 1, u.reason, ""});
    }
    report.attachments = std::move(parsed->attachments);
    report.subject = std::move(parsed->subject);
    for (const auto& [name, value] : parsed->headers) {
      if (report.message_id.empty() && strcasecmp(name.c_str(), "Message-ID") == 0) {
        report.message_id = value;
      }
    }
    report.headers = std::move(parsed->headers);
  }
  for (const std::string& r : recipients) report.recipients.push_back(index_->check_address(r));
  return report;
}

Evaluation Guard::evaluate(std::string_view raw_message, const Envelope& envelope) const {
  Evaluation out;
  out.report = inspect(raw_message, envelope);
  out.decision = decide(out.report, envelope);
  return out;
}

Decision Guard::decide(const MessageReport& report, const Envelope& envelope) const {
  PolicyInput input;
  input.sender = {envelope.sender.empty() ? report.from : envelope.sender, envelope.auth_user};
  input.recipients = report.recipients;
  input.findings = report.findings;
  input.attachments = report.attachments;
  input.headers = report.headers;
  input.subject = report.subject;
  return policy_->decide(input);
}

std::pair<RecipientVerdict, std::optional<RecipientDecision>> Guard::decide_recipient(
    std::string_view address, const Sender& sender) const {
  RecipientVerdict verdict = index_->check_address(address);
  std::optional<RecipientDecision> decision = policy_->decide_recipient(verdict, sender);
  return {std::move(verdict), std::move(decision)};
}

}  // namespace sendguard
