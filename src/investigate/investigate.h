// Investigation: which messages already went to a lookalike of a domain the organisation
// knows, from whom, when, and carrying what.
//
// Known domains are the configured ones, those the store's history has learned (when a store
// is given), and those learned from the sources being investigated (history.known_after_days
// and history.typo_ratio apply alike), so that an investigation works on logs alone. The
// sources are read once; when some of the misdirected messages come from archives, those
// archives are read a second time to inspect just those messages' content with the same
// detectors the gateway uses.
//
// Thread-safety: reentrant; callbacks run on the calling thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "history/mail_source.h"
#include "investigate/investigation.h"
#include "store/store.h"

namespace sendguard {

struct InvestigateOptions {
  std::vector<std::filesystem::path> sources;
  std::optional<std::chrono::system_clock::time_point> since, until;
  bool learn_from_sources = true;  // also count domains the sources show as known
  MailProgress progress;           // optional: bytes read of each pass
};

struct InvestigateStats {
  SourceStats read;  // the first pass over every source
  std::size_t learned_from_sources = 0;
  std::size_t learned_from_store = 0;
  std::size_t inspected = 0;  // archive messages whose content was inspected
};

// `store` may be null (no history to draw on).
Result<Investigation> investigate(const Config& config,
                                  const std::vector<std::string>& extra_known_files, Store* store,
                                  const InvestigateOptions& options,
                                  InvestigateStats* stats = nullptr);

}  // namespace sendguard
