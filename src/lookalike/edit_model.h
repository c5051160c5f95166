// How a query string was probably mistyped from a known one (lookalike module internal).
//
// A weighted Damerau-Levenshtein (optimal string alignment) distance in which each edit costs
// what it says about intent: slips that people really make (a neighbouring key, a doubled or a
// dropped letter, swapped letters, a lookalike character) cost less than arbitrary changes, so
// that a budget of cost, not of edit count, separates typos from different names.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

namespace sendguard::lookalike_internal {

enum class EditOp { kOmission, kInsertion, kReplacement, kTransposition };

enum class EditReason {
  kPlain,      // no more specific explanation
  kKeyboard,   // neighbouring keys
  kBitFlip,    // one bit apart
  kVowel,      // one vowel for another
  kLookalike,  // characters that look alike (0/o, 1/l)
  kRepeat,     // a letter doubled, or a double letter typed once
  kHyphen,     // a hyphen added or dropped
  kDot,        // a dot added or dropped
};

struct Edit {
  EditOp op;
  EditReason reason;
  std::size_t known_pos;  // index in the known string (insertions: the index they precede)
  char known_char;        // omitted, replaced, or first swapped character; 0 for insertions
  char query_char;        // inserted or replacing character; second swapped one for swaps
  double cost;
};

// What the cheapest edit costs (a lookalike character): n edits cost at least n times this.
inline constexpr double kCheapestEditCost = 0.4;

// The most edits align() explains. The index asks for two at most; a fixed capacity keeps an
// alignment on the stack, since one is computed for every candidate within the edit count.
inline constexpr int kMaxAlignedEdits = 4;

// The edits of an alignment, in order of position.
class EditList {
 public:
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const Edit& operator[](std::size_t k) const { return items_[k]; }
  const Edit& front() const { return items_[0]; }
  const Edit* begin() const { return items_.data(); }
  const Edit* end() const { return items_.data() + count_; }
  operator std::span<const Edit>() const { return {items_.data(), count_}; }
  bool full() const { return count_ == items_.size(); }
  void push_back(const Edit& e) { items_[count_++] = e; }
  void reverse();

 private:
  std::array<Edit, kMaxAlignedEdits + 1> items_;
  std::size_t count_ = 0;
};

struct Alignment {
  double cost = 0;
  EditList edits;  // in order of position
};

// How many characters two strings have in common at the start (`lead`) and, in what remains
// of the shorter after that, at the end (`trail`): lead + trail <= the shorter's length.
struct CommonEnds {
  std::size_t lead = 0;
  std::size_t trail = 0;
};
CommonEnds common_ends(std::string_view a, std::string_view b);

// What each edit costs: the prices align() adds up (a swap of two different neighbours costs
// kSwapCost). An omission or an insertion is priced by its neighbours in `known`: dropping
// known[i], and typing `typed` just before known[i].
inline constexpr double kSwapCost = 0.6;
double replacement_price(char known, char typed);
double omission_price(std::string_view known, std::size_t i);
double insertion_price(std::string_view known, std::size_t i, char typed);

// Plain OSA distance, or max_edits + 1 when it exceeds max_edits. The common ends are matched
// and only the middle is counted (an optimal alignment never needs to edit them).
int bounded_edit_distance(std::string_view a, std::string_view b, int max_edits);
// The same, by the diagonal band of the dynamic-programming table alone, for any length;
// bounded_edit_distance() uses it when a is longer than 64 characters.
int banded_edit_distance(std::string_view a, std::string_view b, int max_edits);

// What the cheapest single edit (an omission, an insertion, a replacement or a swap of two
// neighbours) that turns `known` into `query` costs, or std::nullopt when no single edit does.
// When align() explains a pair with one edit, that edit costs exactly this, as an alignment is
// the cheapest of all: so it bounds the score of a one-edit match without aligning it.
std::optional<double> single_edit_cost(std::string_view known, std::string_view query);

// The cheapest explanation of `query` as a mistyped `known`, when it needs at most max_edits
// (at most kMaxAlignedEdits) and costs at most max_cost. Does not allocate.
// The common ends of the two are matched as they are and only the middle is aligned: the
// index weighs candidates that share most of their text with the query, so the table shrinks
// to the few characters around the edits.
std::optional<Alignment> align(std::string_view known, std::string_view query, int max_edits,
                               double max_cost = std::numeric_limits<double>::infinity());

// align() with the first `lead` and the last `trail` characters, which the two must have in
// common, matched as they are; align() passes common_ends(). With 0 and 0 it aligns the whole,
// which the tests hold align() to.
std::optional<Alignment> align_between(std::string_view known, std::string_view query,
                                       std::size_t lead, std::size_t trail, int max_edits,
                                       double max_cost = std::numeric_limits<double>::infinity());

}  // namespace sendguard::lookalike_internal
