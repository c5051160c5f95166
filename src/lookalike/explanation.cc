#include "lookalike/explanation.h"

namespace sendguard::lookalike_internal {
namespace {

std::string character(char c) {
  if (c == '-') return "a hyphen";
  if (c == '.') return "a dot";
  if (c >= '0' && c <= '9') return std::string("the digit ") + c;
  return std::string("the letter ") + c;
}

std::string bare(char c) {
  if (c == '-') return "a hyphen";
  if (c == '.') return "a dot";
  return std::string(1, c);
}

std::string describe(const Edit& e) {
  switch (e.op) {
    case EditOp::kOmission:
      if (e.reason == EditReason::kRepeat) {
        return std::string("the double ") + e.known_char + " typed once";
      }
      return character(e.known_char) + " missing";
    case EditOp::kInsertion:
      if (e.reason == EditReason::kRepeat) return character(e.query_char) + " doubled";
      if (e.reason == EditReason::kKeyboard) {
        return "an extra " + bare(e.query_char) + " (a neighbouring key)";
      }
      if (e.query_char == '-' || e.query_char == '.') return bare(e.query_char) + " added";
      return "an extra " + bare(e.query_char);
    case EditOp::kReplacement: {
      std::string base = character(e.query_char) + " in place of " + bare(e.known_char);
      switch (e.reason) {
        case EditReason::kKeyboard:
          return base + " (neighbouring keys)";
        case EditReason::kBitFlip:
          return base + " (a one-bit change)";
        case EditReason::kLookalike:
          return base + " (they look alike)";
        default:
          return base;
      }
    }
    case EditOp::kTransposition:
      return std::string("the letters ") + e.known_char + " and " + e.query_char + " swapped";
  }
  return "a change";
}

}  // namespace

std::string edit_kind(std::span<const Edit> edits, bool in_suffix) {
  if (edits.size() != 1) return "two-edits";
  if (in_suffix) return "top-level-domain";
  const Edit& e = edits.front();
  if (e.reason == EditReason::kHyphen) return "hyphenation";
  if (e.reason == EditReason::kDot) return "dot";
  switch (e.op) {
    case EditOp::kOmission:
      return "omission";
    case EditOp::kInsertion:
      return e.reason == EditReason::kRepeat ? "repetition" : "insertion";
    case EditOp::kTransposition:
      return "transposition";
    case EditOp::kReplacement:
      switch (e.reason) {
        case EditReason::kLookalike:
          return "homoglyph-ascii";
        case EditReason::kKeyboard:
          return "keyboard";
        case EditReason::kVowel:
          return "vowel-swap";
        case EditReason::kBitFlip:
          return "bitsquat";
        default:
          return "replacement";
      }
  }
  return "replacement";
}

std::string explain_edits(std::string_view shown, std::string_view known,
                          std::span<const Edit> edits, std::string_view changed_suffix) {
  std::string out = std::string(shown) + " looks like " + std::string(known) + " with ";
  for (std::size_t k = 0; k < edits.size(); ++k) {
    if (k > 0) out += " and ";
    out += describe(edits[k]);
  }
  // "the letter i missing from the top-level domain", "m in place of k in the ending .co.uk"
  const char* where = edits.size() == 1 && edits.front().op == EditOp::kOmission ? " from" : " in";
  if (changed_suffix.find('.') != std::string_view::npos) {
    out += where + std::string(" the ending .") + std::string(changed_suffix);
  } else if (!changed_suffix.empty()) {
    out += where + std::string(" the top-level domain");
  }
  out += '.';
  return out;
}

std::string explain_homoglyphs(std::string_view shown, std::string_view known,
                               std::span<const Substitution> substitutions) {
  std::string out = std::string(shown) + " looks like " + std::string(known) + " but ";
  if (substitutions.empty()) return out + "is written with different characters.";
  const Substitution& first = substitutions.front();
  out += "its " + first.shown + " is a " + first.script + " character, not the Latin " +
         first.imitates;
  if (substitutions.size() > 1) {
    out += " (and " + std::to_string(substitutions.size() - 1) + " more such character" +
           (substitutions.size() > 2 ? "s" : "") + ")";
  }
  return out + ".";
}

std::string explain_ascii_lookalike(std::string_view shown, std::string_view known) {
  static constexpr std::pair<std::string_view, std::string_view> kReadings[] = {
      {"rn", "m"}, {"cl", "d"}, {"vv", "w"}, {"0", "o"}, {"1", "l"}};
  std::size_t i = 0;
  while (i < shown.size() && i < known.size() && shown[i] == known[i]) ++i;
  std::string out = std::string(shown) + " looks like " + std::string(known);
  for (auto [written, read] : kReadings) {
    if (shown.substr(i, written.size()) == written) {
      return out + ": " + std::string(written) + " reads as " + std::string(read) + ".";
    }
  }
  return out + " at a glance.";
}

}  // namespace sendguard::lookalike_internal
