// What `sendguard investigate` found: every message that went to a lookalike of a known or
// learned domain, with who sent it, when, and what it carried. The report writers (HTML, CSV,
// JSON) turn one Investigation into files; they decide nothing themselves.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "content/content.h"

namespace sendguard {

// One recipient of one message that went to a lookalike domain. A message with two such
// recipients gives two entries.
struct MisdirectedMessage {
  std::chrono::system_clock::time_point time;  // UTC
  std::string sender;
  std::string recipient;    // as the source gave it
  std::string domain;       // the recipient's normalised ASCII domain, e.g. "army.ml"
  std::string intended;     // the known domain it resembles, e.g. "army.mil"
  std::string kind;         // the kind of slip, e.g. "omission"
  double score = 0;         // 0..1, how sure the lookalike engine is that it is a slip
  std::string explanation;  // one sentence, e.g. "army.ml looks like army.mil with ..."
  std::string queue_id;     // empty when the source has none (archives)
  std::string message_id;   // empty when unknown
  std::string origin;       // where it was read, e.g. "mail.log.2.gz:1234"
  // Sensitive content found in the message (archives only: logs carry no bodies). Excerpts are
  // redacted by the detectors; nothing here holds a secret.
  std::vector<Finding> findings;
  bool body_inspected = false;  // false for log sources: "no findings" then means "not known"
};

struct Investigation {
  std::chrono::system_clock::time_point generated_at;                 // UTC
  std::optional<std::chrono::system_clock::time_point> since, until;  // the window asked for
  std::vector<std::string> sources;  // the files and directories read, as given
  std::size_t messages_read = 0;     // messages in the window, in every source
  std::size_t recipients_checked = 0;
  std::size_t known_domains = 0;                // configured plus learned
  std::vector<MisdirectedMessage> misdirected;  // oldest first
};

}  // namespace sendguard
