#include "lookalike/edit_model.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lookalike/keyboard.h"

namespace sendguard::lookalike_internal {
namespace {

// Random strings and random edits of them, the same on every run (xorshift from a fixed seed).
class RandomEdits {
 public:
  explicit RandomEdits(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next(std::uint64_t bound) {
    state_ ^= state_ << 13, state_ ^= state_ >> 7, state_ ^= state_ << 17;
    return state_ % bound;
  }
  // `length` characters drawn from the first `letters` of `alphabet`.
  std::string text(std::size_t length, std::string_view alphabet, std::size_t letters) {
    std::string s(length, ' ');
    for (char& c : s) c = alphabet[next(letters)];
    return s;
  }
  // `edits` random insertions, omissions, replacements and swaps of neighbours.
  void edit(std::string& s, std::uint64_t edits, std::string_view alphabet, std::size_t letters) {
    for (; edits > 0; --edits) {
      const std::size_t at = s.empty() ? 0 : next(s.size());
      switch (next(4)) {
        case 0:
          s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), alphabet[next(letters)]);
          break;
        case 1:
          if (!s.empty()) s.erase(at, 1);
          break;
        case 2:
          if (!s.empty()) s[at] = alphabet[next(letters)];
          break;
        default:
          if (at + 1 < s.size()) std::swap(s[at], s[at + 1]);
      }
    }
  }

 private:
  std::uint64_t state_;
};

// A pair for align() to explain: a random string of up to `longest` characters and an edit of
// it by up to `most_edits` random edits, the edits allowed (one to three) and, in one pair out
// of `limited_one_in`, a cost limit of a multiple of 0.4 up to `most_fifths` of them.
struct AlignCase {
  std::string known, query;
  int max_edits;
  double max_cost;
};

AlignCase random_align_case(RandomEdits& random, std::string_view alphabet, std::size_t longest,
                            std::uint64_t most_edits, std::uint64_t limited_one_in,
                            std::uint64_t most_fifths) {
  const std::size_t letters = 2 + random.next(alphabet.size() - 1);
  AlignCase c;
  c.known = random.text(random.next(longest), alphabet, letters);
  c.query = c.known;
  random.edit(c.query, random.next(most_edits), alphabet, letters);
  c.max_edits = 1 + static_cast<int>(random.next(3));
  c.max_cost = random.next(limited_one_in) == 0
                   ? 0.4 * static_cast<double>(1 + random.next(most_fifths))
                   : std::numeric_limits<double>::infinity();
  return c;
}

TEST(Keyboard, NeighbouringKeysOnEachLayout) {
  EXPECT_TRUE(keys_adjacent('o', 'k'));  // QWERTY, diagonally below
  EXPECT_TRUE(keys_adjacent('o', '9'));  // the digit row above
  EXPECT_TRUE(keys_adjacent('a', 's'));
  EXPECT_TRUE(keys_adjacent('t', 'z'));  // QWERTZ: z sits where QWERTY has y
  EXPECT_TRUE(keys_adjacent('a', 'z'));  // AZERTY: a and z are neighbours in the top row
  EXPECT_FALSE(keys_adjacent('a', 'p'));
  EXPECT_FALSE(keys_adjacent('q', 'm') && keys_adjacent('q', 'p'));
}

TEST(Keyboard, BitFlipsAndLookalikes) {
  EXPECT_TRUE(one_bit_apart('l', 'h'));
  EXPECT_TRUE(one_bit_apart('c', 'g'));
  EXPECT_FALSE(one_bit_apart('a', 'a'));
  EXPECT_FALSE(one_bit_apart('a', 'z'));
  EXPECT_TRUE(ascii_lookalike('0', 'o'));
  EXPECT_TRUE(ascii_lookalike('l', '1'));
  EXPECT_FALSE(ascii_lookalike('a', 'b'));
}

TEST(BoundedEditDistance, CountsOptimalStringAlignment) {
  EXPECT_EQ(bounded_edit_distance("army", "army", 2), 0);
  EXPECT_EQ(bounded_edit_distance("army", "arny", 2), 1);
  EXPECT_EQ(bounded_edit_distance("army", "ramy", 2), 1);  // swap is one edit
  EXPECT_EQ(bounded_edit_distance("amazon", "wmaozn", 2), 2);
  EXPECT_EQ(bounded_edit_distance("army", "navy", 1), 2);  // capped at max + 1
  EXPECT_EQ(bounded_edit_distance("a", "abcdef", 2), 3);
  EXPECT_EQ(bounded_edit_distance("", "", 0), 0);
}

TEST(BoundedEditDistance, SwapsAreNotEditedAgain) {
  // Optimal string alignment, not full Damerau-Levenshtein: a swapped pair is not edited
  // further, so "ca" → "abc" takes three edits, not two.
  EXPECT_EQ(bounded_edit_distance("ca", "abc", 4), 3);
  EXPECT_EQ(banded_edit_distance("ca", "abc", 4), 3);
}

// The word-parallel count (up to 64 characters) and the banded table agree on every pair of
// strings, including those with repeated letters and swaps that a small alphabet produces.
TEST(BoundedEditDistance, BitParallelAgreesWithTheBandedTable) {
  RandomEdits random(0x9E3779B97F4A7C15ull);
  const std::string alphabet = "abcdef";
  for (int round = 0; round < 20000; ++round) {
    const std::size_t letters = 2 + random.next(4);
    std::string a = random.text(random.next(round % 10 == 0 ? 65 : 16), alphabet, letters);
    std::string b = a;
    random.edit(b, random.next(4), alphabet, letters);
    if (random.next(8) == 0) b = random.text(random.next(16), alphabet, letters);  // unrelated
    for (int max_edits = 0; max_edits <= 4; ++max_edits) {
      ASSERT_EQ(bounded_edit_distance(a, b, max_edits), banded_edit_distance(a, b, max_edits))
          << a << " / " << b << " within " << max_edits;
    }
  }
}

TEST(BoundedEditDistance, LongerThanAWordUsesTheBand) {
  const std::string known(70, 'x');
  std::string typed = known;
  typed[35] = 'y';
  EXPECT_EQ(bounded_edit_distance(known, typed, 2), 1);
  EXPECT_EQ(bounded_edit_distance(known, known + "yy", 1), 2);
}

Edit single_edit(std::string_view known, std::string_view query) {
  auto a = align(known, query, 2);
  EXPECT_TRUE(a.has_value()) << known << " / " << query;
  if (!a) return {};
  EXPECT_EQ(a->edits.size(), 1u) << known << " / " << query;
  return a->edits.empty() ? Edit{} : a->edits.front();
}

TEST(Align, NamesTheSlip) {
  Edit omission = single_edit("army.mil", "army.ml");
  EXPECT_EQ(omission.op, EditOp::kOmission);
  EXPECT_EQ(omission.known_char, 'i');
  EXPECT_EQ(omission.known_pos, 6u);

  Edit doubled = single_edit("amazon", "amaazon");
  EXPECT_EQ(doubled.op, EditOp::kInsertion);
  EXPECT_EQ(doubled.reason, EditReason::kRepeat);

  Edit double_once = single_edit("northropgrumman", "northropgruman");
  EXPECT_EQ(double_once.op, EditOp::kOmission);
  EXPECT_EQ(double_once.reason, EditReason::kRepeat);

  Edit key = single_edit("aol", "akl");
  EXPECT_EQ(key.op, EditOp::kReplacement);
  EXPECT_EQ(key.reason, EditReason::kKeyboard);

  Edit bit = single_edit("ucl", "uch");
  EXPECT_EQ(bit.reason, EditReason::kBitFlip);

  Edit vowel = single_edit("kongsberg", "kongsburg");
  EXPECT_EQ(vowel.reason, EditReason::kVowel);

  Edit look = single_edit("amazon", "amaz0n");
  EXPECT_EQ(look.reason, EditReason::kLookalike);

  Edit swap = single_edit("stanford", "stnaford");
  EXPECT_EQ(swap.op, EditOp::kTransposition);
  EXPECT_EQ(swap.known_char, 'a');
  EXPECT_EQ(swap.query_char, 'n');

  Edit hyphen = single_edit("salesforce", "sales-force");
  EXPECT_EQ(hyphen.reason, EditReason::kHyphen);

  Edit dot = single_edit("mailarmy", "mail.army");
  EXPECT_EQ(dot.reason, EditReason::kDot);
}

TEST(Align, PlausibleSlipsCostLessThanArbitraryChanges) {
  double keyboard = align("aol", "akl", 1)->cost;
  double arbitrary = align("aol", "abl", 1)->cost;
  EXPECT_LT(keyboard, arbitrary);
  EXPECT_LT(align("amazon", "amaz0n", 1)->cost, align("amazon", "amazkn", 1)->cost);
}

TEST(Align, RefusesMoreEditsThanAllowed) {
  EXPECT_FALSE(align("army", "navy", 1).has_value());
  EXPECT_FALSE(align("lloydsbank", "barclays", 2).has_value());
  EXPECT_TRUE(align("amazon", "wmaozn", 2).has_value());
  EXPECT_FALSE(align("amazon", "wmaozn", 1).has_value());
}

TEST(SingleEditCost, PricesTheCheapestSingleEdit) {
  EXPECT_DOUBLE_EQ(*single_edit_cost("army.mil", "army.ml"), 0.7);      // an omission
  EXPECT_DOUBLE_EQ(*single_edit_cost("google.com", "gogle.com"), 0.5);  // a double typed once
  EXPECT_DOUBLE_EQ(*single_edit_cost("army", "arny"), 0.4);             // n for m, lookalikes
  EXPECT_DOUBLE_EQ(*single_edit_cost("army", "armu"), 0.6);             // a neighbouring key
  EXPECT_DOUBLE_EQ(*single_edit_cost("army", "arym"), 0.6);             // a swap
  EXPECT_DOUBLE_EQ(*single_edit_cost("army", "armyy"), 0.5);            // a letter doubled
  EXPECT_FALSE(single_edit_cost("army", "army").has_value());
  EXPECT_FALSE(single_edit_cost("army", "navy").has_value());
  EXPECT_FALSE(single_edit_cost("army", "ar").has_value());
  EXPECT_FALSE(single_edit_cost("", "").has_value());
  EXPECT_DOUBLE_EQ(*single_edit_cost("", "a"), 1.0);
}

// The index relies on this to skip one-edit candidates that could not beat the best match.
TEST(SingleEditCost, IsWhatAnAlignmentAllowedOneEditCosts) {
  RandomEdits random(0x2545F4914F6CDD1Dull);
  const std::string alphabet = "aeimnorstlqw01-.";
  int one_edit = 0;
  for (int round = 0; round < 50000; ++round) {
    const std::size_t letters = 2 + random.next(alphabet.size() - 1);
    const std::string known = random.text(random.next(12), alphabet, letters);
    std::string query = known;
    random.edit(query, 1 + random.next(2), alphabet, letters);
    const auto cost = single_edit_cost(known, query);
    EXPECT_EQ(cost.has_value(), bounded_edit_distance(known, query, 2) == 1)
        << known << " / " << query;
    // Allowed one edit, align() finds it at exactly this cost, or refuses the pair (or finds
    // nothing to edit: the random edits may cancel out).
    if (const auto alignment = align(known, query, 1); alignment && !alignment->edits.empty()) {
      ++one_edit;
      ASSERT_EQ(alignment->edits.size(), 1u) << known << " / " << query;
      ASSERT_TRUE(cost.has_value()) << known << " / " << query;
      EXPECT_EQ(*cost, alignment->cost) << known << " / " << query;
    }
  }
  EXPECT_GT(one_edit, 5000);  // the comparison was made, many times
}

// align() fills the table only between the common ends of the two strings, less what it gives
// back of them. On pairs drawn from a few letters, so rich in runs ("aaaa"), repeats ("amama"),
// separators and lookalikes, where an edit could sit in many places or be made more cheaply
// inside a common end, it gives what the whole table gives: the same cost and the same edits,
// at the same places, for the same reasons. (Without the give-back this fails within the
// first few hundred pairs.)
TEST(Align, TheMiddleAloneGivesWhatTheWholeTableGives) {
  RandomEdits random(0xD1B54A32D192ED03ull);
  const std::string alphabet = "aamnrl1o0-.qwse";
  int compared = 0, shortened = 0;
  for (int round = 0; round < 100000; ++round) {
    const auto [known, query, max_edits, max_cost] =
        random_align_case(random, alphabet, 16, 4, 3, 5);
    const auto middle = align(known, query, max_edits, max_cost);
    const auto whole = align_between(known, query, 0, 0, max_edits, max_cost);
    ASSERT_EQ(middle.has_value(), whole.has_value()) << known << " / " << query;
    const CommonEnds ends = common_ends(known, query);
    shortened += ends.lead + ends.trail > 0;
    if (!whole) continue;
    ++compared;
    ASSERT_EQ(middle->cost, whole->cost) << known << " / " << query;
    ASSERT_EQ(middle->edits.size(), whole->edits.size()) << known << " / " << query;
    for (std::size_t k = 0; k < whole->edits.size(); ++k) {
      const Edit& a = middle->edits[k];
      const Edit& b = whole->edits[k];
      EXPECT_EQ(a.op, b.op) << known << " / " << query << " edit " << k;
      EXPECT_EQ(a.reason, b.reason) << known << " / " << query << " edit " << k;
      EXPECT_EQ(a.known_pos, b.known_pos) << known << " / " << query << " edit " << k;
      EXPECT_EQ(a.known_char, b.known_char) << known << " / " << query << " edit " << k;
      EXPECT_EQ(a.query_char, b.query_char) << known << " / " << query << " edit " << k;
      EXPECT_EQ(a.cost, b.cost) << known << " / " << query << " edit " << k;
    }
  }
  EXPECT_GT(compared, 30000);   // the comparison was made, many times
  EXPECT_GT(shortened, 50000);  // and most pairs had common ends to leave out
}

// The cheapest way to turn `known` into `query` with at most max_edits edits, from the whole
// table over (characters of known, characters of query, edits made) and the same prices, with
// none of align()'s shortcuts: no band, no common ends, no cost limit, no early end.
double cheapest_with_at_most(std::string_view known, std::string_view query, int max_edits) {
  constexpr double kNone = std::numeric_limits<double>::infinity();
  const std::size_t n = known.size(), m = query.size(), e = static_cast<std::size_t>(max_edits);
  // cost[i][j][k]: known[0, i) into query[0, j) with exactly k edits.
  std::vector<double> cost((n + 1) * (m + 1) * (e + 1), kNone);
  auto at = [&](std::size_t i, std::size_t j, std::size_t k) -> double& {
    return cost[(i * (m + 1) + j) * (e + 1) + k];
  };
  at(0, 0, 0) = 0;
  for (std::size_t i = 0; i <= n; ++i) {
    for (std::size_t j = 0; j <= m; ++j) {
      for (std::size_t k = 0; k <= e; ++k) {
        double& c = at(i, j, k);
        if (i > 0 && j > 0 && known[i - 1] == query[j - 1]) c = std::min(c, at(i - 1, j - 1, k));
        if (k == 0) continue;
        if (i > 0 && j > 0 && known[i - 1] != query[j - 1]) {
          c = std::min(c, at(i - 1, j - 1, k - 1) + replacement_price(known[i - 1], query[j - 1]));
        }
        if (i > 0) c = std::min(c, at(i - 1, j, k - 1) + omission_price(known, i - 1));
        if (j > 0) c = std::min(c, at(i, j - 1, k - 1) + insertion_price(known, i, query[j - 1]));
        if (i > 1 && j > 1 && known[i - 1] == query[j - 2] && known[i - 2] == query[j - 1] &&
            known[i - 1] != known[i - 2]) {
          c = std::min(c, at(i - 2, j - 2, k - 1) + kSwapCost);
        }
      }
    }
  }
  double best = kNone;
  for (std::size_t k = 0; k <= e; ++k) best = std::min(best, at(n, m, k));
  return best;
}

// align() keeps only the diagonals that an alignment within max_edits can reach, gives up on
// rows over the cost limit and leaves common ends out. Against the whole table: what it finds
// is the cheapest alignment with at most max_edits edits; and it refuses a pair that has one
// within the limit only when a cheaper alignment (or one as cheap) needs more edits.
TEST(Align, FindsTheCheapestAlignmentWithinTheEditsAllowed) {
  RandomEdits random(0x8CB92BA72F3D8DD7ull);
  const std::string alphabet = "aeomnrl1o0-.qwsz";
  int found = 0, refused_for_cheaper = 0;
  for (int round = 0; round < 20000; ++round) {
    const auto [known, query, max_edits, max_cost] =
        random_align_case(random, alphabet, 13, 5, 2, 6);
    const auto alignment = align(known, query, max_edits, max_cost);
    const double within = cheapest_with_at_most(known, query, max_edits);
    if (alignment) {
      ++found;
      ASSERT_LE(static_cast<int>(alignment->edits.size()), max_edits) << known << " / " << query;
      ASSERT_NEAR(alignment->cost, within, 1e-9) << known << " / " << query;
      double sum = 0;
      for (const Edit& edit : alignment->edits) sum += edit.cost;
      ASSERT_NEAR(sum, alignment->cost, 1e-9) << known << " / " << query;
    } else if (within <= max_cost + 1e-9) {
      ++refused_for_cheaper;
      const double any = cheapest_with_at_most(known, query, 2 * kMaxAlignedEdits + 16);
      ASSERT_LE(any, within + 1e-9) << known << " / " << query << " within " << max_edits;
    }
  }
  EXPECT_GT(found, 8000);  // both comparisons were made, many times
  EXPECT_GT(refused_for_cheaper, 500);
}

TEST(CommonEnds, TheStartFirstThenTheEndOfWhatIsLeft) {
  EXPECT_EQ(common_ends("army.mil", "army.ml").lead, 6u);
  EXPECT_EQ(common_ends("army.mil", "army.ml").trail, 1u);
  // "aab" and "ab": the start takes the a, so the end may take only the b.
  EXPECT_EQ(common_ends("aab", "ab").lead, 1u);
  EXPECT_EQ(common_ends("aab", "ab").trail, 1u);
  EXPECT_EQ(common_ends("same", "same").lead, 4u);
  EXPECT_EQ(common_ends("same", "same").trail, 0u);
  EXPECT_EQ(common_ends("", "abc").lead + common_ends("", "abc").trail, 0u);
}

TEST(Align, GivesUpOverTheCostLimitAndOnlyThen) {
  // "canegno" from "canhengo": an h dropped (0.7) and "ng" swapped (0.6). The swap spans two
  // rows of the table, and every cell of the row between costs more than 1.3.
  const auto unlimited = align("canhengo.com", "canegno.com", 2);
  ASSERT_TRUE(unlimited.has_value());
  const double cost = unlimited->cost;
  EXPECT_NEAR(cost, 1.3, 1e-9);
  const auto at_limit = align("canhengo.com", "canegno.com", 2, cost + 1e-9);
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_EQ(at_limit->cost, cost);
  ASSERT_EQ(at_limit->edits.size(), unlimited->edits.size());
  for (std::size_t k = 0; k < unlimited->edits.size(); ++k) {
    EXPECT_EQ(at_limit->edits[k].op, unlimited->edits[k].op);
    EXPECT_EQ(at_limit->edits[k].known_pos, unlimited->edits[k].known_pos);
  }
  EXPECT_FALSE(align("canhengo.com", "canegno.com", 2, cost - 0.05).has_value());
  EXPECT_FALSE(align("army", "arny", 1, 0.3).has_value());  // a keyboard slip costs 0.6
  EXPECT_TRUE(align("army", "arny", 1, 0.6 + 1e-9).has_value());
}

}  // namespace
}  // namespace sendguard::lookalike_internal
