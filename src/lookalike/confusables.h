// Characters that look like others (lookalike module internal).
//
// Unicode lookalikes ("homoglyphs") are found with ICU's spoof checker: the UTS #39 skeleton
// of each non-ASCII character, case-folded, tells which ASCII letter it imitates. UTS #39 does
// not equate the ASCII sequences people misread in domain names (rn/m, cl/d, vv/w, 0/o, 1/l),
// so fold_ascii_lookalikes() adds those.
//
// Thread-safety: a ConfusableFolder is immutable after creation and may be shared.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

struct USpoofChecker;

namespace sendguard::lookalike_internal {

struct Substitution {
  std::string shown;     // the character as written (UTF-8), e.g. "р"
  std::string imitates;  // the ASCII it looks like, e.g. "p"
  std::string script;    // the Unicode script of `shown`, e.g. "Cyrillic"
  std::uint32_t code_point;
};

struct FoldedDomain {
  std::string ascii;                        // the domain as it looks, in ASCII where possible
  std::vector<Substitution> substitutions;  // the non-ASCII characters that were replaced
  bool all_ascii = true;                    // every character could be mapped to ASCII
};

class ConfusableFolder {
 public:
  static Result<ConfusableFolder> create();

  // Maps each non-ASCII character of a Unicode domain to the ASCII it imitates.
  FoldedDomain fold(std::string_view unicode_domain) const;

 private:
  struct Closer {
    void operator()(USpoofChecker* checker) const;
  };
  std::shared_ptr<USpoofChecker> checker_;
};

// Replaces ASCII sequences that read as other letters: rn→m, cl→d, vv→w, 0→o, 1→l.
std::string fold_ascii_lookalikes(std::string_view ascii);
// The same into `out` (room for ascii.size() characters), without allocating.
std::string_view fold_ascii_lookalikes(std::string_view ascii, char* out);

}  // namespace sendguard::lookalike_internal
