// The recipient guard: is a recipient domain one the organisation knows, a lookalike of one
// (and of which), new, or invalid?
//
// LookalikeIndex is built once from the known domains and then answers classify() for any
// number of threads at once, without locks: it is immutable after build(). A reload builds a
// new index and swaps a shared_ptr. Lookups never scan the known list: every question is a
// handful of hash probes (see docs/ARCHITECTURE.md, "Lookalike index").
//
// What it catches: typing slips in the name and in the public suffix (army.ml for army.mil),
// second-level suffix swaps (company.org.uk for company.co.uk), Unicode and ASCII homoglyphs,
// dots and hyphens added or dropped, and the known domain embedded in another one
// (army-mil.com). What it deliberately does not flag: subdomains of known domains, members of a
// configured sister group, domains under a trusted suffix, and well-known mail providers.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "address/address.h"
#include "core/error.h"

namespace sendguard {

enum class Verdict { kKnown, kNew, kLookalike, kInvalid };
std::string_view to_string(Verdict verdict);

struct LookalikeOptions {
  // Domains the organisation corresponds with (U-labels or A-labels). Their subdomains, and
  // every domain under their registrable domain, count as known. Default: none.
  std::vector<std::string> known_domains;
  // Suffixes run by a registry the organisation trusts (e.g. "mil", "gov.uk"): domains under
  // them are never reported as lookalikes. Default: none, because a typo under a trusted
  // suffix (dod.mil → clod.mil) still misdirects mail; use it for suffixes you know to be
  // densely and legitimately populated with similar names.
  std::vector<std::string> trusted_suffixes;
  // Groups of domains that belong together ("nhs.net", "nhs.uk"): a member of a group with a
  // known member is known, and members are never lookalikes of each other. Default: none.
  std::vector<std::vector<std::string>> sister_groups;
  // Large legitimate mail providers (data/mail-providers.txt): never reported as lookalikes,
  // so gmail.com, ymail.com and mail.com stay apart. Default: the shipped list.
  std::vector<std::string> mail_providers;
  // Number of known domains from which the list counts as crowded. Two edits in a name are then
  // accepted only from 8 letters on, two arbitrary ones only from 12, and beside a second edit
  // a vowel for a vowel or a one-bit change counts as arbitrary (docs/ARCHITECTURE.md,
  // "Weighted edits and budgets"): among hundreds of thousands of similar names, a fresh name
  // of 6 to 9 letters is often within two edits of one. Default: 100,000 domains.
  std::size_t crowded_at = 100'000;
};

struct RecipientVerdict {
  std::string address;  // as given
  std::string domain;   // normalised ASCII domain; empty when the address did not parse
  Verdict verdict = Verdict::kInvalid;
  std::string intended;     // lookalike: the known domain probably meant; known: the one matched
  std::string kind;         // how it was decided, e.g. "omission", "homoglyph", "subdomain"
  double score = 0;         // lookalike: 0..1, how sure we are it is a slip; otherwise 0
  std::string explanation;  // one sentence for the sender
};

class LookalikeIndex {
 public:
  // Fails with ErrorCode::kConfig naming the offending entry when a domain is not valid.
  static Result<std::shared_ptr<const LookalikeIndex>> build(
      const LookalikeOptions& options, std::shared_ptr<const PublicSuffixList> suffixes);

  ~LookalikeIndex();
  LookalikeIndex(const LookalikeIndex&) = delete;
  LookalikeIndex& operator=(const LookalikeIndex&) = delete;

  RecipientVerdict classify(const Domain& domain) const;

  // Parses the address (see parse_mailbox) and classifies its domain.
  RecipientVerdict check_address(std::string_view address) const;

  std::size_t size() const;          // number of known domains
  std::size_t memory_bytes() const;  // heap held by the index

  struct Impl;

 private:
  explicit LookalikeIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sendguard

#include "core/config.h"

namespace sendguard {

// The options a configuration describes: its known domains and domain files plus
// `extra_known_files` (the command line's --known-domains), its sister groups, trusted
// suffixes and mail providers.
Result<LookalikeOptions> lookalike_options(const Config& config,
                                           const std::vector<std::string>& extra_known_files);

// Builds the index of lookalike_options() against the Public Suffix List file the
// configuration names.
Result<std::shared_ptr<const LookalikeIndex>> build_lookalike_index(
    const Config& config, const std::vector<std::string>& extra_known_files);

}  // namespace sendguard
