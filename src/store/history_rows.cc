// What both stores share of the history: scope names and the checks of what comes in, so that
// SQLite and PostgreSQL accept exactly the same (the summing is in history_sum.cc).
#include <bit>
#include <string>

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

std::int64_t stored_identity(std::uint64_t identity) {
  return std::bit_cast<std::int64_t>(identity);
}

Result<void> check_history_batch(const HistoryBatch& batch) {
  // Each distinct text once, however many messages name it.
  for (HistoryBatch::TextId id = 0; id < batch.text_count(); ++id) {
    if (auto ok = check_text("history text", batch.text(id)); !ok) return ok;
  }
  for (const HistoryBatch::Message& m : batch.messages()) {
    for (const HistoryBatch::Recipient& r : batch.recipients(m)) {
      if (r.address == HistoryBatch::kEmptyText || r.domain == HistoryBatch::kEmptyText) {
        return make_error(ErrorCode::kInvalidInput,
                          "history: a recipient without address or domain");
      }
    }
  }
  return {};
}

std::string row_key_text(const HistoryBatch& batch, const HistoryRow& row) {
  std::string text(batch.text(row.key));
  if (row.scope == HistoryScope::kTogether) text.append(1, '\n').append(batch.text(row.key2));
  return text;
}

Result<void> check_history_query(const HistoryQuery& query) {
  for (const std::string* text : {&query.subject, &query.local}) {
    if (auto ok = check_text("history query", *text); !ok) return ok;
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
