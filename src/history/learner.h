// Learning: turns SentMail records from any source into history in the store, in batches as
// large as a memory bound allows. Each batch rewrites the pages of the history it touches, and
// a large import touches nearly all of them, so a gigabyte of log is best one batch, not ten.
//
// A message is counted once however often it is imported (the store remembers identities).
// Recipients that are not addresses are left out; a message with none left is skipped.
//
// Thread-safety: one HistoryLearner per thread; several may write to one store at once.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
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
  // A batch is written when it holds `batch_size` messages or about `batch_bytes` bytes.
  HistoryLearner(Store& store, const HistoryKeys& keys, const HistoryConfig& config,
                 std::size_t batch_size = kDefaultBatchSize,
                 std::size_t batch_bytes = kDefaultBatchBytes);

  // Adds one message; writes a batch to the store when it is full.
  Result<void> add(const SentMail& mail);
  // Writes what is left. Call once at the end; the counts cover every add().
  Result<LearnCounts> finish();

  // About a gigabyte of Postfix log. `sendguard learn` of such a log (951,911 messages, one
  // batch) peaks at about 650 MB resident, the summing and the store's page cache included.
  static constexpr std::size_t kDefaultBatchSize = 1'000'000;
  static constexpr std::size_t kDefaultBatchBytes = 256u << 20;

 private:
  Result<void> flush();
  // The batch's numbers for an address, or nullptr when it is not one.
  const HistoryBatch::Recipient* recipient(const std::string& address);

  Store& store_;
  const HistoryKeys& keys_;
  std::size_t max_together_;
  std::size_t batch_size_, batch_bytes_;
  HistoryBatch batch_;
  std::vector<HistoryBatch::Recipient> recipients_;  // of the message being added
  LearnCounts counts_;
  // Addresses repeat all through a log: normalising each distinct one once (IDNA, the Public
  // Suffix List, a hash) keeps learning at disk speed. An address as the source gave it is
  // looked up in raw_, whose numbers index normalised_ (address kEmptyText: not an address).
  // The numbers of normalised_ belong to the batch, so both are emptied with it.
  TextPool raw_;
  std::vector<HistoryBatch::Recipient> normalised_;
  DomainMemo domains_;  // kept across batches: it holds no numbers
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
