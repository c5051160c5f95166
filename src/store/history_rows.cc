// What both stores share of the history: the checks and the summing of a batch into rows, so
// that SQLite and PostgreSQL count exactly alike.
#include <algorithm>
#include <bit>
#include <string>
#include <tuple>
#include <unordered_map>

#include "store/store_internal.h"

namespace sendguard {

std::string_view to_string(HistoryScope scope) {
  switch (scope) {
    case HistoryScope::kDomain:
      return "domain";
    case HistoryScope::kAddress:
      return "address";
    case HistoryScope::kSenderDomain:
      return "sender-domain";
    case HistoryScope::kSenderAddress:
      return "sender-address";
    case HistoryScope::kTogether:
      return "together";
  }
  return "unknown";
}

namespace store_internal {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

std::int64_t utc_day(std::int64_t micros) {
  return micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
}

// Collects rows by (scope, subject, key).
class RowSummer {
 public:
  void add(HistoryScope scope, const std::string& subject, const std::string& key,
           const std::string& local, std::int64_t micros, bool count_days) {
    id_.clear();
    id_ += static_cast<char>('0' + static_cast<int>(scope));
    id_ += subject;
    id_ += '\0';
    id_ += key;
    auto [it, inserted] = index_.try_emplace(id_, rows_.size());
    if (inserted) {
      rows_.push_back({scope, subject, key, local, 0, micros, micros, {}, 0});
    }
    HistoryRow& row = rows_[it->second];
    ++row.messages;
    row.first_us = std::min(row.first_us, micros);
    row.last_us = std::max(row.last_us, micros);
    if (count_days) {
      std::int64_t day = utc_day(micros);
      if (std::find(row.days.begin(), row.days.end(), day) == row.days.end())
        row.days.push_back(day);
    }
  }

  std::vector<HistoryRow> take() { return std::move(rows_); }

 private:
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<HistoryRow> rows_;
  std::string id_;  // reused: most keys are found, and need no string of their own
};

}  // namespace

std::int64_t stored_identity(std::uint64_t identity) {
  return std::bit_cast<std::int64_t>(identity);
}

std::vector<HistoryRow> aggregate_history(const std::vector<HistoryMessage>& batch,
                                          const std::vector<bool>& counted,
                                          std::size_t max_together) {
  RowSummer sum;
  std::vector<const HistoryRecipient*> distinct;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!counted[i]) continue;
    const HistoryMessage& m = batch[i];
    std::int64_t micros = to_micros(m.time);
    distinct.clear();
    for (const HistoryRecipient& r : m.recipients) {
      bool seen = std::any_of(distinct.begin(), distinct.end(),
                              [&](const HistoryRecipient* d) { return d->address == r.address; });
      if (!seen) distinct.push_back(&r);
    }
    std::vector<const std::string*> domains;
    for (const HistoryRecipient* r : distinct) {
      sum.add(HistoryScope::kAddress, "", r->address, "", micros, true);
      sum.add(HistoryScope::kSenderAddress, m.sender, r->address, r->local, micros, true);
      // Two recipients at one domain make one message to that domain, not two.
      bool domain_seen = std::any_of(domains.begin(), domains.end(),
                                     [&](const std::string* d) { return *d == r->domain; });
      if (domain_seen) continue;
      domains.push_back(&r->domain);
      sum.add(HistoryScope::kDomain, "", r->domain, "", micros, true);
      sum.add(HistoryScope::kSenderDomain, m.sender, r->domain, "", micros, true);
    }
    if (distinct.size() < 2 || distinct.size() > max_together) continue;
    for (std::size_t a = 0; a < distinct.size(); ++a) {
      for (std::size_t b = a + 1; b < distinct.size(); ++b) {
        const std::string& x = distinct[a]->address;
        const std::string& y = distinct[b]->address;
        sum.add(HistoryScope::kTogether, m.sender, x < y ? x + "\n" + y : y + "\n" + x, "", micros,
                false);
      }
    }
  }
  return sum.take();
}

void sort_history_rows(std::vector<HistoryRow>& rows) {
  std::sort(rows.begin(), rows.end(), [](const HistoryRow& a, const HistoryRow& b) {
    return std::tuple(to_string(a.scope), std::string_view(a.subject), std::string_view(a.key)) <
           std::tuple(to_string(b.scope), std::string_view(b.subject), std::string_view(b.key));
  });
  for (HistoryRow& row : rows) std::sort(row.days.begin(), row.days.end());
}

Result<void> check_history_batch(const std::vector<HistoryMessage>& batch) {
  for (const HistoryMessage& m : batch) {
    if (auto ok = check_text("sender", m.sender); !ok) return ok;
    for (const HistoryRecipient& r : m.recipients) {
      for (auto [field, value] :
           {std::pair<std::string_view, const std::string*>{"address", &r.address},
            {"domain", &r.domain},
            {"local part", &r.local}}) {
        if (auto ok = check_text(field, *value); !ok) return ok;
      }
      if (r.address.empty() || r.domain.empty()) {
        return make_error(ErrorCode::kInvalidInput,
                          "history: a recipient without address or domain");
      }
    }
  }
  return {};
}

Result<void> check_history_keys(const std::vector<HistoryKey>& keys) {
  for (const HistoryKey& k : keys) {
    if (auto ok = check_text("subject", k.subject); !ok) return ok;
    if (auto ok = check_text("key", k.key); !ok) return ok;
  }
  return {};
}

}  // namespace store_internal
}  // namespace sendguard
