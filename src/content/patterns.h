// The built-in pattern table: every expression the scanner compiles, besides topic terms
// (topics.h) and organisation-defined detectors. A pattern only locates a candidate; the
// confirmer for its Kind decides (check digits, shape, context). Internal to content/.
#pragma once

#include <cstdint>
#include <span>

namespace sendguard::content {

enum class Kind : std::uint8_t {
  kCard,
  kIban,
  kNino,
  kNhs,
  kSsn,
  kPrivateKey,
  kAwsKey,
  kPassword,
  kGithub,
  kSlack,
  kStripe,
  kJwt,
  kConnUrl,
  kConnAdo,
  kMarking,    // a classification word or portion mark: markings.h looks at its line
  kUsHint,     // "Classified By:", "Derived From:": the text follows US marking rules
  kContext,    // arg = ContextCategory
  kTopicTerm,  // arg = index into topic_terms()
  kCustom,     // arg = index of the custom detector
};

// Context words raise the confidence of identifiers found within the context window.
enum ContextCategory : int { kCtxCard, kCtxIban, kCtxNino, kCtxNhs, kCtxSsn, kCtxAws, kCtxCount };

struct PatternSpec {
  const char* expression;
  unsigned flags;  // HS_FLAG_*
  Kind kind;
  int arg;
};

std::span<const PatternSpec> builtin_patterns();
// Context words (Kind::kContext, arg = ContextCategory): not in the main database, see
// ContextIndex.
std::span<const PatternSpec> context_patterns();

}  // namespace sendguard::content
