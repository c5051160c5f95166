// Protective markings: UK Government Security Classifications (and the legacy GPMS banners),
// US classification banners and portion marks, NATO, Australian PSPF, and the label headers
// classification tools write. Internal to content/. Thread-safe (pure functions).
//
// What makes a word a marking is where and how it is written, not the word: "official receipt"
// and "a top secret recipe" use the same words. So a classification word counts only as
//   - a banner: alone on its line, upper case, optionally with descriptors, caveats or US
//     control markings (SECRET//NOFORN) and decoration (*** OFFICIAL ***) -> high;
//   - a labelled line ("Classification: SECRET") -> high (medium when not upper case);
//   - the start of a subject ("OFFICIAL-SENSITIVE: contract") -> high;
//   - a portion mark opening a paragraph: (S//NF) -> high, (TS) (S) -> medium, (C) (U) -> low
//     ("(C) 2024" is a copyright line);
//   - strong inline forms: OFFICIAL-SENSITIVE (high upper case, medium mixed case),
//     LEVEL//CONTROLS (high), COSMIC TOP SECRET (high), NATO SECRET (medium), [SEC=...] (high);
//   - a label header written by a tool (X-Protective-Marking, msip_labels, x-titus-metadata-40,
//     X-Classification) -> high.
// A bare SECRET / TOP SECRET / CONFIDENTIAL banner is used by both the UK and the US; it is
// reported as marking.us when the text carries US-only evidence (control markings, portion
// marks, "Classified By:") and no UK-only evidence, marking.uk otherwise.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "content/detectors.h"

namespace sendguard::content {

struct MarkingHit {
  Hit hit;
  bool ambiguous = false;  // SECRET/TOP SECRET/CONFIDENTIAL with nothing to tell UK from US
};

// Examines the line holding `pos` (a classification word or portion mark found by the
// database). `line_start` receives the line's start so each line is examined once.
// `subject`: the text is a subject line, whose start counts as a banner.
std::optional<MarkingHit> marking_at(std::string_view text, std::size_t pos, bool subject,
                                     std::size_t& line_start);

// A header written by a classification tool; empty when `name` is not such a header.
// `name_lower` is the header name in lower case.
std::vector<MarkingHit> label_header(std::string_view name_lower, std::string_view value);
bool is_label_header(std::string_view name_lower);

// Resolves an ambiguous hit once the whole text has been seen.
std::string_view resolve_jurisdiction(bool us_evidence, bool uk_evidence);

}  // namespace sendguard::content
