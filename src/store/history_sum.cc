// Summing a batch of messages into history rows, shared by both stores so that they count
// exactly alike.
//
// A message touches about eighteen keys, and a batch of 100,000 messages a million or more, so
// this is the hot loop of learning. Rows live in one vector and are found through an
// open-addressing table of 64-bit hashes; their texts are views into the batch, so a new row
// costs no allocation. Days are gathered as (row, day) pairs and sorted once at the end instead
// of a growing list per row.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store_internal.h"

namespace sendguard::store_internal {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

std::int64_t utc_day(std::int64_t micros) {
  return micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
}

// 64-bit FNV-1a: keys are short (an address or a domain), and the table below compares the
// texts of every hit, so a fast hash with good spread is all that is needed.
std::uint64_t text_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3;
  return h;
}

// Mixes the parts of a key into one well-spread hash (the finaliser of MurmurHash3).
std::uint64_t combine(std::uint64_t a, std::uint64_t b) {
  std::uint64_t h = a ^ (b + 0x9e3779b97f4a7c15 + (a << 6) + (a >> 2));
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 33;
  return h;
}

// A key's text: one text, or for kTogether two addresses joined by a newline, compared without
// joining them.
struct KeyText {
  std::string_view first, second;
  bool pair = false;

  bool equals(std::string_view stored) const {
    if (!pair) return stored == first;
    return stored.size() == first.size() + 1 + second.size() && stored.starts_with(first) &&
           stored[first.size()] == '\n' && stored.ends_with(second);
  }
};

// Collects rows by (scope, subject, key).
class RowSummer {
 public:
  explicit RowSummer(std::size_t expected_rows) {
    std::size_t capacity = 1024;
    while (capacity < expected_rows * 2) capacity *= 2;
    slots_.assign(capacity, kEmpty);
    rows_.reserve(expected_rows);
  }

  void add(HistoryScope scope, std::string_view subject, std::uint64_t subject_hash,
           const KeyText& key, std::uint64_t key_hash, std::string_view local,
           std::int64_t micros, bool count_days) {
    std::uint64_t hash = combine(combine(static_cast<std::uint64_t>(scope), subject_hash), key_hash);
    Entry& row = find_or_add(hash, scope, subject, key, local, micros);
    ++row.row.messages;
    row.row.first_us = std::min(row.row.first_us, micros);
    row.row.last_us = std::max(row.row.last_us, micros);
    if (count_days) {
      std::int64_t day = utc_day(micros);
      // Mail comes roughly in time order, so most repeats of a day are caught here.
      if (day != row.last_day) {
        row.last_day = day;
        day_pairs_.push_back({static_cast<std::uint32_t>(&row - rows_.data()), day});
      }
    }
  }

  HistoryRows take() {
    HistoryRows out;
    out.pair_keys = std::move(pair_keys_);
    std::vector<std::uint32_t> order(rows_.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return key_order(rows_[a].row, rows_[b].row);
    });
    std::sort(day_pairs_.begin(), day_pairs_.end());
    day_pairs_.erase(std::unique(day_pairs_.begin(), day_pairs_.end()), day_pairs_.end());
    // Where each row's run of days starts in day_pairs_ (sorted by row, then day).
    std::vector<std::uint32_t> first_day(rows_.size() + 1, 0);
    for (const DayPair& p : day_pairs_) ++first_day[p.row + 1];
    for (std::size_t i = 1; i < first_day.size(); ++i) first_day[i] += first_day[i - 1];
    out.days.reserve(day_pairs_.size());
    out.rows.reserve(rows_.size());
    for (std::uint32_t i : order) {
      std::size_t begin = out.days.size();
      for (std::uint32_t d = first_day[i]; d < first_day[i + 1]; ++d)
        out.days.push_back(day_pairs_[d].day);
      out.rows.push_back(rows_[i].row);
      out.rows.back().days = std::span<const std::int64_t>(out.days).subspan(begin, out.days.size() - begin);
    }
    return out;
  }

 private:
  struct Entry {
    HistoryRow row;
    std::uint64_t hash;
    std::int64_t last_day;
  };
  struct DayPair {
    std::uint32_t row;
    std::int64_t day;
    auto operator<=>(const DayPair&) const = default;
  };
  static constexpr std::uint32_t kEmpty = UINT32_MAX;

  // Where a scope's name sorts among the names of all scopes.
  static int scope_rank(HistoryScope scope) {
    static const std::array<int, kScopes> ranks = [] {
      std::array<int, kScopes> out{};
      for (int a = 0; a < kScopes; ++a) {
        for (int b = 0; b < kScopes; ++b) {
          if (to_string(static_cast<HistoryScope>(b)) < to_string(static_cast<HistoryScope>(a)))
            ++out[a];
        }
      }
      return out;
    }();
    return ranks[static_cast<std::size_t>(scope)];
  }
  static constexpr int kScopes = static_cast<int>(HistoryScope::kTogether) + 1;

  // The primary key's order; scopes sort by their stored names.
  static bool key_order(const HistoryRow& a, const HistoryRow& b) {
    if (a.scope != b.scope) return scope_rank(a.scope) < scope_rank(b.scope);
    if (int c = a.subject.compare(b.subject); c != 0) return c < 0;
    return a.key < b.key;
  }

  Entry& find_or_add(std::uint64_t hash, HistoryScope scope, std::string_view subject,
                     const KeyText& key, std::string_view local, std::int64_t micros) {
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      std::uint32_t slot = slots_[i];
      if (slot == kEmpty) {
        slots_[i] = static_cast<std::uint32_t>(rows_.size());
        rows_.push_back({HistoryRow{scope, subject, stored_key(key), local, 0, micros, micros, {}, 0},
                         hash, INT64_MIN});
        if (rows_.size() * 2 > slots_.size()) grow();
        return rows_.back();
      }
      Entry& e = rows_[slot];
      if (e.hash == hash && e.row.scope == scope && e.row.subject == subject &&
          key.equals(e.row.key)) {
        return e;
      }
    }
  }

  std::string_view stored_key(const KeyText& key) {
    if (!key.pair) return key.first;
    std::string& joined = pair_keys_.emplace_back();
    joined.reserve(key.first.size() + 1 + key.second.size());
    joined.append(key.first).append(1, '\n').append(key.second);
    return joined;
  }

  void grow() {
    std::vector<std::uint32_t> bigger(slots_.size() * 2, kEmpty);
    std::size_t mask = bigger.size() - 1;
    for (std::uint32_t r = 0; r < rows_.size(); ++r) {
      std::size_t i = rows_[r].hash & mask;
      while (bigger[i] != kEmpty) i = (i + 1) & mask;
      bigger[i] = r;
    }
    slots_.swap(bigger);
  }

  std::vector<std::uint32_t> slots_;  // indexes into rows_
  std::vector<Entry> rows_;
  std::vector<DayPair> day_pairs_;
  std::deque<std::string> pair_keys_;
};

// A recipient of one message with the hashes of its texts, worked out once per message.
struct HashedRecipient {
  const HistoryRecipient* recipient;
  std::uint64_t address_hash, domain_hash;
};

}  // namespace

HistoryRows aggregate_history(const std::vector<HistoryMessage>& batch,
                              const std::vector<bool>& counted, std::size_t max_together) {
  RowSummer sum(batch.size() * 2);
  constexpr std::uint64_t kNoSubject = 0;
  std::vector<HashedRecipient> distinct;
  std::vector<const HashedRecipient*> domains;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!counted[i]) continue;
    const HistoryMessage& m = batch[i];
    std::int64_t micros = to_micros(m.time);
    std::uint64_t sender_hash = text_hash(m.sender);
    distinct.clear();
    for (const HistoryRecipient& r : m.recipients) {
      bool seen = std::any_of(distinct.begin(), distinct.end(), [&](const HashedRecipient& d) {
        return d.recipient->address == r.address;
      });
      if (!seen) distinct.push_back({&r, text_hash(r.address), text_hash(r.domain)});
    }
    domains.clear();
    for (const HashedRecipient& h : distinct) {
      const HistoryRecipient& r = *h.recipient;
      sum.add(HistoryScope::kAddress, "", kNoSubject, {r.address}, h.address_hash, "", micros,
              true);
      sum.add(HistoryScope::kSenderAddress, m.sender, sender_hash, {r.address}, h.address_hash,
              r.local, micros, true);
      // Two recipients at one domain make one message to that domain, not two.
      bool domain_seen = std::any_of(domains.begin(), domains.end(), [&](const HashedRecipient* d) {
        return d->recipient->domain == r.domain;
      });
      if (domain_seen) continue;
      domains.push_back(&h);
      sum.add(HistoryScope::kDomain, "", kNoSubject, {r.domain}, h.domain_hash, "", micros, true);
      sum.add(HistoryScope::kSenderDomain, m.sender, sender_hash, {r.domain}, h.domain_hash, "",
              micros, true);
    }
    if (distinct.size() < 2 || distinct.size() > max_together) continue;
    for (std::size_t a = 0; a < distinct.size(); ++a) {
      for (std::size_t b = a + 1; b < distinct.size(); ++b) {
        const HashedRecipient* x = &distinct[a];
        const HashedRecipient* y = &distinct[b];
        if (y->recipient->address < x->recipient->address) std::swap(x, y);
        sum.add(HistoryScope::kTogether, m.sender, sender_hash,
                {x->recipient->address, y->recipient->address, true},
                combine(x->address_hash, y->address_hash), "", micros, false);
      }
    }
  }
  return sum.take();
}

}  // namespace sendguard::store_internal
