#include "lookalike/edit_model.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "lookalike/keyboard.h"

namespace sendguard::lookalike_internal {
namespace {

// Costs: 1.0 is an arbitrary edit; the cheaper ones are the slips people actually make.
constexpr double kArbitrary = 1.0;
constexpr double kLookalikeCost = kCheapestEditCost;
constexpr double kRepeatCost = 0.5;
// A swap of two neighbours costs kSwapCost (0.6, in the header: the tests price swaps too).
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

EditReason replacement_reason(char known, char typed) {
  if (ascii_lookalike(known, typed)) return EditReason::kLookalike;
  if (keys_adjacent(known, typed)) return EditReason::kKeyboard;
  if (is_vowel(known) && is_vowel(typed)) return EditReason::kVowel;
  if (one_bit_apart(known, typed)) return EditReason::kBitFlip;
  return EditReason::kPlain;
}

// A replacement's price follows from its reason.
Priced replacement_priced(EditReason reason) {
  switch (reason) {
    case EditReason::kLookalike:
      return {kLookalikeCost, reason};
    case EditReason::kKeyboard:
      return {kKeyboardCost, reason};
    case EditReason::kVowel:
      return {kVowelCost, reason};
    case EditReason::kBitFlip:
      return {kBitFlipCost, reason};
    default:
      return {kArbitrary, EditReason::kPlain};
  }
}

Priced classify_replacement(char known, char typed) {
  return replacement_priced(replacement_reason(known, typed));
}

// The reason of every pair of ASCII characters, worked out once: an alignment prices a few
// dozen pairs for each candidate the index proposes, and each price behind a table is a
// search through keyboard rows and lookalike lists. A byte a pair (32 KiB in all), so that the
// tables stay in the cache beside the index's lines.
struct PriceTables {
  std::array<std::uint8_t, 128 * 128> replacement;  // EditReason
  std::array<bool, 128 * 128> adjacent;
};

const PriceTables& price_tables() {
  static const PriceTables* const tables = [] {
    auto* t = new PriceTables;
    for (int a = 0; a < 128; ++a) {
      for (int b = 0; b < 128; ++b) {
        t->replacement[a * 128 + b] = static_cast<std::uint8_t>(
            replacement_reason(static_cast<char>(a), static_cast<char>(b)));
        t->adjacent[a * 128 + b] = keys_adjacent(static_cast<char>(a), static_cast<char>(b));
      }
    }
    return t;
  }();
  return *tables;
}

bool is_ascii(char c) { return static_cast<unsigned char>(c) < 128; }

Priced replacement_cost(const PriceTables& t, char known, char typed) {
  if (!is_ascii(known) || !is_ascii(typed)) return classify_replacement(known, typed);
  return replacement_priced(static_cast<EditReason>(
      t.replacement[static_cast<unsigned char>(known) * 128 + static_cast<unsigned char>(typed)]));
}

bool adjacent(const PriceTables& t, char a, char b) {
  if (!is_ascii(a) || !is_ascii(b)) return keys_adjacent(a, b);
  return t.adjacent[static_cast<unsigned char>(a) * 128 + static_cast<unsigned char>(b)];
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
Priced insertion_cost(const PriceTables& t, std::string_view known, std::size_t i, char typed) {
  char before = i > 0 ? known[i - 1] : 0;
  char after = i < known.size() ? known[i] : 0;
  if (typed == before || typed == after) return {kRepeatCost, EditReason::kRepeat};
  if (typed == '-') return {kSeparatorCost, EditReason::kHyphen};
  if (typed == '.') return {kSeparatorCost, EditReason::kDot};
  if ((before && adjacent(t, typed, before)) || (after && adjacent(t, typed, after))) {
    return {kKeyboardInsertionCost, EditReason::kKeyboard};
  }
  return {kArbitrary, EditReason::kPlain};
}

enum class Step : unsigned char { kNone, kMatch, kReplace, kOmit, kInsert, kSwap };

}  // namespace

void EditList::reverse() { std::reverse(items_.begin(), items_.begin() + count_); }

namespace {

// The OSA distance of a (at most 64 characters) and b by Hyyrö's bit-vector method: a column
// of the dynamic-programming table is a few machine words, each character of b one step of a
// dozen word operations, however far apart the strings are.
int bit_parallel_osa_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n == 0) return static_cast<int>(b.size());
  // Bit i of match[c]: a[i] == c. Only the entries for characters of a and b are read.
  std::array<std::uint64_t, 256> match;
  for (char c : b) match[static_cast<unsigned char>(c)] = 0;
  for (char c : a) match[static_cast<unsigned char>(c)] = 0;
  for (std::size_t i = 0; i < n; ++i) {
    match[static_cast<unsigned char>(a[i])] |= std::uint64_t{1} << i;
  }
  const std::uint64_t last = std::uint64_t{1} << (n - 1);
  std::uint64_t vp = ~std::uint64_t{0}, vn = 0, d0 = 0, previous_match = 0;
  int distance = static_cast<int>(n);
  for (char c : b) {
    const std::uint64_t pm = match[static_cast<unsigned char>(c)];
    const std::uint64_t swap = ((~d0 & pm) << 1) & previous_match;
    d0 = (((pm & vp) + vp) ^ vp) | pm | vn | swap;
    std::uint64_t hp = vn | ~(d0 | vp);
    std::uint64_t hn = d0 & vp;
    distance += (hp & last) != 0;
    distance -= (hn & last) != 0;
    hp = (hp << 1) | 1;
    hn <<= 1;
    vp = hn | ~(d0 | hp);
    vn = hp & d0;
    previous_match = pm;
  }
  return distance;
}

}  // namespace

double replacement_price(char known, char typed) {
  return replacement_cost(price_tables(), known, typed).cost;
}

double omission_price(std::string_view known, std::size_t i) {
  return omission_cost(known, i).cost;
}

double insertion_price(std::string_view known, std::size_t i, char typed) {
  return insertion_cost(price_tables(), known, i, typed).cost;
}

CommonEnds common_ends(std::string_view a, std::string_view b) {
  const std::size_t shorter = std::min(a.size(), b.size());
  CommonEnds ends;
  while (ends.lead < shorter && a[ends.lead] == b[ends.lead]) ++ends.lead;
  const std::size_t n = a.size(), m = b.size();
  while (ends.lead + ends.trail < shorter && a[n - 1 - ends.trail] == b[m - 1 - ends.trail]) {
    ++ends.trail;
  }
  return ends;
}

int bounded_edit_distance(std::string_view a, std::string_view b, int max_edits) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  if (std::abs(n - m) > max_edits) return max_edits + 1;
  if (a.size() <= 64) {
    const CommonEnds ends = common_ends(a, b);
    const std::string_view a_middle = a.substr(ends.lead, a.size() - ends.lead - ends.trail);
    const std::string_view b_middle = b.substr(ends.lead, b.size() - ends.lead - ends.trail);
    return std::min(bit_parallel_osa_distance(a_middle, b_middle), max_edits + 1);
  }
  return banded_edit_distance(a, b, max_edits);
}

int banded_edit_distance(std::string_view a, std::string_view b, int max_edits) {
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

std::optional<double> single_edit_cost(std::string_view known, std::string_view query) {
  const std::size_t n = known.size(), m = query.size();
  const std::size_t shorter = std::min(n, m);
  std::size_t prefix = 0;  // characters the two have in common at the start
  while (prefix < shorter && known[prefix] == query[prefix]) ++prefix;
  std::size_t suffix = 0;  // and at the end
  while (suffix < shorter && known[n - 1 - suffix] == query[m - 1 - suffix]) ++suffix;
  const PriceTables& tables = price_tables();
  if (n == m) {
    if (prefix == n) return std::nullopt;  // the same string: no edit at all
    if (prefix + suffix + 1 == n) {
      return replacement_cost(tables, known[prefix], query[prefix]).cost;
    }
    if (prefix + suffix + 2 == n && known[prefix] == query[prefix + 1] &&
        known[prefix + 1] == query[prefix]) {
      return kSwapCost;
    }
    return std::nullopt;
  }
  // Dropping known[i] gives query exactly when known and query agree before i and after it:
  // i <= prefix and n - 1 - i <= suffix. In a run of one letter every place does; the cheapest
  // counts (they cost the same unless a separator or a neighbour differs).
  if (n == m + 1) {
    if (prefix + suffix < m) return std::nullopt;
    double cheapest = std::numeric_limits<double>::infinity();
    for (std::size_t i = n - 1 - std::min(suffix, n - 1); i <= prefix; ++i) {
      cheapest = std::min(cheapest, omission_cost(known, i).cost);
    }
    return cheapest;
  }
  // Typing query[j] before known[j], likewise.
  if (m == n + 1) {
    if (prefix + suffix < n) return std::nullopt;
    double cheapest = std::numeric_limits<double>::infinity();
    for (std::size_t j = m - 1 - std::min(suffix, m - 1); j <= prefix; ++j) {
      cheapest = std::min(cheapest, insertion_cost(tables, known, j, query[j]).cost);
    }
    return cheapest;
  }
  return std::nullopt;
}

std::optional<Alignment> align(std::string_view known, std::string_view query, int max_edits,
                               double max_cost) {
  CommonEnds ends = common_ends(known, query);
  // An alignment may leave the diagonal inside a common end when that is cheaper: "lnl" →
  // "on1l" costs less as l→1 and a doubled l than as a 1 typed before the last l, and in
  // "amamamma" → "amamma" a dropped "am" can sit anywhere in the repeats. So each end gives
  // back one character more than the edits allowed, and then any stretch that repeats with a
  // period of up to max_edits characters, where edits could move without paying more: the
  // table then holds every place the whole table could choose.
  const std::size_t period = static_cast<std::size_t>(std::max(max_edits, 0));
  auto give_back = [&](std::size_t kept, auto at) {
    kept = kept > period + 1 ? kept - period - 1 : 0;
    auto repeats_at = [&](std::size_t i) {
      for (std::size_t p = 1; p <= period && i + p < known.size(); ++p) {
        if (at(i) == at(i + p)) return true;
      }
      return false;
    };
    while (kept > 0 && repeats_at(kept - 1)) --kept;
    return kept;
  };
  ends.lead = give_back(ends.lead, [&](std::size_t i) { return known[i]; });
  ends.trail = give_back(ends.trail, [&](std::size_t i) { return known[known.size() - 1 - i]; });
  return align_between(known, query, ends.lead, ends.trail, max_edits, max_cost);
}

std::optional<Alignment> align_between(std::string_view known, std::string_view query,
                                       std::size_t lead, std::size_t trail, int max_edits,
                                       double max_cost) {
  if (max_edits < 0 || max_edits > kMaxAlignedEdits) return std::nullopt;
  const std::size_t full_n = known.size(), full_m = query.size();
  if (lead + trail > std::min(full_n, full_m)) return std::nullopt;
  // No separate count of edits first: the index calls this only for candidates whose
  // bounded_edit_distance() it has already counted, and for strings further apart the band
  // below holds no alignment within max_edits either, so the answer is the same.
  if ((full_n > full_m ? full_n - full_m : full_m - full_n) > static_cast<std::size_t>(max_edits)) {
    return std::nullopt;
  }
  // The table covers only the middle, k against q; the prices of omissions and insertions look
  // at the neighbours in the whole of `known`, so they are the same as in a table of the whole.
  const std::string_view k = known.substr(lead, full_n - lead - trail);
  const std::string_view q = query.substr(lead, full_m - lead - trail);
  const std::size_t n = k.size(), m = q.size();
  // A path through cell (i, j) has made j - i more insertions than omissions there, and must
  // end m - n; so it needs at least |j - i| + |m - n - (j - i)| insertions and omissions. Only
  // the diagonals where that is at most max_edits can hold an alignment within it, and the
  // table keeps that band alone, on the stack: from `below` diagonals under the main one to
  // `above` over it (with max_edits 2: three diagonals for strings of one length, two when
  // one is a letter longer), cell (i, j) at i * width + (j - i + below).
  constexpr std::size_t kMaxLength = 255;
  constexpr std::size_t kMaxWidth = 2 * kMaxAlignedEdits + 1;
  if (n > kMaxLength || m > kMaxLength) return std::nullopt;
  const PriceTables& tables = price_tables();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::size_t spare = (static_cast<std::size_t>(max_edits) - (n > m ? n - m : m - n)) / 2;
  const std::size_t below = (n > m ? n - m : 0) + spare;
  const std::size_t above = (m > n ? m - n : 0) + spare;
  const std::size_t width = below + above + 1;
  struct Cell {
    double cost;
    Step step;
    EditReason reason;
  };
  std::array<Cell, (kMaxLength + 1) * kMaxWidth> table;
  auto in_band = [&](std::size_t i, std::size_t j) { return j + below >= i && j <= i + above; };
  auto at = [&](std::size_t i, std::size_t j) -> Cell& { return table[i * width + j + below - i]; };
  auto cost_at = [&](std::size_t i, std::size_t j) { return in_band(i, j) ? at(i, j).cost : kInf; };

  double previous_row_min = 0;
  for (std::size_t i = 0; i <= n; ++i) {
    const std::size_t j_begin = i > below ? i - below : 0;
    const std::size_t j_end = std::min(m, i + above);
    // Costs only grow along a path, and a path leaves out at most one row (a swap), so two
    // rows in a row whose every cell costs more than max_cost end the search: most candidates
    // the index weighs are over budget, and they stop early.
    double row_min = kInf;
    // Dropping known[i - 1] costs the same in every cell of the row.
    const Priced omission =
        i > 0 ? omission_cost(known, lead + i - 1) : Priced{kInf, EditReason::kPlain};
    // Cells of the band beyond the query's end are never read as reachable.
    for (std::size_t j = i > below ? i - below : 0; j <= i + above; ++j) {
      if (j < j_begin || j > j_end) at(i, j) = {kInf, Step::kNone, EditReason::kPlain};
    }
    for (std::size_t j = j_begin; j <= j_end; ++j) {
      if (i == 0 && j == 0) {
        at(0, 0) = {0, Step::kNone, EditReason::kPlain};
        row_min = 0;
        continue;
      }
      double best = kInf;
      Step best_step = Step::kNone;
      EditReason best_reason = EditReason::kPlain;
      // Without branches: which step is cheapest depends on the strings, so a branch here
      // was mispredicted often enough to be most of an alignment's time.
      auto consider = [&](double c, Step s, EditReason r) {
        const bool cheaper = c < best;
        best = cheaper ? c : best;
        best_step = cheaper ? s : best_step;
        best_reason = cheaper ? r : best_reason;
      };
      if (i > 0 && j > 0) {
        if (k[i - 1] == q[j - 1]) {
          consider(at(i - 1, j - 1).cost, Step::kMatch, EditReason::kPlain);
        } else {
          Priced p = replacement_cost(tables, k[i - 1], q[j - 1]);
          consider(at(i - 1, j - 1).cost + p.cost, Step::kReplace, p.reason);
        }
      }
      if (i > 0 && in_band(i - 1, j)) {
        consider(cost_at(i - 1, j) + omission.cost, Step::kOmit, omission.reason);
      }
      // An insertion costs at least kRepeatCost: one that could not beat the best step so far
      // (consider() keeps the first of equal costs) is not priced.
      if (j > 0 && in_band(i, j - 1) && cost_at(i, j - 1) + kRepeatCost < best) {
        Priced p = insertion_cost(tables, known, lead + i, q[j - 1]);
        consider(cost_at(i, j - 1) + p.cost, Step::kInsert, p.reason);
      }
      if (i > 1 && j > 1 && k[i - 1] == q[j - 2] && k[i - 2] == q[j - 1] && k[i - 1] != k[i - 2]) {
        consider(at(i - 2, j - 2).cost + kSwapCost, Step::kSwap, EditReason::kPlain);
      }
      // A cell over max_cost is left unreachable. A path within it never passes one, and no
      // cell within it chose one over a cheaper step, so the alignments within it are as
      // without the limit.
      if (best > max_cost) best = kInf, best_step = Step::kNone;
      at(i, j) = {best, best_step, best_reason};
      row_min = std::min(row_min, best);
    }
    if (row_min > max_cost && previous_row_min > max_cost) return std::nullopt;
    previous_row_min = row_min;
  }
  if (!in_band(n, m) || at(n, m).cost > max_cost) return std::nullopt;

  Alignment result;
  result.cost = at(n, m).cost;
  std::size_t i = n, j = m;
  while (i > 0 || j > 0) {
    const Cell& cell = at(i, j);
    const double here = cell.cost;
    // An explanation with more edits than allowed is rejected below; stop collecting early.
    if (result.edits.full()) return std::nullopt;
    switch (cell.step) {
      case Step::kMatch:
        --i, --j;
        break;
      case Step::kReplace:
        --i, --j;
        result.edits.push_back(
            {EditOp::kReplacement, cell.reason, lead + i, k[i], q[j], here - at(i, j).cost});
        break;
      case Step::kOmit:
        --i;
        result.edits.push_back(
            {EditOp::kOmission, cell.reason, lead + i, k[i], 0, here - at(i, j).cost});
        break;
      case Step::kInsert:
        --j;
        result.edits.push_back(
            {EditOp::kInsertion, cell.reason, lead + i, 0, q[j], here - at(i, j).cost});
        break;
      case Step::kSwap:
        i -= 2, j -= 2;
        result.edits.push_back(
            {EditOp::kTransposition, cell.reason, lead + i, k[i], k[i + 1], here - at(i, j).cost});
        break;
      case Step::kNone:
        return std::nullopt;  // unreachable: every cell but the origin has a step
    }
  }
  result.edits.reverse();
  if (static_cast<int>(result.edits.size()) > max_edits) return std::nullopt;
  return result;
}

}  // namespace sendguard::lookalike_internal
