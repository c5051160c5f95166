// Learning: turns SentMail records from any source into history in the store, in batches, so
// that a gigabyte of logs costs a few hundred transactions rather than a million.
//
// A message is counted once however often it is imported (the store remembers identities).
// Recipients that are not addresses are left out; a message with none left is skipped.
//
// Thread-safety: one HistoryLearner per thread; several may write to one store at once.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "history/history_keys.h"
#include "history/mail_source.h"
#include "history/sent_mail.h"
#include "store/store.h"

namespace sendguard {

struct LearnCounts {
  std::size_t messages = 0;       // records given to add()
  std::size_t added = 0;          // counted now
  std::size_t already_known = 0;  // counted by an earlier import
  std::size_t skipped = 0;        // without a single recipient that is an address
};

class HistoryLearner {
 public:
  HistoryLearner(Store& store, const HistoryKeys& keys, const HistoryConfig& config,
                 std::size_t batch_size = 100'000);

  // Adds one message; writes a batch to the store when it is full.
  Result<void> add(const SentMail& mail);
  // Writes what is left. Call once at the end; the counts cover every add().
  Result<LearnCounts> finish();

 private:
  Result<void> flush();
  const HistoryRecipient* recipient(const std::string& address);

  Store& store_;
  const HistoryKeys& keys_;
  std::size_t max_together_;
  std::size_t batch_size_;
  std::vector<HistoryMessage> batch_;
  LearnCounts counts_;
  // Addresses repeat all through a log: normalising each distinct one once (IDNA, the Public
  // Suffix List, a hash) keeps learning at disk speed. Bounded, so that a hostile log cannot
  // grow it without end.
  std::unordered_map<std::string, std::optional<HistoryRecipient>> cache_;
  static constexpr std::size_t kCacheLimit = 200'000;
};

// What learn_sources() read and counted.
struct SourcesLearned {
  SourceStats read;
  LearnCounts counts;
};

// `sendguard learn`: reads `sources` (envelopes only, learning needs no bodies) into the
// history. On a failure, of reading or of the store, what was read before it stays counted, so
// that importing the same sources again adds just the rest.
Result<SourcesLearned> learn_sources(Store& store, const HistoryKeys& keys,
                                     const HistoryConfig& config,
                                     const std::vector<std::filesystem::path>& sources,
                                     MailSourceOptions options, const MailProgress& progress = {});

}  // namespace sendguard
