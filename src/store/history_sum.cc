// Summing a batch of messages into history rows, shared by both stores so that they count
// exactly alike.
//
// A message touches about ten keys, and a large import millions, so this is the hot loop of
// learning. Every text is a number of the batch (HistoryBatch), so a key is four integers: rows
// live in one vector and are found through an open-addressing table of their hashes. Days are
// gathered as (row, day) pairs and sorted once at the end instead of a growing list per row.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "store/store_internal.h"

namespace sendguard::store_internal {
namespace {

using TextId = HistoryBatch::TextId;

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

std::int64_t utc_day(std::int64_t micros) {
  return micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
}

struct RowKey {
  HistoryScope scope;
  TextId subject, key, key2;

  bool operator==(const RowKey&) const = default;

  // The finaliser of MurmurHash3 over the four numbers.
  std::uint64_t hash() const {
    std::uint64_t h = (static_cast<std::uint64_t>(subject) << 32 | key) * 0x9e3779b97f4a7c15;
    h ^= (static_cast<std::uint64_t>(key2) << 8 | static_cast<std::uint64_t>(scope)) +
         0x632be59bd9b4e019 + (h << 6) + (h >> 2);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccd;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53;
    h ^= h >> 33;
    return h;
  }
};

// Collects rows by key. The rows it builds are the result: while summing, a row's days_begin
// holds the last day counted for it, and the days are laid out at the end.
class RowSummer {
 public:
  // Empties the summer for about `expected_rows` rows.
  void reset(std::size_t expected_rows) {
    std::size_t capacity = 16;
    while (capacity < expected_rows * 2) capacity *= 2;
    slots_.assign(capacity, kEmpty);
    rows_.clear();
    rows_.reserve(expected_rows);
    day_pairs_.clear();
  }

  void add(const RowKey& key, TextId local, std::int64_t micros, bool count_days) {
    HistoryRow& row = find_or_add(key, local, micros);
    ++row.messages;
    row.first_us = std::min(row.first_us, micros);
    row.last_us = std::max(row.last_us, micros);
    if (count_days) {
      // Days since 1970 fit in 32 bits for any date a message can carry (years ±5,800,000).
      auto day = static_cast<std::uint32_t>(static_cast<std::int32_t>(utc_day(micros)));
      // Mail comes roughly in time order, so most repeats of a day are caught here.
      if (row.days_count == 0 || day != row.days_begin) {
        row.days_begin = day;
        row.days_count = 1;
        auto index = static_cast<std::uint64_t>(&row - rows_.data());
        // Row in the high half, the day (sign bit flipped, so that it sorts) in the low half.
        day_pairs_.push_back(index << 32 | (day ^ 0x80000000u));
      }
    }
  }

  // Appends the rows to `out`, each with its days.
  void take_into(HistoryRows& out) {
    std::sort(day_pairs_.begin(), day_pairs_.end());
    day_pairs_.erase(std::unique(day_pairs_.begin(), day_pairs_.end()), day_pairs_.end());
    std::size_t d = 0;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      HistoryRow& row = rows_[i];
      row.days_begin = static_cast<std::uint32_t>(out.days.size());
      for (; d < day_pairs_.size() && (day_pairs_[d] >> 32) == i; ++d) {
        out.days.push_back(
            static_cast<std::int32_t>(static_cast<std::uint32_t>(day_pairs_[d]) ^ 0x80000000u));
      }
      row.days_count = static_cast<std::uint32_t>(out.days.size() - row.days_begin);
    }
    out.rows.insert(out.rows.end(), rows_.begin(), rows_.end());
  }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;

  static RowKey key_of(const HistoryRow& row) {
    return {row.scope, row.subject, row.key, row.key2};
  }

  HistoryRow& find_or_add(const RowKey& key, TextId local, std::int64_t micros) {
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = key.hash() & mask;; i = (i + 1) & mask) {
      std::uint32_t slot = slots_[i];
      if (slot == kEmpty) {
        slots_[i] = static_cast<std::uint32_t>(rows_.size());
        rows_.push_back({key.scope, key.subject, key.key, key.key2, local, 0, 0, 0, micros, micros});
        if (rows_.size() * 2 > slots_.size()) grow();
        return rows_.back();
      }
      HistoryRow& row = rows_[slot];
      if (key_of(row) == key) return row;
    }
  }

  void grow() {
    HugeVector<std::uint32_t> bigger(slots_.size() * 2, kEmpty);
    std::size_t mask = bigger.size() - 1;
    for (std::uint32_t r = 0; r < rows_.size(); ++r) {
      std::size_t i = key_of(rows_[r]).hash() & mask;
      while (bigger[i] != kEmpty) i = (i + 1) & mask;
      bigger[i] = r;
    }
    slots_.swap(bigger);
  }

  HugeVector<std::uint32_t> slots_;  // indexes into rows_
  HugeVector<HistoryRow> rows_;
  HugeVector<std::uint64_t> day_pairs_;
};

// One message's recipients, each address once, and its domains, each once.
struct DistinctRecipients {
  std::vector<HistoryBatch::Recipient> addresses;
  std::vector<TextId> domains;

  void of(const HistoryBatch& batch, const HistoryBatch::Message& m) {
    addresses.clear();
    domains.clear();
    for (const HistoryBatch::Recipient& r : batch.recipients(m)) {
      bool seen = std::any_of(addresses.begin(), addresses.end(),
                              [&](const HistoryBatch::Recipient& a) { return a.address == r.address; });
      if (seen) continue;
      addresses.push_back(r);
      // Two recipients at one domain make one message to that domain, not two.
      if (std::find(domains.begin(), domains.end(), r.domain) == domains.end())
        domains.push_back(r.domain);
    }
  }
};

constexpr TextId kNone = HistoryBatch::kEmptyText;

// The keys without a sender (kDomain, kAddress), for every message in the batch's order, so
// that a key's repeated days are mostly caught as they come.
void sum_organisation(const HistoryBatch& batch, const std::vector<bool>& counted,
                      HistoryRows& out) {
  const auto& messages = batch.messages();
  std::size_t additions = 0;
  for (std::size_t i = 0; i < messages.size(); ++i)
    if (counted[i]) additions += 2 * messages[i].recipient_count;
  RowSummer sum;
  // Far fewer keys than additions: the same domains and addresses recur all through a batch.
  sum.reset(additions / 4 + 1);
  DistinctRecipients distinct;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (!counted[i]) continue;
    const HistoryBatch::Message& m = messages[i];
    distinct.of(batch, m);
    for (const HistoryBatch::Recipient& r : distinct.addresses)
      sum.add({HistoryScope::kAddress, kNone, r.address, kNone}, kNone, m.time_us, true);
    for (TextId domain : distinct.domains)
      sum.add({HistoryScope::kDomain, kNone, domain, kNone}, kNone, m.time_us, true);
  }
  sum.take_into(out);
}

// The keys of each sender (kSenderDomain, kSenderAddress, kTogether), one sender at a time: a
// sender's keys fit a table small enough to stay in the processor's cache, where one table for
// the whole batch would miss it on nearly every addition.
void sum_senders(const HistoryBatch& batch, const std::vector<bool>& counted,
                 std::size_t max_together, HistoryRows& out) {
  const auto& messages = batch.messages();
  // The counted messages grouped by sender, in the batch's order within a group.
  std::vector<std::uint32_t> group_end(batch.text_count() + 1, 0);
  for (std::size_t i = 0; i < messages.size(); ++i)
    if (counted[i]) ++group_end[messages[i].sender + 1];
  for (std::size_t t = 1; t < group_end.size(); ++t) group_end[t] += group_end[t - 1];
  HugeVector<std::uint32_t> order(group_end.back());
  {
    std::vector<std::uint32_t> next(group_end.begin(), group_end.end() - 1);
    for (std::size_t i = 0; i < messages.size(); ++i)
      if (counted[i]) order[next[messages[i].sender]++] = static_cast<std::uint32_t>(i);
  }
  RowSummer sum;
  DistinctRecipients distinct;
  std::size_t begin = 0;
  for (std::size_t t = 0; t + 1 < group_end.size(); ++t) {
    std::size_t end = group_end[t + 1];
    if (begin == end) continue;
    std::size_t additions = 0;
    for (std::size_t o = begin; o < end; ++o) {
      std::size_t n = messages[order[o]].recipient_count;
      additions += 2 * n + (n >= 2 && n <= max_together ? n * (n - 1) / 2 : 0);
    }
    sum.reset(additions);
    for (std::size_t o = begin; o < end; ++o) {
      const HistoryBatch::Message& m = messages[order[o]];
      distinct.of(batch, m);
      for (const HistoryBatch::Recipient& r : distinct.addresses) {
        sum.add({HistoryScope::kSenderAddress, m.sender, r.address, kNone}, r.local, m.time_us,
                true);
      }
      for (TextId domain : distinct.domains)
        sum.add({HistoryScope::kSenderDomain, m.sender, domain, kNone}, kNone, m.time_us, true);
      const auto& a = distinct.addresses;
      if (a.size() < 2 || a.size() > max_together) continue;
      for (std::size_t x = 0; x < a.size(); ++x) {
        for (std::size_t y = x + 1; y < a.size(); ++y) {
          TextId first = a[x].address, second = a[y].address;
          if (batch.text(second) < batch.text(first)) std::swap(first, second);
          sum.add({HistoryScope::kTogether, m.sender, first, second}, kNone, m.time_us, false);
        }
      }
    }
    sum.take_into(out);
    begin = end;
  }
}

}  // namespace

HistoryRows aggregate_history(const HistoryBatch& batch, const std::vector<bool>& counted,
                              std::size_t max_together) {
  HistoryRows out;
  // Room for about as many rows as additions to kSenderAddress and kTogether, the scopes where
  // most keys are new, so that the result is not copied as it grows.
  std::size_t recipients = 0;
  for (std::size_t i = 0; i < batch.messages().size(); ++i)
    if (counted[i]) recipients += batch.messages()[i].recipient_count;
  out.rows.reserve(recipients * 3);
  out.days.reserve(recipients * 3);
  sum_organisation(batch, counted, out);
  sum_senders(batch, counted, max_together, out);
  return out;
}

}  // namespace sendguard::store_internal
