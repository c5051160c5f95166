// The figures a person reads first about an Investigation (investigate module internal): how
// many messages, recipients and senders, over which days, and which known domains and which
// senders were hit most. The HTML and JSON reports show the same figures, computed once here.
//
// A MisdirectedMessage is one recipient of one message; the figures count messages, so two
// lookalike recipients of the same message count once (see message_key()).
// Pure functions over plain values: thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "investigate/investigation.h"

namespace sendguard::investigate_internal {

// What identifies the message a MisdirectedMessage belongs to: its Message-ID when known,
// else the queue id with the sender (Postfix reuses queue ids), else the sender and the time.
std::string message_key(const MisdirectedMessage& message);

// True when the message carried sensitive content (only archives are inspected).
inline bool is_sensitive(const MisdirectedMessage& message) { return !message.findings.empty(); }

// The misdirected mail of one group: one known domain (and the lookalikes its mail went to
// instead), or one sender (and the lookalikes written to).
struct GroupSummary {
  std::string name;  // "army.mil", or the sender as first written (grouped case-insensitively)
  std::vector<std::string> lookalikes;  // e.g. {"army.ml", "arrny.mil"}, sorted
  std::size_t messages = 0;
  std::size_t recipients = 0;  // distinct addresses
  std::size_t sensitive_messages = 0;
};

struct InvestigationSummary {
  std::size_t entries = 0;     // MisdirectedMessage records: one per lookalike recipient
  std::size_t messages = 0;    // distinct messages
  std::size_t recipients = 0;  // distinct recipient addresses (compared case-insensitively)
  std::size_t senders = 0;     // distinct senders (compared case-insensitively)
  std::size_t sensitive_messages = 0;
  std::size_t uninspected_messages = 0;  // read from logs: their content is not known
  std::optional<std::chrono::system_clock::time_point> first, last;  // empty when none
  std::vector<GroupSummary> intended_domains;                        // most messages first
  std::vector<GroupSummary> senders_by_messages;                     // most messages first
};

InvestigationSummary summarize(const Investigation& investigation);

}  // namespace sendguard::investigate_internal
