// Sentences that tell a sender why a recipient looks wrong (lookalike module internal).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "lookalike/confusables.h"
#include "lookalike/edit_model.h"

namespace sendguard::lookalike_internal {

// The kind reported for an edit-based match: the mechanism of a single edit ("omission",
// "keyboard", ...), "top-level-domain" when the slip is in the public suffix, or "two-edits".
std::string edit_kind(std::span<const Edit> edits, bool in_suffix);

// "army.ml looks like army.mil with the letter i missing from the top-level domain."
// `changed_suffix` is the known public suffix when the slip is there, else empty.
std::string explain_edits(std::string_view shown, std::string_view known,
                          std::span<const Edit> edits, std::string_view changed_suffix);

// "sрaceforce.mil looks like spaceforce.mil but its р is a Cyrillic letter, not the Latin p."
std::string explain_homoglyphs(std::string_view shown, std::string_view known,
                               std::span<const Substitution> substitutions);

// "rnet.police.uk looks like met.police.uk: rn reads as m."
std::string explain_ascii_lookalike(std::string_view shown, std::string_view known);

}  // namespace sendguard::lookalike_internal
