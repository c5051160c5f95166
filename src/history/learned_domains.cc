#include "history/learned_domains.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

namespace sendguard {
namespace {

// Candidates grouped by order of magnitude in `ratio`: every domain two groups up was written
// to at least `ratio` times as often, so one index per group answers "does this look like a
// far more frequent domain?" with a handful of index builds, however many domains there are.
int magnitude(std::int64_t messages, double ratio) {
  return static_cast<int>(std::floor(
      std::log(static_cast<double>(std::max<std::int64_t>(messages, 1))) / std::log(ratio)));
}

}  // namespace

Result<LearnedDomains> learn_known_domains(Store& store, const HistoryConfig& config,
                                           const LookalikeOptions& options,
                                           std::shared_ptr<const PublicSuffixList> suffixes) {
  auto rows = store.history_list({HistoryScope::kDomain, "", "", config.known_after_days, 0});
  if (!rows) return std::unexpected(rows.error());
  return learn_known_domains(*rows, config, options, std::move(suffixes));
}

Result<LearnedDomains> learn_known_domains(const std::vector<HistoryStats>& domains,
                                           const HistoryConfig& config,
                                           const LookalikeOptions& options,
                                           std::shared_ptr<const PublicSuffixList> suffixes) {
  std::vector<HistoryStats> candidates;
  for (const HistoryStats& d : domains) {
    if (d.days >= config.known_after_days) candidates.push_back(d);
  }
  std::sort(candidates.begin(), candidates.end(), [](const HistoryStats& a, const HistoryStats& b) {
    return a.messages != b.messages ? a.messages > b.messages : a.key < b.key;
  });
  const std::vector<HistoryStats>* rows = &candidates;
  LearnedDomains out;
  if (rows->empty()) return out;

  const double ratio = config.typo_ratio;
  std::unordered_map<std::string, std::int64_t> messages_of;
  std::map<int, std::vector<std::string>> by_magnitude;
  for (const HistoryStats& row : *rows) {
    messages_of[row.key] = row.messages;
    by_magnitude[magnitude(row.messages, ratio)].push_back(row.key);
  }

  std::map<int, std::shared_ptr<const LookalikeIndex>> index_above;  // domains of magnitude > m
  for (const auto& [m, domains] : by_magnitude) {
    LookalikeOptions reference = options;
    for (const auto& [other, list] : by_magnitude) {
      if (other > m)
        reference.known_domains.insert(reference.known_domains.end(), list.begin(), list.end());
    }
    auto index = LookalikeIndex::build(reference, suffixes);
    if (!index) return std::unexpected(index.error());
    index_above[m] = std::move(*index);
  }

  for (const HistoryStats& row : *rows) {
    LearnedDomain learned{row.key, row.messages, row.days, "", ""};
    auto domain = normalize_domain(row.key);
    if (!domain) continue;  // the store only holds normalised domains; nothing to learn from junk
    RecipientVerdict verdict = index_above[magnitude(row.messages, ratio)]->classify(*domain);
    // The reference index holds the configured domains and the far more frequent candidates:
    // an intended domain that is no candidate was configured.
    bool configured = !messages_of.contains(verdict.intended);
    bool far_more_frequent = messages_of.contains(verdict.intended) &&
                             static_cast<double>(messages_of[verdict.intended]) >=
                                 ratio * static_cast<double>(row.messages);
    if (verdict.verdict == Verdict::kLookalike && (configured || far_more_frequent)) {
      learned.resembles = verdict.intended;
      learned.explanation = verdict.explanation;
      out.refused.push_back(std::move(learned));
    } else {
      out.known.push_back(std::move(learned));
    }
  }
  return out;
}

Result<LearnedDomains> learn_known_domains(const Config& config,
                                           const std::vector<std::string>& extra_known_files,
                                           Store& store) {
  auto suffixes = PublicSuffixList::load(config.public_suffix_list);
  if (!suffixes) return std::unexpected(suffixes.error());
  auto options = lookalike_options(config, extra_known_files);
  if (!options) return std::unexpected(options.error());
  for (const std::string& d : config.policy.internal_domains) options->known_domains.push_back(d);
  return learn_known_domains(store, config.history, *options,
                             std::make_shared<const PublicSuffixList>(std::move(*suffixes)));
}

Result<Config> with_learned_domains(const Config& config,
                                    const std::vector<std::string>& extra_known_files,
                                    Store& store) {
  auto learned = learn_known_domains(config, extra_known_files, store);
  if (!learned) return std::unexpected(learned.error());
  Config out = config;
  for (const LearnedDomain& d : learned->known) out.recipients.known_domains.push_back(d.domain);
  return out;
}

}  // namespace sendguard
