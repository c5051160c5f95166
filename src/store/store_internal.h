// What the SQLite and PostgreSQL stores share: input checks, encodings and the quarantine state
// diagram, so that both backends accept and return exactly the same values.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/huge_pages.h"
#include "store/store.h"

namespace sendguard::store_internal {

// One step of a backend's schema, applied in order and recorded in its migrations table.
struct Migration {
  int version;
  const char* description;
  const char* sql;  // one or more statements
};

// Microseconds since 1970-01-01 UTC, rounded down; the unit both backends store.
std::int64_t to_micros(std::chrono::system_clock::time_point time);
std::chrono::system_clock::time_point from_micros(std::int64_t micros);

// A new quarantine id: 16 characters of lowercase Crockford base32 (80 bits from getrandom).
Result<std::string> new_quarantine_id();

// Recipients travel as a JSON array of strings: unambiguous for any text, and queryable as
// jsonb in PostgreSQL.
std::string encode_recipients(const std::vector<std::string>& recipients);
Result<std::vector<std::string>> decode_recipients(std::string_view json);

// Checks every text field (valid UTF-8, no NUL) and that details_json is a JSON object.
Result<void> check_audit_record(const AuditRecord& record);
Result<void> check_quarantine_entry(const QuarantineEntry& entry);
Result<void> check_text(std::string_view field, std::string_view value);

// Whether the state diagram in store.h allows moving from `from` to `to`.
bool transition_allowed(QuarantineState from, QuarantineState to);
Result<void> check_transition(const std::string& id, QuarantineState from, QuarantineState to,
                              const std::string& by);
Result<void> check_take_over(const std::string& id, const std::string& by);

// details_json as stored: "{}" when the caller left it empty.
std::string stored_details(const AuditRecord& record);

// ---- History (see Store::import_history) ----

// One key's share of an import: what its messages add, and on which days. Texts are the
// batch's numbers (HistoryBatch::TextId); a kTogether key is the pair (key, key2) with the
// smaller address first, every other key has key2 == kEmptyText.
struct HistoryRow {
  HistoryScope scope;
  HistoryBatch::TextId subject, key, key2, local;
  std::uint32_t days_begin = 0, days_count = 0;  // a run of HistoryRows::days
  std::int64_t messages = 0;
  std::int64_t first_us = 0, last_us = 0;
};

// The rows of one import, with their days.
struct HistoryRows {
  HugeVector<HistoryRow> rows;
  HugeVector<std::int64_t> days;  // every row's days, ascending, one run per row; none for kTogether

  std::span<const std::int64_t> days_of(const HistoryRow& row) const {
    return std::span(days).subspan(row.days_begin, row.days_count);
  }
};

// The rows the messages of `batch` that `counted` selects add up to, in no particular order: a
// recipient given twice in one message counts once.
HistoryRows aggregate_history(const HistoryBatch& batch, const std::vector<bool>& counted,
                              std::size_t max_together);
// A row's key as the history shows it: the text, or for kTogether the two addresses joined by
// a newline.
std::string row_key_text(const HistoryBatch& batch, const HistoryRow& row);
Result<void> check_history_batch(const HistoryBatch& batch);
Result<void> check_history_keys(const std::vector<HistoryKey>& keys);
Result<void> check_history_query(const HistoryQuery& query);
// The identity digest as both backends store it: a signed 64-bit integer with the same bits.
std::int64_t stored_identity(std::uint64_t identity);

// The implementations behind open_store().
Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options);
Result<std::unique_ptr<Store>> open_postgresql_store(const StoreOptions& options);

}  // namespace sendguard::store_internal
