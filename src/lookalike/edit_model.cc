#include "lookalike/edit_model.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "lookalike/keyboard.h"

namespace sendguard::lookalike_internal {
namespace {

// Costs: 1.0 is an arbitrary edit; the cheaper ones are the slips people actually make.
constexpr double kArbitrary = 1.0;
constexpr double kLookalikeCost = 0.4;
constexpr double kRepeatCost = 0.5;
constexpr double kTranspositionCost = 0.6;
constexpr double kKeyboardCost = 0.6;
constexpr double kSeparatorCost = 0.6;  // hyphen or dot added or dropped
constexpr double kVowelCost = 0.7;
constexpr double kBitFlipCost = 0.7;
constexpr double kOmissionCost = 0.7;
constexpr double kKeyboardInsertionCost = 0.7;

struct Priced {
  double cost;
  EditReason reason;
};

Priced replacement_cost(char known, char typed) {
  if (ascii_lookalike(known, typed)) return {kLookalikeCost, EditReason::kLookalike};
  if (keys_adjacent(known, typed)) return {kKeyboardCost, EditReason::kKeyboard};
  if (is_vowel(known) && is_vowel(typed)) return {kVowelCost, EditReason::kVowel};
  if (one_bit_apart(known, typed)) return {kBitFlipCost, EditReason::kBitFlip};
  return {kArbitrary, EditReason::kPlain};
}

Priced omission_cost(std::string_view known, std::size_t i) {
  char c = known[i];
  if ((i > 0 && known[i - 1] == c) || (i + 1 < known.size() && known[i + 1] == c)) {
    return {kRepeatCost, EditReason::kRepeat};
  }
  if (c == '-') return {kSeparatorCost, EditReason::kHyphen};
  if (c == '.') return {kSeparatorCost, EditReason::kDot};
  return {kOmissionCost, EditReason::kPlain};
}

// `typed` inserted just before known[i].
Priced insertion_cost(std::string_view known, std::size_t i, char typed) {
  char before = i > 0 ? known[i - 1] : 0;
  char after = i < known.size() ? known[i] : 0;
  if (typed == before || typed == after) return {kRepeatCost, EditReason::kRepeat};
  if (typed == '-') return {kSeparatorCost, EditReason::kHyphen};
  if (typed == '.') return {kSeparatorCost, EditReason::kDot};
  if ((before && keys_adjacent(typed, before)) || (after && keys_adjacent(typed, after))) {
    return {kKeyboardInsertionCost, EditReason::kKeyboard};
  }
  return {kArbitrary, EditReason::kPlain};
}

enum class Step : unsigned char { kNone, kMatch, kReplace, kOmit, kInsert, kSwap };

}  // namespace

int bounded_edit_distance(std::string_view a, std::string_view b, int max_edits) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  if (std::abs(n - m) > max_edits) return max_edits + 1;
  const int kFar = max_edits + 1;
  // Called for every candidate the index proposes, so it must not allocate: three rolling rows
  // of the OSA table on the stack (domains are at most kMaxRow - 1 bytes), and only the
  // diagonal band is computed; cells outside it are "far".
  constexpr int kMaxRow = 256;
  if (m >= kMaxRow) return kFar;
  int rows[3][kMaxRow];
  int* two_back = rows[0];
  int* prev = rows[1];
  int* cur = rows[2];
  for (int j = 0; j <= m; ++j) {
    two_back[j] = kFar;
    prev[j] = std::min(j, kFar);
  }
  for (int i = 1; i <= n; ++i) {
    int lo = std::max(1, i - max_edits), hi = std::min(m, i + max_edits);
    cur[0] = std::min(i, kFar);
    if (lo > 1) cur[lo - 1] = kFar;
    if (hi < m) cur[hi + 1] = kFar;
    int row_min = cur[0];
    for (int j = lo; j <= hi; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        v = std::min(v, two_back[j - 2] + 1);
      }
      cur[j] = std::min(v, kFar);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > max_edits) return kFar;
    int* recycled = two_back;
    two_back = prev;
    prev = cur;
    cur = recycled;
  }
  return std::min(prev[m], kFar);
}

std::optional<Alignment> align(std::string_view known, std::string_view query, int max_edits) {
  if (bounded_edit_distance(known, query, max_edits) > max_edits) return std::nullopt;
  const std::size_t n = known.size(), m = query.size(), width = m + 1;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // Scratch tables kept per thread: this runs for every candidate within the edit count, and
  // fresh vectors each time would cost more than the table itself.
  thread_local std::vector<double> cost;
  thread_local std::vector<Step> step;
  thread_local std::vector<EditReason> reason;
  cost.assign((n + 1) * width, kInf);
  step.assign((n + 1) * width, Step::kNone);
  reason.assign((n + 1) * width, EditReason::kPlain);
  auto at = [width](std::size_t i, std::size_t j) { return i * width + j; };

  cost[at(0, 0)] = 0;
  // Only the diagonal band can hold an alignment with at most max_edits edits.
  const std::size_t band = static_cast<std::size_t>(max_edits);
  for (std::size_t i = 0; i <= n; ++i) {
    const std::size_t j_end = std::min(m, i + band);
    for (std::size_t j = i > band ? i - band : 0; j <= j_end; ++j) {
      if (i == 0 && j == 0) continue;
      double best = kInf;
      Step best_step = Step::kNone;
      EditReason best_reason = EditReason::kPlain;
      auto consider = [&](double c, Step s, EditReason r) {
        if (c < best) {
          best = c;
          best_step = s;
          best_reason = r;
        }
      };
      if (i > 0 && j > 0) {
        if (known[i - 1] == query[j - 1]) {
          consider(cost[at(i - 1, j - 1)], Step::kMatch, EditReason::kPlain);
        } else {
          Priced p = replacement_cost(known[i - 1], query[j - 1]);
          consider(cost[at(i - 1, j - 1)] + p.cost, Step::kReplace, p.reason);
        }
      }
      if (i > 0) {
        Priced p = omission_cost(known, i - 1);
        consider(cost[at(i - 1, j)] + p.cost, Step::kOmit, p.reason);
      }
      if (j > 0) {
        Priced p = insertion_cost(known, i, query[j - 1]);
        consider(cost[at(i, j - 1)] + p.cost, Step::kInsert, p.reason);
      }
      if (i > 1 && j > 1 && known[i - 1] == query[j - 2] && known[i - 2] == query[j - 1] &&
          known[i - 1] != known[i - 2]) {
        consider(cost[at(i - 2, j - 2)] + kTranspositionCost, Step::kSwap, EditReason::kPlain);
      }
      cost[at(i, j)] = best;
      step[at(i, j)] = best_step;
      reason[at(i, j)] = best_reason;
    }
  }

  Alignment result;
  result.cost = cost[at(n, m)];
  std::size_t i = n, j = m;
  while (i > 0 || j > 0) {
    Step s = step[at(i, j)];
    EditReason r = reason[at(i, j)];
    double here = cost[at(i, j)];
    switch (s) {
      case Step::kMatch:
        --i, --j;
        break;
      case Step::kReplace:
        --i, --j;
        result.edits.push_back(
            {EditOp::kReplacement, r, i, known[i], query[j], here - cost[at(i, j)]});
        break;
      case Step::kOmit:
        --i;
        result.edits.push_back({EditOp::kOmission, r, i, known[i], 0, here - cost[at(i, j)]});
        break;
      case Step::kInsert:
        --j;
        result.edits.push_back({EditOp::kInsertion, r, i, 0, query[j], here - cost[at(i, j)]});
        break;
      case Step::kSwap:
        i -= 2, j -= 2;
        result.edits.push_back(
            {EditOp::kTransposition, r, i, known[i], known[i + 1], here - cost[at(i, j)]});
        break;
      case Step::kNone:
        return std::nullopt;  // unreachable: every cell but the origin has a step
    }
  }
  std::reverse(result.edits.begin(), result.edits.end());
  if (static_cast<int>(result.edits.size()) > max_edits) return std::nullopt;
  return result;
}

}  // namespace sendguard::lookalike_internal
