// Investigation: which messages already went to a lookalike of a domain the organisation
// knows, from whom, when, and carrying what.
//
// Known domains are the configured ones, those the store's history has learned (when a store
// is given), and those learned from the sources being investigated (history.known_after_days
// and history.typo_ratio apply alike), so that an investigation works on logs alone. Learning
// from the sources takes a read of its own: the sources are read twice, first to count how
// often each domain was written to, then to classify every recipient, so that memory grows
// with the domains and not with the messages. A misdirected message read from an archive has
// its content inspected, once however many copies there are, with the detectors the gateway
// uses.
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
  MailProgress progress;           // optional: bytes read, of all the reads together
};

struct InvestigateStats {
  SourceStats read;  // the read that classified the recipients
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
