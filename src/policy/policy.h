// The policy: turns what the detectors found into what happens to the mail, with an
// explanation the sender understands. Nothing else decides actions.
//
// Rules come from the configuration (policy.rules) and are tried in order for each recipient;
// the first whose conditions all hold decides that recipient's action. A recipient no rule
// matches is accepted. The message's action is the strongest of its recipients' actions
// (accept < tag < drop-recipient < hold < reject); when every recipient is dropped the message
// is rejected instead, since it would go nowhere.
//
// Conditions of a rule (all optional; see RuleConfig in core/config.h for the YAML names):
//   recipient          the recipient's verdict is one of these (known, new, lookalike, invalid)
//   recipient_scope    internal (under policy.internal_domains) or external
//   recipient_domain   the recipient's domain matches one of these patterns; a pattern without
//                      '*' also covers its subdomains ("army.mil" covers "hq.army.mil")
//   finding            the message has findings of these detectors ('*' wildcards), at or above
//                      min_confidence (default medium), min_count matches in all, and for
//                      markings at or above min_level on the common scale (content.h)
//                      A finding whose `where` is "recipient:<address>" (the history's
//                      recipient.* signals) counts for that recipient alone.
//   cleared            false: the message carries a marking above what the recipient is
//                      cleared for (policy.clearance; internal recipients are cleared for all)
//   sender, sender_group, authenticated   who sends it
//   attachment         an attachment of one of these types (by content) or names ("*.xlsx")
//
// A rule that needs nothing from the message body (only recipient, recipient_scope,
// recipient_domain, sender, sender_group, authenticated) can decide at RCPT time, before the
// message is transferred: decide_recipient() is that fast path.
//
// Overrides: a rule marked overridable is confirmed past when the message carries a
// justification (the configured header, or "[override: why]" in the subject). The recipient
// is then tagged instead, and the decision records the justification for the audit log. The
// confirmation was meant for sendguard, not for the recipients: the decision names the override
// header to delete and the subject without its tag, so that neither leaves the organisation.
//
// Thread-safety: a Policy is immutable after build() and may be shared by any number of threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "content/content.h"
#include "core/config.h"
#include "core/error.h"
#include "lookalike/lookalike.h"
#include "mime/mime.h"

namespace sendguard {

enum class Action { kAccept, kTag, kDropRecipient, kHold, kReject };  // weakest first
std::string_view to_string(Action action);

struct Sender {
  std::string address;    // envelope sender (MAIL FROM); may be empty (bounces)
  std::string auth_user;  // SMTP AUTH login; empty when the client did not log in
};

struct RecipientDecision {
  std::string address;
  Action action = Action::kAccept;
  std::string rule;         // the rule that decided; empty when none matched
  std::string reason;       // one or two sentences for the sender; empty for accept
  bool overridden = false;  // an overridable rule was confirmed past with a justification
};

// What the policy needs to know about a message.
struct PolicyInput {
  Sender sender;
  std::vector<RecipientVerdict> recipients;
  std::vector<Finding> findings;
  std::vector<Attachment> attachments;
  std::vector<std::pair<std::string, std::string>> headers;  // name, decoded value
  std::string subject;                                       // decoded
};

struct Decision {
  Action action = Action::kAccept;            // for the whole message
  std::string rule;                           // the rule behind `action`
  std::vector<RecipientDecision> recipients;  // in the order of PolicyInput::recipients
  std::string reply;                          // reject: the text of the SMTP reply (no code)
  std::string override_justification;         // set when a rule was confirmed past
  // Set with override_justification: the headers that carried it, to be deleted (every
  // occurrence; empty when the subject carried it), and the subject without its
  // "[override: ...]" tag (none when the subject had no tag).
  std::vector<std::string> remove_headers;
  std::optional<std::string> subject_without_override;
  bool monitor = false;  // mode monitor: record, apply nothing
  // tag and hold: headers to add, and the subject prefix (empty: leave the subject alone).
  std::vector<std::pair<std::string, std::string>> add_headers;
  std::string subject_prefix;
};

class Policy {
 public:
  // Checks and compiles the rules; an error names the configuration file, line and problem.
  static Result<std::shared_ptr<const Policy>> build(const PolicyConfig& config,
                                                     const std::string& source);

  ~Policy();

  // RCPT-time fast path. Decides one recipient from its verdict and the sender alone, or
  // returns nullopt when an earlier rule that might match depends on the message, so the
  // decision has to wait for the end of data.
  std::optional<RecipientDecision> decide_recipient(const RecipientVerdict& recipient,
                                                    const Sender& sender) const;

  // The decision for a whole message.
  Decision decide(const PolicyInput& input) const;

  bool monitor() const;
  // True when `domain` (normalised) is one of the organisation's own.
  bool is_internal(std::string_view domain) const;

  struct Impl;

 private:
  explicit Policy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The justification an override carries in the message, if any: the value of the configured
// header, else the text of "[<keyword>: why]" in the subject. Shorter than the configured
// minimum counts as none.
std::optional<std::string> override_justification(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view subject,
    const OverrideConfig& config);

// `subject` without its "[<keyword>: ...]" override tag and the spaces around it, or none when it
// has no such tag.
std::optional<std::string> subject_without_override_tag(std::string_view subject,
                                                        const OverrideConfig& config);

}  // namespace sendguard
