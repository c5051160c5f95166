// The one path every message takes: Guard::inspect() parses a message, checks its recipients
// and scans all its text, and returns what it found; Guard::evaluate() adds the policy's
// decision. Front-ends (the command line, the milter) only translate to and from it, so they
// all give the same answer.
//
// Thread-safety: a Guard is immutable after build() and may be shared by any number of
// threads; a configuration reload builds a new Guard.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content/content.h"
#include "core/config.h"
#include "core/error.h"
#include "lookalike/lookalike.h"
#include "mime/mime.h"
#include "policy/policy.h"

namespace sendguard {

// What the MTA (or the command line) says about a message, beyond the message itself.
struct Envelope {
  std::string sender;                   // MAIL FROM; empty when unknown
  std::string auth_user;                // SMTP AUTH login; empty when not logged in
  std::vector<std::string> recipients;  // RCPT TO; empty: use the To, Cc and Bcc headers
  std::string queue_id;                 // the MTA's queue id, when it has one
};

struct MessageReport {
  std::string from;                          // envelope sender, else the From header
  std::vector<RecipientVerdict> recipients;  // in the order given
  std::vector<Finding> findings;             // content findings and "unscannable" ones
  std::vector<Attachment> attachments;
  std::string subject;                                       // decoded
  std::string message_id;                                    // the Message-ID header, as written
  std::vector<std::pair<std::string, std::string>> headers;  // name, decoded value
  double parse_ms = 0;  // wall time parsing and extracting text
  double scan_ms = 0;   // wall time in the detectors

  // Whether anything here deserves attention: a lookalike or invalid recipient, or a finding
  // of medium or high confidence.
  bool flagged() const;
};

struct Evaluation {
  MessageReport report;
  Decision decision;
};

class Guard {
 public:
  // Builds the lookalike index, the content scanner and the policy; the organisation's
  // internal domains count as known domains. Errors name the configuration problem.
  static Result<std::shared_ptr<const Guard>> build(
      const Config& config, const std::vector<std::string>& extra_known_files);

  RecipientVerdict check_recipient(std::string_view address) const;
  MessageReport inspect(std::string_view raw_message, const Envelope& envelope) const;

  // inspect() and the policy's decision on what it found.
  Evaluation evaluate(std::string_view raw_message, const Envelope& envelope) const;
  // The policy's decision on a report, to which a caller may have added findings of its own
  // (the gateway adds the history's signals).
  Decision decide(const MessageReport& report, const Envelope& envelope) const;

  // The RCPT-time fast path: the recipient's verdict, and the policy's decision when it can
  // be made without the message (see Policy::decide_recipient).
  std::pair<RecipientVerdict, std::optional<RecipientDecision>> decide_recipient(
      std::string_view address, const Sender& sender) const;

  const MimeLimits& limits() const { return limits_; }
  const Policy& policy() const { return *policy_; }

 private:
  Guard() = default;
  std::shared_ptr<const LookalikeIndex> index_;
  std::shared_ptr<const ContentScanner> scanner_;
  std::shared_ptr<const Policy> policy_;
  MimeLimits limits_;
};

}  // namespace sendguard
