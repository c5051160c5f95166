// LookalikeIndex: known-domain lookups, candidate generation and the precision rules.
//
// Every known domain is stored once in a text arena and reached through HashPostings under
// several tags. Edit-distance candidates come from deletion neighbourhoods: a string within
// one edit of another shares a one-deletion variant with it; for strings of 8 or more
// characters, which may carry two edits, each half is indexed that way, because two edits
// leave at least one half within one edit (a swap across the middle counts once in each).
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

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
  kTagWhole = 5,      // one-deletion variants of short known domains
  kTagLeft = 6,       // one-deletion variants of the left half of long ones
  kTagRight = 7,      // ... and of the right half
};

constexpr std::size_t kSplitLength = 8;  // from this length on, two edits may be allowed
constexpr std::size_t kMinJoinedLength = 5;  // shorter joined forms embed by chance
constexpr std::size_t kMaxTails = 4;

// The part of a known domain before its public suffix decides how much change is a typo.
struct Budget {
  int max_edits;
  double max_cost;
};

Budget budget_for_name_length(std::size_t length) {
  if (length <= 3) return {1, 0.7};   // one plausible slip only: "aol" → "a0l", not "aim"
  if (length <= 5) return {1, 1.0};   // one edit of any kind
  if (length == 6) return {2, 1.3};   // two slips, or one arbitrary edit
  if (length == 7) return {2, 1.6};
  return {2, 2.0};                    // two edits of any kind
}

constexpr double kSuffixBudget = 1.0;    // one edit in the public suffix
constexpr double kEpsilon = 1e-9;        // costs are sums of decimals: 0.6 + 1.0 > 1.6
constexpr double kMixedPenalty = 0.3;    // edits in both name and suffix are less likely slips

struct KnownDomain {
  std::uint32_t offset;
  std::uint8_t length;
  std::uint8_t name_begin;    // first character of the registrable label
  std::uint8_t suffix_begin;  // first character of the public suffix
  std::uint8_t reserved = 0;
};

std::string joined(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '.' && c != '-') out += c;
  }
  return out;
}

std::string_view last_label(std::string_view s) {
  std::size_t dot = s.rfind('.');
  return dot == std::string_view::npos ? s : s.substr(dot + 1);
}

// q, then q without its first label, and so on while at least two labels remain.
std::vector<std::string_view> tails(std::string_view q) {
  std::vector<std::string_view> out{q};
  std::size_t dot = q.find('.');
  while (dot != std::string_view::npos && out.size() < kMaxTails) {
    std::string_view rest = q.substr(dot + 1);
    if (rest.find('.') == std::string_view::npos) break;
    out.push_back(rest);
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
  return domain == suffix ||
         (domain.size() > suffix.size() && domain.ends_with(suffix) &&
          domain[domain.size() - suffix.size() - 1] == '.');
}

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
  std::string text;                   // all known domains, back to back
  std::vector<KnownDomain> domains;
  HashPostings postings;
  std::vector<std::string> trusted_suffixes;
  std::unordered_set<std::string> providers;
  std::unordered_map<std::string, std::uint32_t> sister_group_of;

  std::string_view domain_text(std::uint32_t id) const {
    const KnownDomain& d = domains[id];
    return std::string_view(text).substr(d.offset, d.length);
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
  void find_joined(std::string_view view, std::optional<Match>& best) const;
  void find_suffix_swap(std::string_view view, std::optional<Match>& best) const;
  void find_edits(std::string_view view, std::string_view shown, std::optional<Match>& best) const;
  std::optional<Match> judge_alignment(std::uint32_t id, std::string_view query,
                                       std::string_view shown) const;
};

std::optional<std::uint32_t> LookalikeIndex::Impl::find_exact(std::string_view domain) const {
  std::optional<std::uint32_t> found;
  lookup(kTagExact, domain, [&](std::uint32_t id) {
    if (!found && domain_text(id) == domain) found = id;
  });
  return found;
}

bool LookalikeIndex::Impl::same_sister_group(std::string_view a, std::string_view b) const {
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
  std::string ascii_folded = fold_ascii_lookalikes(view);
  lookup(kTagFolded, ascii_folded, [&](std::uint32_t id) {
    std::string_view k = domain_text(id);
    if (k != view && fold_ascii_lookalikes(k) == ascii_folded) {
      consider({id, 0.95, folded.substitutions.empty() ? "homoglyph-ascii" : "homoglyph",
                explain_ascii_lookalike(view, k)},
               best);
    }
  });
}

void LookalikeIndex::Impl::find_joined(std::string_view view, std::optional<Match>& best) const {
  std::string all = joined(view);
  lookup(kTagJoined, all, [&](std::uint32_t id) {
    std::string_view k = domain_text(id);
    if (k == view || joined(k) != all) return;
    bool only_hyphens = std::count(k.begin(), k.end(), '.') == std::count(view.begin(), view.end(), '.');
    consider({id, 0.9, only_hyphens ? "hyphenation" : "dot",
              std::string(view) + " looks like " + std::string(k) +
                  (only_hyphens ? " with its hyphens changed." : " with its dots moved or dropped.")},
             best);
  });

  // The known domain inside another one: army-mil.com, army.mil.com, santandercouk.com.
  std::string suffix = suffixes->public_suffix(view);
  if (suffix.size() >= view.size()) return;
  std::string_view head = view.substr(0, view.size() - suffix.size() - 1);
  std::vector<std::string_view> tokens;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= head.size(); ++i) {
    if (i == head.size() || head[i] == '.' || head[i] == '-') {
      if (i > start) tokens.push_back(head.substr(start, i - start));
      start = i + 1;
    }
  }
  constexpr std::size_t kMaxTokens = 12;
  if (tokens.size() > kMaxTokens) tokens.resize(kMaxTokens);
  std::string registrable = suffixes->registrable_domain(view);
  for (std::size_t a = 0; a < tokens.size(); ++a) {
    std::string run;
    for (std::size_t b = a; b < tokens.size(); ++b) {
      run += tokens[b];
      if (run.size() < kMinJoinedLength || run.size() > kMaxDomainBytes) continue;
      lookup(kTagJoined, run, [&](std::uint32_t id) {
        std::string_view k = domain_text(id);
        if (joined(k) != run || under_suffix(view, k)) return;
        consider({id, 0.85, "embedded",
                  std::string(view) + " is not " + std::string(k) + ": it has " + std::string(k) +
                      " written inside another domain, " + registrable + "."},
                 best);
      });
    }
  }
}

void LookalikeIndex::Impl::find_suffix_swap(std::string_view view,
                                            std::optional<Match>& best) const {
  std::string registrable = suffixes->registrable_domain(view);
  if (registrable.empty()) return;
  std::string_view name = std::string_view(registrable).substr(0, registrable.find('.'));
  std::string_view suffix = std::string_view(registrable).substr(name.size() + 1);
  std::string key = std::string(name) + "|" + std::string(last_label(view));
  lookup(kTagNameTld, key, [&](std::uint32_t id) {
    const KnownDomain& d = domains[id];
    std::string_view k = domain_text(id);
    std::string_view k_name = k.substr(d.name_begin, d.suffix_begin - d.name_begin - 1);
    std::string_view k_suffix = k.substr(d.suffix_begin);
    if (k_name != name || k_suffix == suffix || last_label(k) != last_label(view)) return;
    consider({id, 0.8, "suffix-swap",
              std::string(view) + " looks like " + std::string(k) + " but ends in ." +
                  std::string(suffix) + " instead of ." + std::string(k_suffix) + "."},
             best);
  });
}

std::optional<Match> LookalikeIndex::Impl::judge_alignment(std::uint32_t id,
                                                           std::string_view query,
                                                           std::string_view shown) const {
  const KnownDomain& d = domains[id];
  std::string_view k = domain_text(id);
  std::size_t name_length = d.suffix_begin - 1;  // everything before ".suffix"
  Budget budget = budget_for_name_length(name_length);
  auto alignment = align(k, query, budget.max_edits);
  if (!alignment || alignment->edits.empty()) return std::nullopt;

  double name_cost = 0, suffix_cost = 0;
  int name_edits = 0, suffix_edits = 0;
  for (const Edit& e : alignment->edits) {
    // An insertion belongs to the character it follows: "apples.com" changes the name.
    std::size_t pos = e.op == EditOp::kInsertion && e.known_pos > 0 ? e.known_pos - 1 : e.known_pos;
    if (pos + 1 >= d.suffix_begin) {
      suffix_cost += e.cost, ++suffix_edits;
    } else {
      name_cost += e.cost, ++name_edits;
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
  bool in_suffix = name_edits == 0;
  return Match{id, 1.0 - 0.5 * used, edit_kind(alignment->edits, in_suffix),
               explain_edits(shown, k, alignment->edits, in_suffix ? k.substr(d.suffix_begin) : "")};
}

void LookalikeIndex::Impl::find_edits(std::string_view view, std::string_view shown,
                                      std::optional<Match>& best) const {
  std::vector<std::uint32_t> candidates;
  for (std::string_view tail : tails(view)) {
    candidates.clear();
    auto collect = [&](std::uint32_t id) { candidates.push_back(id); };
    const std::size_t m = tail.size();
    if (m <= kSplitLength) {
      for_each_deletion(tail, [&](std::string_view v) { lookup(kTagWhole, v, collect); });
    }
    if (m + 2 >= kSplitLength) {
      // Known lengths n within two of m; for each, the halves are n/2 and n - n/2 long, and a
      // half with at most one edit is within one character of that length in the query.
      std::size_t lo = std::max(kSplitLength, m >= 2 ? m - 2 : 0);
      std::size_t min_left = SIZE_MAX, max_left = 0, min_right = SIZE_MAX, max_right = 0;
      for (std::size_t n = lo; n <= m + 2; ++n) {
        min_left = std::min(min_left, n / 2 - 1), max_left = std::max(max_left, n / 2 + 1);
        min_right = std::min(min_right, n - n / 2 - 1);
        max_right = std::max(max_right, n - n / 2 + 1);
      }
      for (std::size_t h = min_left; h <= std::min(max_left, m); ++h) {
        for_each_deletion(tail.substr(0, h), [&](std::string_view v) { lookup(kTagLeft, v, collect); });
      }
      for (std::size_t r = min_right; r <= std::min(max_right, m); ++r) {
        for_each_deletion(tail.substr(m - r), [&](std::string_view v) { lookup(kTagRight, v, collect); });
      }
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (std::uint32_t id : candidates) {
      std::string_view k = domain_text(id);
      if (k == tail || (k.size() > m + 2) || (m > k.size() + 2)) continue;
      if (auto match = judge_alignment(id, tail, tail == view ? shown : tail)) {
        consider(std::move(*match), best);
      }
    }
  }
}

LookalikeIndex::LookalikeIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LookalikeIndex::~LookalikeIndex() = default;

std::size_t LookalikeIndex::size() const { return impl_->domains.size(); }

std::size_t LookalikeIndex::memory_bytes() const {
  return impl_->text.capacity() + impl_->domains.capacity() * sizeof(KnownDomain) +
         impl_->postings.memory_bytes();
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
        return make_error(ErrorCode::kConfig, std::string(what) + " \"" + entry +
                                                  "\" is not a valid domain: " +
                                                  domain.error().message);
      }
      out.push_back(std::move(domain->ascii));
    }
    return out;
  };

  auto known = normalize_list(options.known_domains, "known domain");
  if (!known) return std::unexpected(known.error());
  auto providers = normalize_list(options.mail_providers, "mail provider");
  if (!providers) return std::unexpected(providers.error());
  impl->providers.insert(providers->begin(), providers->end());
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
  std::unordered_set<std::string> known_set(known->begin(), known->end());
  for (std::size_t g = 0; g < options.sister_groups.size(); ++g) {
    auto members = normalize_list(options.sister_groups[g], "sister group member");
    if (!members) return std::unexpected(members.error());
    bool any_known = false;
    for (const std::string& m : *members) {
      impl->sister_group_of[impl->suffixes->registrable_domain(m)] = static_cast<std::uint32_t>(g);
      any_known = any_known || known_set.contains(m);
    }
    if (any_known) {
      for (const std::string& m : *members) {
        if (known_set.insert(m).second) known->push_back(m);
      }
    }
  }
  std::sort(known->begin(), known->end());
  known->erase(std::unique(known->begin(), known->end()), known->end());
  if (known->size() > kMaxPostingId) {
    return make_error(ErrorCode::kConfig, "more than 16 million known domains");
  }

  std::vector<HashPostings::Pair> pairs;
  pairs.reserve(known->size() * 20);
  for (const std::string& k : *known) {
    std::string suffix = impl->suffixes->public_suffix(k);
    std::string registrable = impl->suffixes->registrable_domain(k);
    if (suffix.size() >= k.size()) {
      // Some organisations run a public suffix of their own (nhs.uk, gov.scot): compare it as a
      // name under its parent suffix.
      std::string parent = k.substr(k.find('.') + 1);
      std::string parent_suffix = impl->suffixes->public_suffix(parent);
      suffix = parent_suffix.size() < parent.size() ? parent : parent_suffix;
      registrable = k;
    }
    auto id = static_cast<std::uint32_t>(impl->domains.size());
    KnownDomain d{static_cast<std::uint32_t>(impl->text.size()), static_cast<std::uint8_t>(k.size()),
                  static_cast<std::uint8_t>(k.size() - registrable.size()),
                  static_cast<std::uint8_t>(k.size() - suffix.size())};
    impl->domains.push_back(d);
    impl->text += k;

    auto add = [&](Tag tag, std::string_view key) { pairs.push_back({hash_key(key, tag), id}); };
    add(kTagExact, k);
    add(kTagFolded, fold_ascii_lookalikes(k));
    add(kTagJoined, joined(k));
    std::string_view name = std::string_view(registrable).substr(0, registrable.find('.'));
    add(kTagNameTld, std::string(name) + "|" + std::string(last_label(k)));
    if (k.size() <= kSplitLength) {
      for_each_deletion(k, [&](std::string_view v) { add(kTagWhole, v); });
    }
    if (k.size() >= kSplitLength) {
      std::string_view left = std::string_view(k).substr(0, k.size() / 2);
      std::string_view right = std::string_view(k).substr(k.size() / 2);
      for_each_deletion(left, [&](std::string_view v) { add(kTagLeft, v); });
      for_each_deletion(right, [&](std::string_view v) { add(kTagRight, v); });
    }
  }
  impl->postings = HashPostings(pairs);
  impl->text.shrink_to_fit();
  impl->domains.shrink_to_fit();
  return std::shared_ptr<const LookalikeIndex>(new LookalikeIndex(std::move(impl)));
}

RecipientVerdict LookalikeIndex::classify(const Domain& domain) const {
  const Impl& x = *impl_;
  RecipientVerdict v;
  v.domain = domain.ascii;
  const std::string& q = domain.ascii;

  for (std::string_view tail : tails(q)) {
    if (auto id = x.find_exact(tail)) {
      v.verdict = Verdict::kKnown;
      v.intended = std::string(x.domain_text(*id));
      v.kind = tail == q ? "exact" : "subdomain";
      v.explanation = q + " is a domain you correspond with.";
      return v;
    }
  }
  std::string registrable = x.suffixes->registrable_domain(q);
  for (const std::string& suffix : x.trusted_suffixes) {
    if (under_suffix(q, suffix)) {
      v.verdict = Verdict::kNew;
      v.kind = "trusted-suffix";
      v.explanation = q + " is new to you, under ." + suffix + ", a registry you trust.";
      return v;
    }
  }
  if (x.providers.contains(registrable)) {
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
  x.find_homoglyphs(view, folded, shown, best);
  if (folded.all_ascii) {
    x.find_joined(view, best);
    x.find_suffix_swap(view, best);
    x.find_edits(view, shown, best);
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
    v.explanation = "." + std::string(last_label(q)) +
                    " is not a top-level domain, so mail to " + q + " cannot be delivered.";
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
    v.explanation[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(v.explanation[0])));
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
