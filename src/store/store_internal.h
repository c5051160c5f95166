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

// One key's share of an import: what its messages add, and on which days. The texts point into
// the batch given to aggregate_history() or into the HistoryRows that holds the row.
struct HistoryRow {
  HistoryScope scope;
  std::string_view subject, key, local;
  std::int64_t messages = 0;
  std::int64_t first_us = 0, last_us = 0;
  std::span<const std::int64_t> days;  // UTC days since 1970-01-01, ascending; none for kTogether
  std::int64_t new_days = 0;           // filled by the backend: days the store did not have yet
};

// The rows of one import, in the order of the history's primary key (scope name, subject,
// key), with the storage their views need besides the batch. Moving keeps the views valid.
struct HistoryRows {
  std::vector<HistoryRow> rows;
  std::vector<std::int64_t> days;      // every row's days, one run per row
  std::deque<std::string> pair_keys;   // kTogether keys, "a\nb" with a < b

  HistoryRows() = default;
  HistoryRows(HistoryRows&&) = default;
  HistoryRows& operator=(HistoryRows&&) = default;
  HistoryRows(const HistoryRows&) = delete;
  HistoryRows& operator=(const HistoryRows&) = delete;
};

// The rows the messages of `batch` that `counted` selects add up to, sorted: a recipient given
// twice in one message counts once. `batch` must outlive the result.
HistoryRows aggregate_history(const std::vector<HistoryMessage>& batch,
                              const std::vector<bool>& counted, std::size_t max_together);
Result<void> check_history_batch(const std::vector<HistoryMessage>& batch);
Result<void> check_history_keys(const std::vector<HistoryKey>& keys);
Result<void> check_history_query(const HistoryQuery& query);
// The identity digest as both backends store it: a signed 64-bit integer with the same bits.
std::int64_t stored_identity(std::uint64_t identity);

// The implementations behind open_store().
Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options);
Result<std::unique_ptr<Store>> open_postgresql_store(const StoreOptions& options);

}  // namespace sendguard::store_internal
