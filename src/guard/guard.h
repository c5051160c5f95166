// The one path every message takes: Guard::inspect() parses a message, checks its recipients
// and scans all its text, and returns what it found. Front-ends (the command line now, the
// milter later) only translate to and from it, so they all give the same answer.
//
// Thread-safety: a Guard is immutable after build() and may be shared by any number of
// threads; a configuration reload builds a new Guard.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "content/content.h"
#include "core/config.h"
#include "core/error.h"
#include "lookalike/lookalike.h"
#include "mime/mime.h"

namespace sendguard {

// What the MTA (or the command line) says about a message, beyond the message itself.
struct Envelope {
  std::string sender;                   // MAIL FROM; empty when unknown
  std::vector<std::string> recipients;  // RCPT TO; empty: use the To, Cc and Bcc headers
};

struct MessageReport {
  std::string from;                           // envelope sender, else the From header
  std::vector<RecipientVerdict> recipients;   // in the order given
  std::vector<Finding> findings;              // content findings and "unscannable" ones
  std::vector<Attachment> attachments;
  double parse_ms = 0;                        // wall time parsing and extracting text
  double scan_ms = 0;                         // wall time in the detectors

  // Whether anything here deserves attention: a lookalike or invalid recipient, or a finding
  // of medium or high confidence.
  bool flagged() const;
};

class Guard {
 public:
  static Result<std::shared_ptr<const Guard>> build(const Config& config,
                                                    const std::vector<std::string>& extra_known_files);

  RecipientVerdict check_recipient(std::string_view address) const;
  MessageReport inspect(std::string_view raw_message, const Envelope& envelope) const;

  const MimeLimits& limits() const { return limits_; }

 private:
  Guard() = default;
  std::shared_ptr<const LookalikeIndex> index_;
  std::shared_ptr<const ContentScanner> scanner_;
  MimeLimits limits_;
};

}  // namespace sendguard
