// Sensitive-content detectors: personal data with real check digits, credentials, protective
// markings and sensitive topics, found in text that the mime module extracted from a message.
//
// All patterns of all detectors (built-in and organisation-defined) are compiled into one
// Hyperscan database, scanned once over each text; every match is then confirmed by a
// validator (check digits, issuer rules, entropy) and weighed by context words nearby, which
// a second, small database looks for around each candidate.
// Findings never carry a secret or a full number: excerpts are redacted before they leave
// this module.
//
// Thread-safety: a ContentScanner is immutable after build() and may be shared by any number
// of threads; each thread gets its own Hyperscan scratch space internally.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace sendguard {

enum class Confidence { kLow, kMedium, kHigh };
std::string_view to_string(Confidence confidence);

struct Finding {
  std::string detector;  // stable id: "pii.uk-nhs", "marking.uk", "unscannable", ...
  Confidence confidence = Confidence::kLow;
  std::string where;    // "subject", "body", "header:<name>", "attachment:<file name>"
  int count = 1;        // how many matches of this detector at this place
  std::string excerpt;  // redacted, e.g. "NHS number 943 *** ****"; never the full value
  std::string level;    // markings only: "OFFICIAL-SENSITIVE", "SECRET", "NATO SECRET", ...
  int rank = 0;         // markings only: the level on the common scale of marking_rank()
};

// A marking level's place on one scale shared by the UK, US, NATO and Australian schemes, so
// that a policy can say "OFFICIAL-SENSITIVE or above" and mean the equivalents too:
//   0 UNCLASSIFIED, NATO UNCLASSIFIED, UNOFFICIAL   1 OFFICIAL
//   2 CUI, PROTECT                                  3 OFFICIAL-SENSITIVE, OFFICIAL:Sensitive,
//   4 PROTECTED                                       RESTRICTED, NATO RESTRICTED
//   5 CONFIDENTIAL, NATO CONFIDENTIAL               6 SECRET, NATO SECRET
//   7 TOP SECRET                                    8 COSMIC TOP SECRET
// Case and the separator in "OFFICIAL-SENSITIVE" do not matter. -1 for a name not on it.
int marking_rank(std::string_view level);

// A detector an organisation defines in its configuration.
struct CustomDetector {
  std::string id;                     // e.g. "org.project-falcon"; must not clash with built-ins
  std::vector<std::string> keywords;  // matched case-insensitively on word boundaries
  std::vector<std::string> patterns;  // Hyperscan/PCRE-compatible regular expressions
  double weight = 1.0;                // 0..1 contribution per match; >= 1 reports at high
};

struct ContentOptions {
  std::vector<CustomDetector> custom_detectors;  // default: none
  std::size_t context_window_bytes = 300;        // context words are looked for this far away
};

class ContentScanner {
 public:
  // Fails with ErrorCode::kConfig naming the detector when a custom pattern does not compile.
  static Result<std::shared_ptr<const ContentScanner>> build(const ContentOptions& options);

  virtual ~ContentScanner() = default;

  // Scans one UTF-8 text found at `where` and appends its findings, one per detector and
  // place (count = matches, confidence = the highest of them).
  virtual void scan_text(std::string_view text, std::string_view where,
                         std::vector<Finding>& out) const = 0;

  // Scans one header field: labelling headers written by classification tools
  // (X-Protective-Marking, msip_labels, x-titus-metadata-40, ...) and the Australian
  // "[SEC=...]" subject form. Other headers are scanned as text with where "header:<name>".
  virtual void scan_header(std::string_view name, std::string_view value,
                           std::vector<Finding>& out) const = 0;
};

}  // namespace sendguard
