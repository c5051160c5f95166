// HistoryBatch: messages as numbers into one pool of their texts.
#include "store/store.h"
#include "store/store_internal.h"

namespace sendguard {

void HistoryBatch::clear() {
  texts_.clear();
  messages_.clear();
  recipients_.clear();
  texts_.intern({});  // kEmptyText
}

void HistoryBatch::add(std::uint64_t identity, std::chrono::system_clock::time_point time,
                       TextId sender, std::span<const Recipient> recipients) {
  messages_.push_back({identity, store_internal::to_micros(time), sender,
                       static_cast<std::uint32_t>(recipients_.size()),
                       static_cast<std::uint32_t>(recipients.size())});
  recipients_.insert(recipients_.end(), recipients.begin(), recipients.end());
}

void HistoryBatch::add(const HistoryMessage& message) {
  std::vector<Recipient> recipients;
  recipients.reserve(message.recipients.size());
  for (const HistoryRecipient& r : message.recipients) {
    recipients.push_back({intern(r.address), intern(r.domain), intern(r.local)});
  }
  add(message.identity, message.time, intern(message.sender), recipients);
}

std::size_t HistoryBatch::memory_bytes() const {
  return texts_.memory_bytes() + messages_.capacity() * sizeof(Message) +
         recipients_.capacity() * sizeof(Recipient);
}

HistoryBatch make_history_batch(const std::vector<HistoryMessage>& messages) {
  HistoryBatch batch;
  for (const HistoryMessage& m : messages) batch.add(m);
  return batch;
}

}  // namespace sendguard
