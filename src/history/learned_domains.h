// Known domains learned from the history: a domain the organisation wrote to on enough
// distinct days (history.known_after_days) is known, so that the guard works without a list.
//
// A past slip must not become known, or every later slip to it would pass: a candidate that
// the lookalike engine finds to resemble a configured known domain, or a domain written to
// history.typo_ratio times as often, is refused and reported with the domain it resembles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "lookalike/lookalike.h"
#include "store/store.h"

namespace sendguard {

struct LearnedDomain {
  std::string domain;
  std::int64_t messages = 0;
  std::int64_t days = 0;
  std::string resembles;    // refused: the configured or far more frequent domain it looks like
  std::string explanation;  // refused: the lookalike engine's sentence
};

struct LearnedDomains {
  std::vector<LearnedDomain> known;    // most messages first
  std::vector<LearnedDomain> refused;  // most messages first
};

// `options` are the configured lookalike options (lookalike_options()); their known domains
// count as the most frequent of all.
Result<LearnedDomains> learn_known_domains(Store& store, const HistoryConfig& config,
                                           const LookalikeOptions& options,
                                           std::shared_ptr<const PublicSuffixList> suffixes);

// The same from domain statistics gathered elsewhere (an investigation's own sources):
// candidates are those with at least history.known_after_days days.
Result<LearnedDomains> learn_known_domains(const std::vector<HistoryStats>& domains,
                                           const HistoryConfig& config,
                                           const LookalikeOptions& options,
                                           std::shared_ptr<const PublicSuffixList> suffixes);

// The domains the store's history teaches, against the known domains a configuration (and
// its internal domains, and `extra_known_files`) already names.
Result<LearnedDomains> learn_known_domains(const Config& config,
                                           const std::vector<std::string>& extra_known_files,
                                           Store& store);

// Adds the learned domains to a configuration's known domains: what a gateway starts from.
Result<Config> with_learned_domains(const Config& config,
                                    const std::vector<std::string>& extra_known_files,
                                    Store& store);

}  // namespace sendguard
