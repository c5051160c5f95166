// LookalikeIndex: known-domain lookups, candidate generation and the precision rules.
//
// Every known domain is stored once in a text arena and reached through HashPostings under
// several tags. Edit-distance candidates are searched in the part before the public suffix (the
// stem), never in the suffix itself: the suffix is a handful of strings shared by hundreds of
// thousands of domains, so keys containing it select nothing. Stem keys are filed under the
// suffix instead, and a query tries each way of reading its own ending as a known suffix within
// one edit (army.ml → mil). Short stems are indexed with their one-deletion variants; longer
// ones by pairs of their quarters, because two edits leave at least two quarters untouched.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <span>
#include <unordered_map>

#include "core/flat_string_table.h"
#include "lookalike/confusables.h"
#include "lookalike/edit_model.h"
#include "lookalike/explanation.h"
#include "lookalike/hash_postings.h"
#include "lookalike/lookalike.h"

namespace sendguard {

using namespace lookalike_internal;

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kKnown:
      return "known";
    case Verdict::kNew:
      return "new";
    case Verdict::kLookalike:
      return "lookalike";
    case Verdict::kInvalid:
      return "invalid";
  }
  return "invalid";
}

namespace {

enum Tag : std::uint64_t {
  kTagExact = 1,      // the known domain
  kTagFolded = 2,     // fold_ascii_lookalikes(known)
  kTagJoined = 3,     // known without dots and hyphens
  kTagNameTld = 4,    // registrable label + "|" + top-level label
  kTagShortStem = 5,  // a short stem and its one-deletion variants, under its suffix
  kTagQuarters = 6,   // two quarters of a longer stem, under its suffix, length and pair
  kTagSuffix = 7,     // a known public suffix and its one-deletion variants (suffix postings)
};

// Stem keys are filed under the suffix (and a quarter-pair key under its pair), so that keys of
// different suffixes never meet in one posting list.
std::uint64_t stem_tag(Tag tag, std::uint32_t suffix_id, unsigned pair = 0) {
  return tag | std::uint64_t{suffix_id} << 8 | std::uint64_t{pair} << 52;
}

// A quarter-pair key is also filed under the length of its stem, but only in the eight hash
// bits below the 32 that choose its bucket (HashPostings keeps them beside each id and tells
// keys apart by them); the bucket depends on the two quarters alone. The same two quarters at
// the same place belong to stems of two or three lengths, which a query searches together:
// their entries then share one cache line, read once for all of them. The length moves those
// eight bits one-to-one, so posting lists, and the over-common ones dropped, stay those of one
// suffix, pair and length, and keys of other quarters are told apart as well as before.
std::uint64_t with_stem_length(std::uint64_t quarters_hash, std::size_t length) {
  const std::uint64_t moved = ((quarters_hash >> 24) + length * 0x9D) & 0xFF;
  return (quarters_hash & 0xFFFFFFFF00000000ull) | moved << 24;
}

constexpr std::size_t kSplitLength = 8;  // from this stem length on: two edits, or name and suffix
constexpr std::size_t kMinJoinedLength = 5;  // shorter joined forms embed by chance
constexpr std::size_t kMaxTails = 4;
constexpr std::size_t kMaxSuffixLabels = 3;  // longest ending of a query read as a public suffix
// Stems up to this length allow one edit and are indexed with their one-deletion variants,
// which are long enough to be selective; their quarters would be one or two letters.
constexpr std::size_t kShortStem = kSplitLength - 1;
constexpr std::size_t kMinQuarteredStem = 6;  // the shortest stem that may allow two edits

// The quarters of a stem of length n: quarter q is [bounds[q], bounds[q + 1]).
using QuarterBounds = std::array<std::size_t, 5>;
QuarterBounds quarter_bounds(std::size_t n) { return {0, n / 4, n / 2, 3 * n / 4, n}; }

// The pairs of quarters indexed for every longer stem. With at most two edits, at least two
// quarters are untouched, so one of these pairs appears unchanged in the query; with one edit,
// the first or the last pair does.
constexpr std::array<std::array<unsigned, 2>, 6> kPairs{
    {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}}};
constexpr unsigned kFirstHalf = 0, kSecondHalf = 5;
// A quarter pair shared by more known stems of one suffix and length than this is not indexed
// (HashPostings drops it). Lookups stay bounded; what is lost is a two-edit typo whose only
// untouched pair is that common, e.g. the first four letters of one of hundreds of "stra..."
// names, while its other quarters are changed.
constexpr std::size_t kMaxIdsPerQuarterKey = 24;

std::uint64_t quarter_pair_hash(std::string_view s, std::size_t a, std::size_t a_length,
                                std::size_t b, std::size_t b_length, std::uint64_t tag) {
  return hash_key_pair(s.substr(a, a_length), s.substr(b, b_length), tag);
}

// Where a query's quarter-pair probes cut its stem. They depend only on the query stem's length
// and on which known stems are searched (their lengths and edit budgets), so they are worked out
// once rather than by a search over edit offsets per lookup. A cut that several known lengths
// share (the same pair at the same place, e.g. the first half of stems of 8 and 9 letters) is
// kept once, with the set of those lengths: its quarters are hashed once and its line is read
// once (see with_stem_length), about a third fewer reads than one set of cuts per length.
struct QuarterProbe {
  std::uint8_t pair, a_start, a_length, b_start, b_length;
  // Bit k: known stems of m - 2 + k letters, m being the query stem's length.
  std::uint8_t known_lengths;
  bool same_cut(const QuarterProbe& o) const {
    return pair == o.pair && a_start == o.a_start && a_length == o.a_length &&
           b_start == o.b_start && b_length == o.b_length;
  }
};
constexpr int kLengthSpread = 2;  // known stem lengths searched: m - 2 to m + 2

// Which known stems a query stem is compared with: under the suffix it typed, with the edit
// budgets of a crowded or an uncrowded list, or under a known suffix one edit away from it,
// where only one edit in a stem of kSplitLength letters or more is allowed (see judge_alignment).
enum class StemSearch : unsigned { kSameSuffixCrowded, kSameSuffix, kNearSuffix };
constexpr unsigned kStemSearchModes = 3;

class QuarterProbePlan {
 public:
  static constexpr int kMaxEdits = 2;
  QuarterProbePlan();
  std::span<const QuarterProbe> probes(std::size_t m, StemSearch search) const;

 private:
  void add(std::size_t n, int e, int m);
  std::vector<QuarterProbe> probes_;
  std::vector<std::uint32_t> begin_;  // by (m, search); one more at the end
};

const QuarterProbePlan& quarter_plan() {
  static const QuarterProbePlan plan;
  return plan;
}

// The part of a known domain before its public suffix decides how much change is a typo.
struct Budget {
  int max_edits;
  double max_cost;
};

// `crowded`: the known list is long enough (LookalikeOptions::crowded_at) that a name two edits
// from a known one is weak evidence. Among a million synthetic names the relaxed budgets flag
// 29% of fresh names, most of them two edits from a name of 6 to 9 letters (docs/BENCHMARKS.md),
// so two edits then need a longer name.
Budget budget_for_name_length(std::size_t length, bool crowded) {
  if (length <= 3) return {1, 0.7};  // one plausible slip only: "aol" → "a0l", not "aim"
  if (length <= 5) return {1, 1.0};  // one edit of any kind
  if (!crowded) {
    if (length == 6) return {2, 1.3};  // two slips, or one arbitrary edit
    if (length == 7) return {2, 1.6};
    return {2, 2.0};  // two edits of any kind
  }
  if (length < kSplitLength) return {1, 1.0};
  if (length <= 9) return {2, 1.3};
  if (length <= 11) return {2, 1.6};
  return {2, 2.0};
}

constexpr double kSuffixBudget = 1.0;     // one edit in the public suffix
constexpr double kArbitraryEdit = 1.0;    // the cost of an edit that says nothing of intent
constexpr double kEpsilon = 1e-9;         // costs are sums of decimals: 0.6 + 1.0 > 1.6
constexpr double kMixedPenalty = 0.3;     // edits in both name and suffix are less likely slips
constexpr double kHomoglyphFloor = 0.95;  // the lowest homoglyph score; other rules stay below

// The highest score judge_alignment() can give a match that costs at least `least_cost`,
// measured against the name's budget or the suffix's, whichever is larger (a match's score is
// 1 - 0.5 * cost / budget); score_ceiling(), one that needs `distance` edits, each costing at
// least kCheapestEditCost.
double score_ceiling_for_cost(double least_cost, Budget budget) {
  return 1.0 - 0.5 * std::min(1.0, least_cost / std::max(budget.max_cost, kSuffixBudget));
}

double score_ceiling(int distance, Budget budget) {
  return score_ceiling_for_cost(distance * kCheapestEditCost, budget);
}

// A 64-bit multiset of a string's characters: bit c for the first occurrence of class c and
// bit 32 + c for the second (a-z, then the digits in four classes, '-' and '.'). Each edit adds
// at most one element to either side of the difference of two such sets (a swap adds none), so
// the larger side's popcount is a lower bound on the edit distance. Most candidates an index
// key proposes share half the name and differ in the rest; this rejects them with one AND and
// a popcount, before their text is read.
std::uint64_t letter_bag(std::string_view s) {
  std::uint64_t bag = 0;
  for (char c : s) {
    unsigned k;
    if (c >= 'a' && c <= 'z') {
      k = static_cast<unsigned>(c - 'a');
    } else if (c >= '0' && c <= '9') {
      k = 26 + static_cast<unsigned>(c - '0') % 4;
    } else {
      k = c == '-' ? 30 : 31;
    }
    const std::uint64_t bit = std::uint64_t{1} << k;
    bag |= bag & bit ? bit << 32 : bit;
  }
  return bag;
}

// std::popcount compiles to a library call unless the build targets a CPU with POPCNT, which
// a portable build cannot; this is the same count in a dozen inline operations, and it runs
// for every candidate the index proposes.
int bit_count(std::uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return static_cast<int>((x * 0x0101010101010101ull) >> 56);
}

int letter_bag_distance(std::uint64_t a, std::uint64_t b) {
  return std::max(bit_count(a & ~b), bit_count(b & ~a));
}

// A known domain: 32 bytes, aligned to 32 on an array that starts on a huge page, two to a
// cache line and never across two. The domain's text is kept in the record when it fits, as
// nearly every domain's does, so that a candidate costs one cache miss rather than one for its
// record and then another, dependent one, for its text; a longer text is in a side array.
struct alignas(32) KnownDomain {
  static constexpr std::size_t kInlineText = 21;
  std::uint64_t bag;          // letter_bag() of the domain
  std::uint8_t length;
  std::uint8_t name_begin;    // first character of the registrable label
  std::uint8_t suffix_begin;  // first character of the public suffix; 0 when it has none
  // The text when length <= kInlineText; otherwise its offset in the side array (4 bytes).
  char text[kInlineText];

  bool inline_text() const { return length <= kInlineText; }
  std::uint32_t long_text_offset() const {
    std::uint32_t offset;
    std::memcpy(&offset, text, sizeof offset);
    return offset;
  }
};
static_assert(sizeof(KnownDomain) == 32);

std::string joined(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '.' && c != '-') out += c;
  }
  return out;
}

// Whether `s` without its dots and hyphens is `joined_form`, without building it.
bool joined_equals(std::string_view s, std::string_view joined_form) {
  std::size_t k = 0;
  for (char c : s) {
    if (c == '.' || c == '-') continue;
    if (k == joined_form.size() || joined_form[k] != c) return false;
    ++k;
  }
  return k == joined_form.size();
}

std::string_view last_label(std::string_view s) {
  std::size_t dot = s.rfind('.');
  return dot == std::string_view::npos ? s : s.substr(dot + 1);
}

// q, then q without its first label, and so on while at least two labels remain.
struct Tails {
  std::array<std::string_view, kMaxTails> items;
  std::size_t count = 0;
  const std::string_view* begin() const { return items.data(); }
  const std::string_view* end() const { return items.data() + count; }
};

Tails tails(std::string_view q) {
  Tails out;
  out.items[out.count++] = q;
  std::size_t dot = q.find('.');
  while (dot != std::string_view::npos && out.count < kMaxTails) {
    std::string_view rest = q.substr(dot + 1);
    if (rest.find('.') == std::string_view::npos) break;
    out.items[out.count++] = rest;
    q = rest;
    dot = q.find('.');
  }
  return out;
}

// Calls emit(variant) for s and for every string made by deleting one character from s.
template <typename Emit>
void for_each_deletion(std::string_view s, Emit&& emit) {
  emit(s);
  char buf[kMaxDomainBytes + 1];
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && s[i] == s[i - 1]) continue;  // deleting either of a double letter is the same
    std::size_t n = 0;
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (k != i) buf[n++] = s[k];
    }
    emit(std::string_view(buf, n));
  }
}

bool under_suffix(std::string_view domain, std::string_view suffix) {
  return domain == suffix || (domain.size() > suffix.size() && domain.ends_with(suffix) &&
                              domain[domain.size() - suffix.size() - 1] == '.');
}

// A domain's public suffix and registrable domain, from one Public Suffix List lookup (the
// registrable domain is the suffix and one label more), both views into the classified domain.
struct Registrable {
  std::string_view suffix;
  std::string_view domain;  // empty when the domain is a suffix
};

struct Match {
  std::uint32_t id = 0;
  double score = 0;
  std::string kind;
  std::string explanation;
};

}  // namespace

struct LookalikeIndex::Impl {
  std::shared_ptr<const PublicSuffixList> suffixes;
  ConfusableFolder folder;
  std::string long_text;  // the known domains too long for their records, back to back
  HugeVector<KnownDomain> domains;
  HashPostings postings;
  HashPostings quarter_postings;            // kTagQuarters keys, over-common ones dropped
  std::vector<std::string> known_suffixes;  // the distinct public suffixes of known domains
  HashPostings suffix_postings;             // their one-deletion variants → suffix id
  // By suffix id: the known suffixes within one edit of it, itself included, in the order
  // search_near_suffixes() finds them.
  std::vector<std::vector<std::uint32_t>> near_suffixes;
  bool crowded = false;                     // see budget_for_name_length
  std::vector<std::string> trusted_suffixes;
  // Looked up with the registrable domain's view, without building a string.
  FlatStringTable<bool> providers;
  std::unordered_map<std::string, std::uint32_t> sister_group_of;

  std::string_view domain_text(std::uint32_t id) const {
    const KnownDomain& d = domains[id];
    if (d.inline_text()) return std::string_view(d.text, d.length);
    return std::string_view(long_text).substr(d.long_text_offset(), d.length);
  }

  template <typename Visit>
  void lookup(Tag tag, std::string_view key, Visit&& visit) const {
    postings.for_each(hash_key(key, tag), visit);
  }

  std::optional<std::uint32_t> find_exact(std::string_view domain) const;
  bool same_sister_group(std::string_view a, std::string_view b) const;
  void consider(Match candidate, std::optional<Match>& best) const;
  void find_homoglyphs(std::string_view view, const FoldedDomain& folded, std::string_view shown,
                       std::optional<Match>& best) const;
  Registrable registrable_of(std::string_view domain) const;
  void find_joined(std::string_view view, const Registrable& reg, std::optional<Match>& best) const;
  void find_suffix_swap(std::string_view view, const Registrable& reg,
                        std::optional<Match>& best) const;
  // The edit search runs in two steps, so that the table reads of all its probes (and of the
  // exact-form keys, see prefetch_exact_forms) are under way together before any is used.
  struct EditPlan {
    struct Reading {  // one way to read a tail as stem "." suffix, and its probes
      std::string_view tail;
      std::size_t short_begin, short_end, quarter_begin, quarter_end;
    };
    std::vector<Reading> readings;
    std::vector<std::uint64_t> short_hashes, quarter_hashes;
  };
  void plan_edits(std::string_view view, const Registrable& reg, EditPlan& plan) const;
  void find_edits(std::string_view view, std::string_view shown, const EditPlan& plan,
                  std::optional<Match>& best) const;
  void prefetch_exact_forms(std::string_view view, const Registrable& reg) const;
  // Calls visit(id) for each known suffix within one edit of `typed`, itself included.
  template <typename Visit>
  void for_each_near_suffix(std::string_view typed, Visit&& visit) const;
  template <typename Visit>
  void search_near_suffixes(std::string_view typed, Visit&& visit) const;
  void stem_probes(std::string_view stem, std::uint32_t suffix_id, bool same_suffix,
                   std::vector<std::uint64_t>& short_hashes,
                   std::vector<std::uint64_t>& quarter_hashes) const;
  std::optional<Match> judge_alignment(std::uint32_t id, std::string_view query,
                                       std::string_view shown,
                                       const std::optional<Match>& best) const;
};

std::optional<std::uint32_t> LookalikeIndex::Impl::find_exact(std::string_view domain) const {
  std::optional<std::uint32_t> found;
  lookup(kTagExact, domain, [&](std::uint32_t id) {
    if (!found && domain_text(id) == domain) found = id;
  });
  return found;
}

bool LookalikeIndex::Impl::same_sister_group(std::string_view a, std::string_view b) const {
  if (sister_group_of.empty()) return false;
  auto ga = sister_group_of.find(suffixes->registrable_domain(a));
  auto gb = sister_group_of.find(suffixes->registrable_domain(b));
  return ga != sister_group_of.end() && gb != sister_group_of.end() && ga->second == gb->second;
}

void LookalikeIndex::Impl::consider(Match candidate, std::optional<Match>& best) const {
  if (!best || candidate.score > best->score) best = std::move(candidate);
}

void LookalikeIndex::Impl::find_homoglyphs(std::string_view view, const FoldedDomain& folded,
                                           std::string_view shown,
                                           std::optional<Match>& best) const {
  if (!folded.substitutions.empty()) {
    for (std::string_view tail : tails(view)) {
      if (auto id = find_exact(tail)) {
        consider({*id, 0.99, "homoglyph",
                  explain_homoglyphs(shown, domain_text(*id), folded.substitutions)},
                 best);
        return;
      }
    }
  }
  if (view.size() > kMaxDomainBytes) return;
  char buf[kMaxDomainBytes], known_buf[kMaxDomainBytes];
  const std::string_view ascii_folded = fold_ascii_lookalikes(view, buf);
  lookup(kTagFolded, ascii_folded, [&](std::uint32_t id) {
    std::string_view k = domain_text(id);
    if (k != view && fold_ascii_lookalikes(k, known_buf) == ascii_folded) {
      consider({id, kHomoglyphFloor, folded.substitutions.empty() ? "homoglyph-ascii" : "homoglyph",
                explain_ascii_lookalike(view, k)},
               best);
    }
  });
}

Registrable LookalikeIndex::Impl::registrable_of(std::string_view domain) const {
  Registrable r{suffixes->public_suffix_view(domain), {}};
  if (r.suffix.size() + 1 < domain.size()) {
    std::size_t dot = domain.rfind('.', domain.size() - r.suffix.size() - 2);
    r.domain = domain.substr(dot == std::string_view::npos ? 0 : dot + 1);
  }
  return r;
}

void LookalikeIndex::Impl::prefetch_exact_forms(std::string_view view,
                                                const Registrable& reg) const {
  if (view.size() > kMaxDomainBytes) return;
  char buf[kMaxDomainBytes + 1];
  postings.prefetch(hash_key(fold_ascii_lookalikes(view, buf), kTagFolded));
  std::size_t n = 0;
  for (char c : view) {
    if (c != '.' && c != '-') buf[n++] = c;
  }
  postings.prefetch(hash_key(std::string_view(buf, n), kTagJoined));
  if (reg.domain.empty()) return;
  std::string_view name = reg.domain.substr(0, reg.domain.find('.'));
  std::string_view tld = last_label(view);
  std::memcpy(buf, name.data(), name.size());
  buf[name.size()] = '|';
  std::memcpy(buf + name.size() + 1, tld.data(), tld.size());
  postings.prefetch(hash_key(std::string_view(buf, name.size() + 1 + tld.size()), kTagNameTld));
}

void LookalikeIndex::Impl::find_joined(std::string_view view, const Registrable& reg,
                                       std::optional<Match>& best) const {
  // The query without dots and hyphens, then every run of its name's words (the known domain
  // inside another one: army-mil.com, army.mil.com, santandercouk.com). The runs are short
  // strings cut from one buffer, and their lookups are started together.
  constexpr std::size_t kMaxTokens = 12;
  constexpr std::size_t kMaxKeys = 1 + kMaxTokens * (kMaxTokens + 1) / 2;
  struct Key {
    std::size_t begin, length;  // in `text`
  };
  std::array<Key, kMaxKeys> keys;
  std::array<std::uint64_t, kMaxKeys> hashes;
  std::size_t key_count = 0;
  // The joined query, then the runs back to back; kept per thread, so that its memory is
  // allocated once rather than for every query.
  thread_local std::string text;
  text.clear();
  for (char c : view) {
    if (c != '.' && c != '-') text += c;
  }
  keys[key_count] = {0, text.size()};
  hashes[key_count++] = hash_key(text, kTagJoined);

  if (!reg.domain.empty()) {
    std::string_view head = view.substr(0, view.size() - reg.suffix.size() - 1);
    std::array<std::string_view, kMaxTokens> tokens;
    std::size_t token_count = 0, start = 0;
    for (std::size_t i = 0; i <= head.size() && token_count < kMaxTokens; ++i) {
      if (i == head.size() || head[i] == '.' || head[i] == '-') {
        if (i > start) tokens[token_count++] = head.substr(start, i - start);
        start = i + 1;
      }
    }
    for (std::size_t a = 0; a < token_count; ++a) {
      std::size_t length = 0;
      for (std::size_t b = a; b < token_count; ++b) {
        length += tokens[b].size();
        if (length < kMinJoinedLength || length > kMaxDomainBytes) continue;
        const std::size_t begin = text.size();
        for (std::size_t t = a; t <= b; ++t) text += tokens[t];
        keys[key_count] = {begin, length};
        hashes[key_count++] = hash_key(std::string_view(text).substr(begin, length), kTagJoined);
      }
    }
  }

  postings.for_each_of(std::span(hashes.data(), key_count), [&](std::size_t k, std::uint32_t id) {
    const std::string_view key = std::string_view(text).substr(keys[k].begin, keys[k].length);
    const std::string_view known = domain_text(id);
    if (!joined_equals(known, key)) return;
    if (k == 0) {
      if (known == view) return;
      bool only_hyphens =
          std::count(known.begin(), known.end(), '.') == std::count(view.begin(), view.end(), '.');
      consider(
          {id, 0.9, only_hyphens ? "hyphenation" : "dot",
           std::string(view) + " looks like " + std::string(known) +
               (only_hyphens ? " with its hyphens changed." : " with its dots moved or dropped.")},
          best);
      return;
    }
    if (under_suffix(view, known)) return;
    consider(
        {id, 0.85, "embedded",
         std::string(view) + " is not " + std::string(known) + ": it has " + std::string(known) +
             " written inside another domain, " + std::string(reg.domain) + "."},
        best);
  });
}

void LookalikeIndex::Impl::find_suffix_swap(std::string_view view, const Registrable& reg,
                                            std::optional<Match>& best) const {
  std::string_view registrable = reg.domain;
  if (registrable.empty()) return;
  std::string_view name = registrable.substr(0, registrable.find('.'));
  std::string_view suffix = registrable.substr(name.size() + 1);
  std::string_view tld = last_label(view);
  char buf[kMaxDomainBytes + 1];
  std::memcpy(buf, name.data(), name.size());
  buf[name.size()] = '|';
  std::memcpy(buf + name.size() + 1, tld.data(), tld.size());
  lookup(kTagNameTld, std::string_view(buf, name.size() + 1 + tld.size()), [&](std::uint32_t id) {
    const KnownDomain& d = domains[id];
    std::string_view k = domain_text(id);
    std::string_view k_name = k.substr(d.name_begin, d.suffix_begin - d.name_begin - 1);
    std::string_view k_suffix = k.substr(d.suffix_begin);
    if (k_name != name || k_suffix == suffix || last_label(k) != tld) return;
    consider({id, 0.8, "suffix-swap",
              std::string(view) + " looks like " + std::string(k) + " but ends in ." +
                  std::string(suffix) + " instead of ." + std::string(k_suffix) + "."},
             best);
  });
}

std::optional<Match> LookalikeIndex::Impl::judge_alignment(std::uint32_t id, std::string_view query,
                                                           std::string_view shown,
                                                           const std::optional<Match>& best) const {
  const KnownDomain& d = domains[id];
  if (d.suffix_begin == 0) return std::nullopt;
  std::string_view k = domain_text(id);
  std::size_t name_length = d.suffix_begin - 1;  // everything before ".suffix"
  Budget budget = budget_for_name_length(name_length, crowded);
  // No match costs more than the larger of the name's and the suffix's budgets (the checks
  // below), so the alignment may give up as soon as it must cost more.
  auto alignment =
      align(k, query, budget.max_edits, std::max(budget.max_cost, kSuffixBudget) + kEpsilon);
  if (!alignment || alignment->edits.empty()) return std::nullopt;

  // Among a crowd of pronounceable names, a vowel for a vowel or a one-bit change is how two
  // different names most often differ, not a slip of the fingers. Alone it is still a telling
  // slip; beside a second edit it then counts as an arbitrary one (docs/ARCHITECTURE.md).
  const bool reprice_spelling = crowded && alignment->edits.size() >= 2;
  double name_cost = 0, suffix_cost = 0;
  int name_edits = 0, suffix_edits = 0;
  for (const Edit& e : alignment->edits) {
    const double cost =
        reprice_spelling && (e.reason == EditReason::kVowel || e.reason == EditReason::kBitFlip)
            ? kArbitraryEdit
            : e.cost;
    // An insertion belongs to the character it follows: "apples.com" changes the name.
    std::size_t pos = e.op == EditOp::kInsertion && e.known_pos > 0 ? e.known_pos - 1 : e.known_pos;
    if (pos + 1 >= d.suffix_begin) {
      suffix_cost += cost, ++suffix_edits;
    } else {
      name_cost += cost, ++name_edits;
    }
  }
  double used;
  if (name_edits == 0) {
    if (suffix_edits > 1 || suffix_cost > kSuffixBudget + kEpsilon) return std::nullopt;
    used = std::min(1.0, suffix_cost / kSuffixBudget);
  } else if (suffix_edits == 0) {
    if (name_cost > budget.max_cost + kEpsilon) return std::nullopt;
    used = std::min(1.0, name_cost / budget.max_cost);
  } else {
    if (name_length < kSplitLength) return std::nullopt;
    double total = name_cost + suffix_cost + kMixedPenalty;
    if (total > budget.max_cost + kEpsilon) return std::nullopt;
    used = std::min(1.0, total / budget.max_cost);
  }
  // Only a better match than the best so far is kept (consider()); its words are written then,
  // not for every candidate within budget.
  const double score = 1.0 - 0.5 * used;
  if (best && score <= best->score) return std::nullopt;
  bool in_suffix = name_edits == 0;
  return Match{
      id, score, edit_kind(alignment->edits, in_suffix),
      explain_edits(shown, k, alignment->edits, in_suffix ? k.substr(d.suffix_begin) : "")};
}

template <typename Visit>
void LookalikeIndex::Impl::for_each_near_suffix(std::string_view typed, Visit&& visit) const {
  // Nearly every query ends in a suffix that known domains use: its answer was worked out when
  // the index was built. The typed suffix is among its own variants, so one probe finds it.
  std::optional<std::uint32_t> typed_id;
  suffix_postings.for_each(hash_key(typed, kTagSuffix), [&](std::uint32_t id) {
    if (!typed_id && known_suffixes[id] == typed) typed_id = id;
  });
  if (typed_id) {
    for (std::uint32_t id : near_suffixes[*typed_id]) visit(id);
    return;
  }
  search_near_suffixes(typed, visit);
}

template <typename Visit>
void LookalikeIndex::Impl::search_near_suffixes(std::string_view typed, Visit&& visit) const {
  thread_local std::vector<std::uint64_t> hashes;
  hashes.clear();
  for_each_deletion(typed, [&](std::string_view v) { hashes.push_back(hash_key(v, kTagSuffix)); });
  std::array<std::uint32_t, 16> seen;
  std::size_t seen_count = 0;
  suffix_postings.for_each_of(hashes, [&](std::uint32_t id) {
    if (std::find(seen.begin(), seen.begin() + seen_count, id) != seen.begin() + seen_count) {
      return;
    }
    if (seen_count < seen.size()) seen[seen_count++] = id;
    if (bounded_edit_distance(known_suffixes[id], typed, 1) <= 1) visit(id);
  });
}

// The most edits allowed in a known stem of length n that `search` compares with. A stem under
// another suffix than the one typed may carry one edit at most, and only when it is long enough
// for name and suffix to change together (see judge_alignment).
int stem_edit_budget(std::size_t n, StemSearch search) {
  switch (search) {
    case StemSearch::kSameSuffixCrowded:
      return budget_for_name_length(n, /*crowded=*/true).max_edits;
    case StemSearch::kSameSuffix:
      return budget_for_name_length(n, /*crowded=*/false).max_edits;
    case StemSearch::kNearSuffix:
      return n >= kSplitLength ? 1 : 0;
  }
  return 0;
}

QuarterProbePlan::QuarterProbePlan() {
  begin_.push_back(0);
  for (std::size_t m = 0; m <= kMaxDomainBytes; ++m) {
    for (unsigned search = 0; search < kStemSearchModes; ++search) {
      const std::size_t first = probes_.size();
      for (std::size_t n = std::max(kMinQuarteredStem, m >= kLengthSpread ? m - kLengthSpread : 0);
           n <= std::min(m + kLengthSpread, kMaxDomainBytes); ++n) {
        const int e = stem_edit_budget(n, static_cast<StemSearch>(search));
        const int shift = static_cast<int>(m) - static_cast<int>(n);
        // Short stems within one edit are found by their deletion variants instead.
        if (e == 0 || std::abs(shift) > e || (n <= kShortStem && e < 2)) continue;
        add(n, e, static_cast<int>(m));
      }
      // One probe for each distinct cut, with every known length that asked for it.
      std::vector<QuarterProbe> distinct;
      for (auto p = probes_.begin() + static_cast<std::ptrdiff_t>(first); p != probes_.end(); ++p) {
        auto same = std::find_if(distinct.begin(), distinct.end(),
                                 [&](const QuarterProbe& o) { return o.same_cut(*p); });
        if (same == distinct.end()) {
          distinct.push_back(*p);
        } else {
          same->known_lengths |= p->known_lengths;
        }
      }
      probes_.resize(first);
      probes_.insert(probes_.end(), distinct.begin(), distinct.end());
      begin_.push_back(static_cast<std::uint32_t>(probes_.size()));
    }
  }
}

// A query stem of length m, against known stems of length n within e edits: each quarter pair
// at every position the edits before it could have moved it to.
void QuarterProbePlan::add(std::size_t n, int e, int m) {
  const int shift = m - static_cast<int>(n);
  const QuarterBounds q = quarter_bounds(n);
  for (unsigned p = 0; p < kPairs.size(); ++p) {
    if (e == 1 && p != kFirstHalf && p != kSecondHalf) continue;
    const unsigned a = kPairs[p][0], b = kPairs[p][1];
    unsigned others[2], k = 0;
    for (unsigned r = 0; r < 4; ++r) {
      if (r != a && r != b) others[k++] = r;
    }
    const int a_length = static_cast<int>(q[a + 1] - q[a]);
    const int b_length = static_cast<int>(q[b + 1] - q[b]);
    // The untouched quarters move by the net insertions in the quarters before them.
    const std::size_t first = probes_.size();
    for (int d1 = -e; d1 <= e; ++d1) {
      for (int d2 = -e; d2 <= e; ++d2) {
        if (std::abs(d1) + std::abs(d2) > e || d1 + d2 != shift) continue;
        auto moved = [&](unsigned r) {
          return static_cast<int>(q[r]) + (others[0] < r ? d1 : 0) + (others[1] < r ? d2 : 0);
        };
        const int at_a = moved(a), at_b = moved(b);
        if (at_a < 0 || at_b < 0 || at_a + a_length > m || at_b + b_length > m) continue;
        QuarterProbe probe{static_cast<std::uint8_t>(p),
                           static_cast<std::uint8_t>(at_a),
                           static_cast<std::uint8_t>(a_length),
                           static_cast<std::uint8_t>(at_b),
                           static_cast<std::uint8_t>(b_length),
                           static_cast<std::uint8_t>(1u << (kLengthSpread - shift))};
        auto same = [&](const QuarterProbe& o) {
          return o.pair == probe.pair && o.a_start == probe.a_start && o.b_start == probe.b_start;
        };
        if (std::none_of(probes_.begin() + static_cast<std::ptrdiff_t>(first), probes_.end(),
                         same)) {
          probes_.push_back(probe);
        }
      }
    }
  }
}

std::span<const QuarterProbe> QuarterProbePlan::probes(std::size_t m, StemSearch search) const {
  if (m > kMaxDomainBytes) return {};
  const std::size_t slot = m * kStemSearchModes + static_cast<std::size_t>(search);
  return std::span(probes_).subspan(begin_[slot], begin_[slot + 1] - begin_[slot]);
}

void LookalikeIndex::Impl::stem_probes(std::string_view stem, std::uint32_t suffix_id,
                                       bool same_suffix, std::vector<std::uint64_t>& short_hashes,
                                       std::vector<std::uint64_t>& quarter_hashes) const {
  // Each line's read starts as soon as its key is known, so that the first reads are under way
  // while the later keys are still being hashed.
  const std::size_t m = stem.size();
  if (same_suffix && m <= kShortStem + 1) {
    const std::uint64_t tag = stem_tag(kTagShortStem, suffix_id);
    for_each_deletion(stem, [&](std::string_view v) { short_hashes.push_back(hash_key(v, tag)); });
  }
  const StemSearch search = !same_suffix ? StemSearch::kNearSuffix
                            : crowded    ? StemSearch::kSameSuffixCrowded
                                         : StemSearch::kSameSuffix;
  for (const QuarterProbe& probe : quarter_plan().probes(m, search)) {
    const std::uint64_t quarters =
        quarter_pair_hash(stem, probe.a_start, probe.a_length, probe.b_start, probe.b_length,
                          stem_tag(kTagQuarters, suffix_id, probe.pair));
    for (unsigned k = 0; k <= 2 * kLengthSpread; ++k) {
      if (probe.known_lengths & (1u << k)) {
        quarter_hashes.push_back(with_stem_length(quarters, m + k - kLengthSpread));
      }
    }
  }
}

void LookalikeIndex::Impl::plan_edits(std::string_view view, const Registrable& reg,
                                      EditPlan& plan) const {
  plan.readings.clear();
  plan.short_hashes.clear();
  plan.quarter_hashes.clear();
  char buf[kMaxDomainBytes + 2];
  for (std::string_view tail : tails(view)) {
    // A tail shorter than the registrable domain is a public suffix (com.au in shop.com.au):
    // no one receives mail as its owner, so it resembling a known domain says nothing.
    if (tail.size() < reg.domain.size()) break;
    // Every way to read the tail as stem "." suffix, the suffix being a few labels at most.
    for (std::size_t dot = tail.find('.'); dot != std::string_view::npos;
         dot = tail.find('.', dot + 1)) {
      std::string_view stem = tail.substr(0, dot);
      std::string_view typed_suffix = tail.substr(dot + 1);
      if (stem.empty() || typed_suffix.empty() ||
          static_cast<std::size_t>(std::count(typed_suffix.begin(), typed_suffix.end(), '.')) >=
              kMaxSuffixLabels) {
        continue;
      }
      EditPlan::Reading reading{tail, plan.short_hashes.size(), 0, plan.quarter_hashes.size(), 0};
      for_each_near_suffix(typed_suffix, [&](std::uint32_t suffix_id) {
        const std::string& suffix = known_suffixes[suffix_id];
        bool same_suffix = suffix == typed_suffix;
        if (!same_suffix && stem.size() + 1 + suffix.size() <= kMaxDomainBytes) {
          // A slip in the suffix alone leaves the stem as it is: army.ml → army.mil. The exact
          // key lives in the same table as the short stem keys, so it joins their batch; what
          // it finds is verified with the other candidates.
          std::memcpy(buf, stem.data(), stem.size());
          buf[stem.size()] = '.';
          std::memcpy(buf + stem.size() + 1, suffix.data(), suffix.size());
          plan.short_hashes.push_back(
              hash_key(std::string_view(buf, stem.size() + 1 + suffix.size()), kTagExact));
        }
        stem_probes(stem, suffix_id, same_suffix, plan.short_hashes, plan.quarter_hashes);
      });
      reading.short_end = plan.short_hashes.size();
      reading.quarter_end = plan.quarter_hashes.size();
      plan.readings.push_back(reading);
    }
  }
  // All reads start together once every key is known: prefetches issued between the hashing
  // of one key and the next measured slower, as the hashing then waited for the queue of misses.
  for (std::uint64_t h : plan.short_hashes) postings.prefetch(h);
  for (std::size_t k = 0; k < plan.quarter_hashes.size(); ++k) {
    // Adjacent hashes of one cut share a line; it is read once.
    if (k == 0 || !HashPostings::same_bucket(plan.quarter_hashes[k], plan.quarter_hashes[k - 1])) {
      quarter_postings.prefetch(plan.quarter_hashes[k]);
    }
  }
}

void LookalikeIndex::Impl::find_edits(std::string_view view, std::string_view shown,
                                      const EditPlan& plan, std::optional<Match>& best) const {
  thread_local std::vector<std::uint32_t> candidates;
  thread_local std::vector<std::uint32_t> judged;  // against this tail, under any reading
  thread_local std::vector<std::uint32_t> survivors;
  struct Ranked {
    int distance;
    std::uint32_t id;
    double ceiling;
  };
  thread_local std::vector<Ranked> ranked;
  std::string_view last_tail;
  for (const EditPlan::Reading& reading : plan.readings) {
    const std::string_view tail = reading.tail;
    if (tail.data() != last_tail.data() || tail.size() != last_tail.size()) judged.clear();
    last_tail = tail;
    const std::uint64_t tail_bag = letter_bag(tail);
    candidates.clear();
    auto collect = [&](std::uint32_t id) { candidates.push_back(id); };
    const std::span<const std::uint64_t> short_hashes(plan.short_hashes);
    const std::span<const std::uint64_t> quarter_hashes(plan.quarter_hashes);
    for (std::uint64_t h :
         short_hashes.subspan(reading.short_begin, reading.short_end - reading.short_begin)) {
      postings.for_each(h, collect);
    }
    // The hashes of one cut for several stem lengths are adjacent and share a bucket.
    std::span<const std::uint64_t> cuts =
        quarter_hashes.subspan(reading.quarter_begin, reading.quarter_end - reading.quarter_begin);
    while (!cuts.empty()) {
      std::size_t same = 1;
      while (same < cuts.size() && same < HashPostings::kMaxHashesPerBucketPass &&
             HashPostings::same_bucket(cuts[same], cuts[0])) {
        ++same;
      }
      quarter_postings.for_each_in_bucket(cuts.first(same), collect);
      cuts = cuts.subspan(same);
    }
    // Each candidate costs a cache miss for its record, which holds its text too unless that
    // is long. The record's length and letter bag reject most candidates: all records are
    // fetched together, then the few long texts of the survivors. A candidate found under
    // several keys is tested again (its record is in the cache by then); `judged` keeps it from
    // surviving twice.
    for (std::uint32_t id : candidates) __builtin_prefetch(&domains[id]);
    survivors.clear();
    for (std::uint32_t id : candidates) {
      const KnownDomain& d = domains[id];
      if (d.suffix_begin == 0 || d.length > tail.size() + 2 || tail.size() > d.length + 2u) {
        continue;
      }
      const int max_edits = budget_for_name_length(d.suffix_begin - 1u, crowded).max_edits;
      if (letter_bag_distance(d.bag, tail_bag) > max_edits) continue;
      if (std::find(judged.begin(), judged.end(), id) != judged.end()) continue;
      judged.push_back(id);
      survivors.push_back(id);
      if (!d.inline_text()) __builtin_prefetch(long_text.data() + d.long_text_offset());
    }
    // Weighed in id order, so that of two equal matches the same one wins whatever the order
    // the keys found them in.
    std::sort(survivors.begin(), survivors.end());
    // In a crowded list a query may be within two edits of dozens of names. Their plain edit
    // counts are cheap to get; weighing them in order of that count lets a good one-edit match
    // rule out the rest, whose score could not be higher (see score_ceiling).
    ranked.clear();
    for (std::uint32_t id : survivors) {
      const std::string_view k = domain_text(id);
      const Budget budget = budget_for_name_length(domains[id].suffix_begin - 1u, crowded);
      const int distance = bounded_edit_distance(k, tail, budget.max_edits);
      if (distance == 0 || distance > budget.max_edits) continue;
      // Where one edit is all the budget allows, a match costs exactly what its single edit
      // does (align() finds that edit, or a cheaper pair of edits, which is then refused):
      // known without aligning, so that of the dozens of one-edit neighbours of a short name
      // only those that could beat the best so far are weighed. (With two edits allowed, a
      // cheaper pair would be a match, so there the count alone bounds the cost.)
      const std::optional<double> one_edit = distance == 1 && budget.max_edits == 1
                                                 ? single_edit_cost(k, tail)
                                                 : std::nullopt;
      ranked.push_back({distance, id,
                        one_edit ? score_ceiling_for_cost(*one_edit, budget)
                                 : score_ceiling(distance, budget)});
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const Ranked& a, const Ranked& b) { return a.distance < b.distance; });
    for (const Ranked& r : ranked) {
      if (best && best->score >= r.ceiling) continue;
      if (auto match = judge_alignment(r.id, tail, tail == view ? shown : tail, best)) {
        consider(std::move(*match), best);
      }
    }
  }
}

LookalikeIndex::LookalikeIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LookalikeIndex::~LookalikeIndex() = default;

std::size_t LookalikeIndex::size() const { return impl_->domains.size(); }

std::size_t LookalikeIndex::memory_bytes() const {
  std::size_t suffix_bytes = 0;
  for (const std::string& s : impl_->known_suffixes) suffix_bytes += sizeof(s) + s.capacity();
  for (const auto& near : impl_->near_suffixes) {
    suffix_bytes += sizeof(near) + near.capacity() * sizeof(std::uint32_t);
  }
  return impl_->long_text.capacity() + impl_->domains.capacity() * sizeof(KnownDomain) +
         impl_->postings.memory_bytes() + impl_->quarter_postings.memory_bytes() +
         impl_->suffix_postings.memory_bytes() + impl_->providers.memory_bytes() + suffix_bytes;
}

Result<std::shared_ptr<const LookalikeIndex>> LookalikeIndex::build(
    const LookalikeOptions& options, std::shared_ptr<const PublicSuffixList> suffixes) {
  auto impl = std::make_unique<Impl>();
  impl->suffixes = std::move(suffixes);
  auto folder = ConfusableFolder::create();
  if (!folder) return std::unexpected(folder.error());
  impl->folder = std::move(*folder);

  auto normalize_list = [](const std::vector<std::string>& list,
                           std::string_view what) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    out.reserve(list.size());
    for (const std::string& entry : list) {
      auto domain = normalize_domain(entry);
      if (!domain) {
        return make_error(ErrorCode::kConfig,
                          std::string(what) + " \"" + entry +
                              "\" is not a valid domain: " + domain.error().message);
      }
      out.push_back(std::move(domain->ascii));
    }
    return out;
  };

  auto known = normalize_list(options.known_domains, "known domain");
  if (!known) return std::unexpected(known.error());
  auto providers = normalize_list(options.mail_providers, "mail provider");
  if (!providers) return std::unexpected(providers.error());
  std::sort(providers->begin(), providers->end());
  providers->erase(std::unique(providers->begin(), providers->end()), providers->end());
  std::vector<std::pair<std::string, bool>> provider_entries;
  for (std::string& p : *providers) provider_entries.emplace_back(std::move(p), true);
  impl->providers = FlatStringTable<bool>(provider_entries);
  for (const std::string& suffix : options.trusted_suffixes) {
    std::string s = suffix;
    while (!s.empty() && s.front() == '.') s.erase(s.begin());
    auto normalized = normalize_domain(s.find('.') == std::string::npos ? s + ".x" : s);
    if (!normalized) {
      return make_error(ErrorCode::kConfig, "trusted suffix \"" + suffix +
                                                "\" is not valid: " + normalized.error().message);
    }
    std::string ascii = normalized->ascii;
    if (s.find('.') == std::string::npos) ascii.resize(ascii.size() - 2);
    impl->trusted_suffixes.push_back(ascii);
  }
  // A sorted list rather than a hash set: at a million domains the set's nodes would double
  // the peak memory of the build.
  std::sort(known->begin(), known->end());
  known->erase(std::unique(known->begin(), known->end()), known->end());
  for (std::size_t g = 0; g < options.sister_groups.size(); ++g) {
    auto members = normalize_list(options.sister_groups[g], "sister group member");
    if (!members) return std::unexpected(members.error());
    bool any_known = false;
    for (const std::string& m : *members) {
      impl->sister_group_of[impl->suffixes->registrable_domain(m)] = static_cast<std::uint32_t>(g);
      any_known = any_known || std::binary_search(known->begin(), known->end(), m);
    }
    if (!any_known) continue;
    // Added at once, so that a later group sharing a member with this one sees it as known.
    for (const std::string& m : *members) {
      auto at = std::lower_bound(known->begin(), known->end(), m);
      if (at == known->end() || *at != m) known->insert(at, m);
    }
  }
  if (known->size() > kMaxPostingId) {
    return make_error(ErrorCode::kConfig, "more than 16 million known domains");
  }

  impl->crowded = known->size() >= options.crowded_at;
  std::vector<std::uint64_t> packed;
  std::vector<std::uint64_t> quarter_packed;
  std::vector<std::uint64_t> suffix_packed;
  std::unordered_map<std::string, std::uint32_t> suffix_ids;
  packed.reserve(known->size() * 6);
  quarter_packed.reserve(known->size() * 10);
  impl->domains.reserve(known->size());
  std::string swapped;
  for (const std::string& k : *known) {
    std::string suffix = impl->suffixes->public_suffix(k);
    std::string registrable = impl->suffixes->registrable_domain(k);
    if (suffix.size() >= k.size()) {
      // Some organisations run a public suffix of their own (nhs.uk, gov.scot): compare it as a
      // name under its parent suffix.
      std::size_t dot = k.find('.');
      std::string parent = dot == std::string::npos ? std::string() : k.substr(dot + 1);
      std::string parent_suffix = impl->suffixes->public_suffix(parent);
      suffix = parent_suffix.size() < parent.size() ? parent : parent_suffix;
      registrable = k;
    }
    auto id = static_cast<std::uint32_t>(impl->domains.size());
    auto [suffix_entry, new_suffix] =
        suffix_ids.try_emplace(suffix, static_cast<std::uint32_t>(impl->known_suffixes.size()));
    const std::uint32_t suffix_id = suffix_entry->second;
    if (new_suffix) {
      impl->known_suffixes.push_back(suffix);
      for_each_deletion(suffix, [&](std::string_view v) {
        suffix_packed.push_back(HashPostings::pack(hash_key(v, kTagSuffix), suffix_id));
      });
    }
    const bool has_stem = !suffix.empty() && suffix.size() < k.size();
    KnownDomain d{letter_bag(k),
                  static_cast<std::uint8_t>(k.size()),
                  static_cast<std::uint8_t>(k.size() - registrable.size()),
                  static_cast<std::uint8_t>(has_stem ? k.size() - suffix.size() : 0),
                  {}};
    if (d.inline_text()) {
      std::memcpy(d.text, k.data(), k.size());
    } else {
      const auto offset = static_cast<std::uint32_t>(impl->long_text.size());
      std::memcpy(d.text, &offset, sizeof offset);
      impl->long_text += k;
    }
    impl->domains.push_back(d);

    auto add = [&](std::uint64_t tag, std::string_view key) {
      packed.push_back(HashPostings::pack(hash_key(key, tag), id));
    };
    add(kTagExact, k);
    add(kTagFolded, fold_ascii_lookalikes(k));
    add(kTagJoined, joined(k));
    std::string_view name = std::string_view(registrable).substr(0, registrable.find('.'));
    add(kTagNameTld, std::string(name) + "|" + std::string(last_label(k)));
    if (!has_stem) continue;

    std::string_view stem = std::string_view(k).substr(0, k.size() - suffix.size() - 1);
    const std::size_t n = stem.size();
    if (n <= kShortStem) {
      const std::uint64_t tag = stem_tag(kTagShortStem, suffix_id);
      for_each_deletion(stem, [&](std::string_view v) { add(tag, v); });
      if (n < kMinQuarteredStem || budget_for_name_length(n, impl->crowded).max_edits < 2) {
        continue;
      }
    }
    const QuarterBounds q = quarter_bounds(n);
    auto add_pair = [&](std::string_view s, unsigned p) {
      const unsigned a = kPairs[p][0], b = kPairs[p][1];
      quarter_packed.push_back(HashPostings::pack(
          with_stem_length(quarter_pair_hash(s, q[a], q[a + 1] - q[a], q[b], q[b + 1] - q[b],
                                             stem_tag(kTagQuarters, suffix_id, p)),
                           n),
          id));
    };
    for (unsigned p = 0; p < kPairs.size(); ++p) add_pair(stem, p);
    // A swap across a quarter boundary touches two quarters, and with one more edit elsewhere
    // no pair is left untouched. The stem with that swap undone is one edit from the query, so
    // its first or last pair (the ones a one-edit search probes) is indexed as well.
    for (unsigned boundary = 1; boundary <= 3; ++boundary) {
      std::size_t at = q[boundary];
      if (stem[at - 1] == stem[at]) continue;
      swapped.assign(stem);
      std::swap(swapped[at - 1], swapped[at]);
      if (boundary <= 2) add_pair(swapped, kFirstHalf);
      if (boundary >= 2) add_pair(swapped, kSecondHalf);
    }
  }
  known->clear();
  known->shrink_to_fit();
  impl->postings = HashPostings(packed);
  impl->quarter_postings = HashPostings(quarter_packed, kMaxIdsPerQuarterKey);
  impl->suffix_postings = HashPostings(suffix_packed);
  impl->near_suffixes.resize(impl->known_suffixes.size());
  for (std::size_t id = 0; id < impl->known_suffixes.size(); ++id) {
    impl->search_near_suffixes(impl->known_suffixes[id], [&](std::uint32_t near) {
      impl->near_suffixes[id].push_back(near);
    });
  }
  impl->long_text.shrink_to_fit();
  impl->domains.shrink_to_fit();
  return std::shared_ptr<const LookalikeIndex>(new LookalikeIndex(std::move(impl)));
}

RecipientVerdict LookalikeIndex::classify(const Domain& domain) const {
  const Impl& x = *impl_;
  RecipientVerdict v;
  v.domain = domain.ascii;
  const std::string& q = domain.ascii;

  const Tails q_tails = tails(q);
  for (std::string_view tail : q_tails) x.postings.prefetch(hash_key(tail, kTagExact));
  for (std::string_view tail : q_tails) {
    if (auto id = x.find_exact(tail)) {
      v.verdict = Verdict::kKnown;
      v.intended = std::string(x.domain_text(*id));
      v.kind = tail == q ? "exact" : "subdomain";
      v.explanation = q + " is a domain you correspond with.";
      return v;
    }
  }
  const Registrable reg = x.registrable_of(q);
  for (const std::string& suffix : x.trusted_suffixes) {
    if (under_suffix(q, suffix)) {
      v.verdict = Verdict::kNew;
      v.kind = "trusted-suffix";
      v.explanation = q + " is new to you, under ." + suffix + ", a registry you trust.";
      return v;
    }
  }
  if (!x.providers.empty() && x.providers.contains(reg.domain)) {
    v.verdict = Verdict::kNew;
    v.kind = "mail-provider";
    v.explanation = q + " is a well-known mail provider you have not written to before.";
    return v;
  }

  // Look at the domain as a reader sees it: Unicode lookalikes replaced by the ASCII they imitate.
  FoldedDomain folded;
  std::string_view view = q;
  std::string_view shown = q;
  if (domain.unicode != domain.ascii) {
    folded = x.folder.fold(domain.unicode);
    view = folded.ascii;
    shown = domain.unicode;
  }
  std::optional<Match> best;
  thread_local Impl::EditPlan plan;
  Registrable view_reg;
  // An ASCII query starts the reads of all its later lookups now. One with Unicode lookalikes
  // is nearly always a known domain written with them, found below without the edit search.
  const bool plan_first = folded.all_ascii && folded.substitutions.empty();
  if (plan_first) {
    view_reg = reg;
    x.prefetch_exact_forms(view, view_reg);
    x.plan_edits(view, view_reg, plan);
  }
  x.find_homoglyphs(view, folded, shown, best);
  // A homoglyph match scores at least kHomoglyphFloor and nothing later scores as high, so the
  // remaining searches could not change the verdict.
  if (folded.all_ascii && !(best && best->score >= kHomoglyphFloor)) {
    if (!plan_first) {
      view_reg = x.registrable_of(view);
      x.prefetch_exact_forms(view, view_reg);
      x.plan_edits(view, view_reg, plan);
    }
    x.find_joined(view, view_reg, best);
    x.find_suffix_swap(view, view_reg, best);
    x.find_edits(view, shown, plan, best);
  }
  if (best && !x.same_sister_group(q, x.domain_text(best->id))) {
    v.verdict = Verdict::kLookalike;
    v.intended = std::string(x.domain_text(best->id));
    v.kind = best->kind;
    v.score = best->score;
    v.explanation = best->explanation;
    if (!folded.substitutions.empty() && best->kind != "homoglyph") {
      v.kind = "homoglyph";
      v.explanation = explain_homoglyphs(shown, v.intended, folded.substitutions);
    }
    return v;
  }
  if (!x.suffixes->has_known_top_level_domain(q)) {
    v.verdict = Verdict::kInvalid;
    v.kind = "unknown-tld";
    v.explanation = "." + std::string(last_label(q)) + " is not a top-level domain, so mail to " +
                    q + " cannot be delivered.";
    return v;
  }
  v.verdict = Verdict::kNew;
  v.kind = "unrelated";
  v.explanation = q + " is new to you and does not resemble a domain you correspond with.";
  return v;
}

RecipientVerdict LookalikeIndex::check_address(std::string_view address) const {
  auto mailbox = parse_mailbox(address);
  if (!mailbox) {
    RecipientVerdict v;
    v.address = std::string(address);
    v.verdict = Verdict::kInvalid;
    v.kind = "syntax";
    v.explanation = mailbox.error().message + ".";
    v.explanation[0] =
        static_cast<char>(std::toupper(static_cast<unsigned char>(v.explanation[0])));
    return v;
  }
  if (mailbox->is_address_literal) {
    RecipientVerdict v;
    v.address = std::string(address);
    v.domain = mailbox->domain.ascii;
    v.verdict = Verdict::kNew;
    v.kind = "address-literal";
    v.explanation = "The address names a server by IP address, not a domain.";
    return v;
  }
  RecipientVerdict v = classify(mailbox->domain);
  v.address = std::string(address);
  return v;
}

}  // namespace sendguard
