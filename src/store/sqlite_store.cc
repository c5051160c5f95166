// The SQLite store: one database file, WAL mode (readers never wait for the writer), one
// connection behind a mutex. Other processes on the node (the command line releasing a message
// while the milter runs) open their own connection; SQLite's file locks and the busy timeout
// order their writes.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "store/day_list.h"
#include "store/sqlite_day_functions.h"
#include "store/sqlite_import_rows.h"
#include "store/store_internal.h"

namespace sendguard::store_internal {
namespace {

// Times are INTEGER microseconds since 1970-01-01 UTC (datetime(time_us / 1e6, 'unixepoch')
// shows them); recipients are JSON arrays of strings. Never edit a migration once released:
// add the next one.
constexpr Migration kMigrations[] = {
    {1, "audit log and quarantine", R"sql(
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us INTEGER NOT NULL,
  node TEXT NOT NULL,
  stage TEXT NOT NULL,
  queue_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  auth_user TEXT NOT NULL,
  recipients TEXT NOT NULL,
  rule TEXT NOT NULL,
  action TEXT NOT NULL,
  monitor INTEGER NOT NULL CHECK (monitor IN (0, 1)),
  override_justification TEXT NOT NULL,
  details TEXT NOT NULL
) STRICT;
CREATE INDEX audit_time ON audit (time_us);
CREATE INDEX audit_queue_id ON audit (queue_id);
CREATE TABLE quarantine (
  id TEXT PRIMARY KEY,
  held_at_us INTEGER NOT NULL,
  queue_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  recipients TEXT NOT NULL,
  rule TEXT NOT NULL,
  reason TEXT NOT NULL,
  location TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('held', 'releasing', 'released', 'discarded')),
  changed_at_us INTEGER NOT NULL,
  changed_by TEXT NOT NULL
) STRICT;
CREATE INDEX quarantine_state ON quarantine (state, held_at_us);
CREATE INDEX quarantine_queue_id ON quarantine (queue_id);
)sql"},
    {2, "mail history", R"sql(
CREATE TABLE history_seen (
  identity INTEGER PRIMARY KEY
) STRICT;
CREATE TABLE history (
  scope TEXT NOT NULL,
  subject TEXT NOT NULL,
  key TEXT NOT NULL,
  local TEXT NOT NULL,
  messages INTEGER NOT NULL,
  days INTEGER NOT NULL,
  first_us INTEGER NOT NULL,
  last_us INTEGER NOT NULL,
  PRIMARY KEY (scope, subject, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX history_local ON history (scope, subject, local) WHERE local <> '';
CREATE TABLE history_days (
  scope TEXT NOT NULL,
  subject TEXT NOT NULL,
  key TEXT NOT NULL,
  day INTEGER NOT NULL,
  PRIMARY KEY (scope, subject, key, day)
) STRICT, WITHOUT ROWID;
)sql"},
    // A row per key and day made an import write every key twice; the row now holds its days.
    {3, "mail history: each key's days in its row", R"sql(
ALTER TABLE history ADD COLUMN day_list BLOB NOT NULL DEFAULT x'';
UPDATE history SET day_list = (SELECT sendguard_day_list(d.day) FROM history_days d
  WHERE d.scope = history.scope AND d.subject = history.subject AND d.key = history.key);
DROP TABLE history_days;
)sql"},
    // Rows keyed by text made the table (and every page an import rewrites) several times the
    // size of its numbers: each distinct text is now stored once, and rows refer to it. Scopes
    // are numbers too: 0 domain, 1 address, 2 sender-domain, 3 sender-address, 4 together, whose
    // two addresses are key and key2. The days are counted from day_list when read.
    {4, "mail history: texts stored once", R"sql(
CREATE TABLE history_text (
  id INTEGER PRIMARY KEY,
  text TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO history_text (id, text) VALUES (0, '');
INSERT OR IGNORE INTO history_text (text)
  SELECT subject FROM history UNION SELECT local FROM history
  UNION SELECT key FROM history WHERE scope <> 'together'
  UNION SELECT substr(key, 1, instr(key, char(10)) - 1) FROM history WHERE scope = 'together'
  UNION SELECT substr(key, instr(key, char(10)) + 1) FROM history WHERE scope = 'together';
CREATE TABLE history_counts (
  scope INTEGER NOT NULL,
  subject INTEGER NOT NULL,
  key INTEGER NOT NULL,
  key2 INTEGER NOT NULL,
  local INTEGER NOT NULL,
  messages INTEGER NOT NULL,
  first_us INTEGER NOT NULL,
  last_us INTEGER NOT NULL,
  day_list BLOB NOT NULL,
  PRIMARY KEY (scope, subject, key, key2)
) STRICT, WITHOUT ROWID;
INSERT INTO history_counts
  SELECT CASE h.scope WHEN 'domain' THEN 0 WHEN 'address' THEN 1 WHEN 'sender-domain' THEN 2
           WHEN 'sender-address' THEN 3 ELSE 4 END,
         s.id, k.id, k2.id, l.id, h.messages, h.first_us, h.last_us, h.day_list
  FROM history h
  JOIN history_text s ON s.text = h.subject
  JOIN history_text l ON l.text = h.local
  JOIN history_text k ON k.text = CASE WHEN h.scope = 'together'
    THEN substr(h.key, 1, instr(h.key, char(10)) - 1) ELSE h.key END
  JOIN history_text k2 ON k2.text = CASE WHEN h.scope = 'together'
    THEN substr(h.key, instr(h.key, char(10)) + 1) ELSE '' END;
DROP TABLE history;
)sql"},
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion);

// One row of an import with the store's numbers for its key, to sort them in the table's order.
struct StoredRow {
  std::int64_t subject, key, key2;
  std::uint32_t row;  // in HistoryRows::rows
  std::uint8_t scope;
};

// An import's rows in the table's order, as sendguard_import_rows reads them.
class SummedRows final : public ImportRowSource {
 public:
  SummedRows(const HistoryRows& summed, std::span<const StoredRow> order,
             const std::vector<std::int64_t>& text_ids)
      : summed_(summed), order_(order), text_ids_(text_ids) {}

  std::size_t size() const override { return order_.size(); }

  void fill(std::size_t index, ImportRow& out) const override {
    // The rows are read in key order, all over memory: ask for one a few steps ahead.
    constexpr std::size_t kAhead = 16;
    if (index + kAhead < order_.size())
      __builtin_prefetch(&summed_.rows[order_[index + kAhead].row]);
    const StoredRow& s = order_[index];
    const HistoryRow& row = summed_.rows[s.row];
    out.scope = s.scope;
    out.subject = s.subject;
    out.key = s.key;
    out.key2 = s.key2;
    out.local = text_ids_[row.local];
    out.messages = row.messages;
    out.first_us = row.first_us;
    out.last_us = row.last_us;
    encode_day_list(summed_.days_of(row), out.day_list);
  }

 private:
  const HistoryRows& summed_;
  std::span<const StoredRow> order_;
  const std::vector<std::int64_t>& text_ids_;
};

// A prepared statement that finalizes itself. Values are always bound, never spliced into SQL.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { finalize(); }

  void finalize() {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }

  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

  // For a statement kept and run again and again: at the end of the scope the statement is
  // reset and its values unbound, ready for the next run, whichever way the scope was left.
  class ResetOnExit {
   public:
    explicit ResetOnExit(Statement& kept) : stmt_(kept.stmt_) {}
    ~ResetOnExit() {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
    ResetOnExit(const ResetOnExit&) = delete;
    ResetOnExit& operator=(const ResetOnExit&) = delete;

   private:
    sqlite3_stmt* stmt_;
  };

  int bind(int index, std::string_view text) {
    return sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  }
  // For values that outlive the next step: SQLite reads them in place instead of copying.
  int bind_in_place(int index, std::string_view text) {
    return sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  int bind_blob_in_place(int index, std::string_view bytes) {
    return sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  }
  int bind(int index, std::int64_t value) { return sqlite3_bind_int64(stmt_, index, value); }
  int bind_null(int index) { return sqlite3_bind_null(stmt_, index); }

  std::string text(int column) const {
    auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return data ? std::string(data, sqlite3_column_bytes(stmt_, column)) : std::string();
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, StoreOptions options) : db_(db), options_(std::move(options)) {}
  ~SqliteStore() override {
    insert_audit_.finalize();
    select_history_.finalize();
    list_history_.finalize();
    sqlite3_close_v2(db_);
  }

  // Sets the connection up and applies missing migrations; the first error names the step.
  Result<void> initialise() {
    sqlite3_extended_result_codes(db_, 1);
    if (sqlite3_busy_timeout(db_, options_.busy_timeout_ms) != SQLITE_OK) return failure("");
    {
      Statement wal;
      if (prepare(wal, "PRAGMA journal_mode = WAL") != SQLITE_OK) return failure("");
      if (sqlite3_step(wal.get()) != SQLITE_ROW) return failure("");
      if (wal.text(0) != "wal") {
        return make_error(ErrorCode::kIo, "cannot open store " + options_.sqlite_path +
                                              ": SQLite refused WAL mode (journal mode is " +
                                              wal.text(0) + ")");
      }
    }
    // NORMAL for audit appends: in WAL mode the database stays consistent across a power cut
    // and at worst loses the last moments of the log, while a sync per decision would add
    // milliseconds to every message. Quarantine changes sync at once (SyncedWrite below), and
    // each such sync makes every earlier append durable too.
    if (exec("PRAGMA synchronous = NORMAL") != SQLITE_OK) return failure("synchronous mode");
    // A history import touches keys all over the history's indexes: with SQLite's default 2 MB
    // page cache it spends most of its time in pread() and pwrite() of pages it just had.
    if (exec("PRAGMA cache_size = -65536") != SQLITE_OK) return failure("cache size");
    if (register_day_functions(db_) != SQLITE_OK || register_import_rows(db_) != SQLITE_OK)
      return failure("register functions");
    return migrate();
  }

  // Whether the last error was a lock held by another connection.
  bool busy() const {
    int code = sqlite3_extended_errcode(db_) & 0xff;
    return code == SQLITE_BUSY || code == SQLITE_LOCKED;
  }

  // A held message's record must survive a power cut, or the message would sit in the MTA's
  // hold queue with nothing pointing at it: quarantine writes run with synchronous = FULL.
  // Call with mutex_ held.
  class SyncedWrite {
   public:
    explicit SyncedWrite(SqliteStore& store) : store_(store) {
      store_.exec("PRAGMA synchronous = FULL");
    }
    ~SyncedWrite() { store_.exec("PRAGMA synchronous = NORMAL"); }
    SyncedWrite(const SyncedWrite&) = delete;
    SyncedWrite& operator=(const SyncedWrite&) = delete;

   private:
    SqliteStore& store_;
  };

  // Decisions on several worker threads append at once. They are written together: the first
  // caller to find no writer at work becomes it and writes every record queued meanwhile in
  // one transaction, so a burst of decisions costs one commit instead of one each. Each
  // caller still returns only once its own record is committed, or with the error.
  Result<std::int64_t> append_audit(const AuditRecord& record) override {
    if (auto ok = check_audit_record(record); !ok) return std::unexpected(ok.error());
    PendingAppend mine{&record, std::nullopt};
    std::unique_lock lock(appends_mutex_);
    appends_.push_back(&mine);
    while (!mine.result) {
      if (appending_) {
        appends_done_.wait(lock);
        continue;
      }
      appending_ = true;
      std::vector<PendingAppend*> batch;
      batch.swap(appends_);
      lock.unlock();
      write_appends(batch);
      lock.lock();
      appending_ = false;
      appends_done_.notify_all();
    }
    return std::move(*mine.result);
  }

  Result<std::vector<AuditRecord>> audit(const AuditQuery& query) override {
    if (auto ok = check_text("queue_id", query.queue_id); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    Statement st;
    if (prepare(st,
                "SELECT id, time_us, node, stage, queue_id, message_id, sender, auth_user, "
                "recipients, rule, action, monitor, override_justification, details FROM audit "
                "WHERE (?1 IS NULL OR time_us >= ?1) AND (?2 IS NULL OR time_us < ?2) "
                "AND (?3 = '' OR queue_id = ?3) ORDER BY time_us DESC, id DESC LIMIT ?4") !=
        SQLITE_OK) {
      return failure("read audit log");
    }
    if (query.since) {
      st.bind(1, to_micros(*query.since));
    } else {
      st.bind_null(1);
    }
    if (query.until) {
      st.bind(2, to_micros(*query.until));
    } else {
      st.bind_null(2);
    }
    st.bind(3, query.queue_id);
    st.bind(4, query.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(query.limit));
    std::vector<AuditRecord> records;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      AuditRecord r;
      r.id = st.integer(0);
      r.time = from_micros(st.integer(1));
      r.node = st.text(2);
      r.stage = st.text(3);
      r.queue_id = st.text(4);
      r.message_id = st.text(5);
      r.sender = st.text(6);
      r.auth_user = st.text(7);
      auto recipients = decode_recipients(st.text(8));
      if (!recipients) return std::unexpected(recipients.error());
      r.recipients = std::move(*recipients);
      r.rule = st.text(9);
      r.action = st.text(10);
      r.monitor = st.integer(11) != 0;
      r.override_justification = st.text(12);
      r.details_json = st.text(13);
      records.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return failure("read audit log");
    return records;
  }

  Result<std::string> hold(const QuarantineEntry& entry) override {
    if (auto ok = check_quarantine_entry(entry); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    SyncedWrite synced(*this);
    // 80 random bits make a clash all but impossible; should one happen, draw again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto id = new_quarantine_id();
      if (!id) return std::unexpected(id.error());
      Statement st;
      if (prepare(st,
                  "INSERT INTO quarantine (id, held_at_us, queue_id, message_id, sender, "
                  "recipients, rule, reason, location, state, changed_at_us, changed_by) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'held', ?2, ?10)") != SQLITE_OK) {
        return failure("hold message");
      }
      st.bind(1, *id);
      st.bind(2, to_micros(entry.held_at));
      st.bind(3, entry.queue_id);
      st.bind(4, entry.message_id);
      st.bind(5, entry.sender);
      st.bind(6, encode_recipients(entry.recipients));
      st.bind(7, entry.rule);
      st.bind(8, entry.reason);
      st.bind(9, entry.location);
      st.bind(10, entry.changed_by);
      int rc = sqlite3_step(st.get());
      if (rc == SQLITE_DONE) return *id;
      if (rc != SQLITE_CONSTRAINT_PRIMARYKEY) return failure("hold message");
    }
    return make_error(ErrorCode::kInternal, "store " + options_.sqlite_path +
                                                ": three random quarantine ids were all taken");
  }

  Result<std::vector<QuarantineEntry>> quarantine(std::optional<QuarantineState> state) override {
    std::lock_guard lock(mutex_);
    Statement st;
    if (prepare(st, std::string(kSelectQuarantine) +
                        " WHERE (?1 IS NULL OR state = ?1) ORDER BY held_at_us, id") != SQLITE_OK) {
      return failure("list quarantine");
    }
    if (state) {
      st.bind(1, to_string(*state));
    } else {
      st.bind_null(1);
    }
    return read_entries(st, "list quarantine");
  }

  Result<std::optional<QuarantineEntry>> quarantine_entry(const std::string& id) override {
    if (auto ok = check_text("quarantine id", id); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    Statement st;
    if (prepare(st, std::string(kSelectQuarantine) + " WHERE id = ?1") != SQLITE_OK) {
      return failure("read quarantine entry");
    }
    st.bind(1, id);
    auto entries = read_entries(st, "read quarantine entry");
    if (!entries) return std::unexpected(entries.error());
    if (entries->empty()) return std::optional<QuarantineEntry>();
    return std::optional<QuarantineEntry>(std::move(entries->front()));
  }

  Result<bool> transition(const std::string& id, QuarantineState from, QuarantineState to,
                          const std::string& by) override {
    if (auto ok = check_transition(id, from, to, by); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    SyncedWrite synced(*this);
    // One UPDATE guarded by the expected state: SQLite runs it under the database's write lock,
    // so of two racing connections exactly one sees the old state and changes the row.
    Statement st;
    if (prepare(st,
                "UPDATE quarantine SET state = ?3, changed_at_us = ?4, changed_by = ?5 "
                "WHERE id = ?1 AND state = ?2") != SQLITE_OK) {
      return failure("change quarantine state");
    }
    st.bind(1, id);
    st.bind(2, to_string(from));
    st.bind(3, to_string(to));
    st.bind(4, to_micros(std::chrono::system_clock::now()));
    st.bind(5, by);
    if (sqlite3_step(st.get()) != SQLITE_DONE) return failure("change quarantine state");
    if (sqlite3_changes(db_) == 1) return true;
    Statement exists;
    if (prepare(exists, "SELECT 1 FROM quarantine WHERE id = ?1") != SQLITE_OK) {
      return failure("change quarantine state");
    }
    exists.bind(1, id);
    int rc = sqlite3_step(exists.get());
    if (rc == SQLITE_ROW) return false;
    if (rc != SQLITE_DONE) return failure("change quarantine state");
    return make_error(ErrorCode::kInvalidInput, "no quarantined message has the id " + id);
  }

  Result<bool> take_over_claim(const std::string& id,
                               std::chrono::system_clock::time_point claimed_at,
                               const std::string& by) override {
    if (auto ok = check_take_over(id, by); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    SyncedWrite synced(*this);
    // Guarded by the state and the time of the claim as the caller read them: a claim that was
    // finished, undone or taken over meanwhile has another state or time and is left alone.
    Statement st;
    if (prepare(st,
                "UPDATE quarantine SET changed_at_us = ?3, changed_by = ?4 "
                "WHERE id = ?1 AND state = 'releasing' AND changed_at_us = ?2") != SQLITE_OK) {
      return failure("take over a quarantine claim");
    }
    std::int64_t claimed_us = to_micros(claimed_at);
    st.bind(1, id);
    st.bind(2, claimed_us);
    st.bind(3, std::max(to_micros(std::chrono::system_clock::now()), claimed_us + 1));
    st.bind(4, by);
    if (sqlite3_step(st.get()) != SQLITE_DONE) return failure("take over a quarantine claim");
    if (sqlite3_changes(db_) == 1) return true;
    Statement exists;
    if (prepare(exists, "SELECT 1 FROM quarantine WHERE id = ?1") != SQLITE_OK) {
      return failure("take over a quarantine claim");
    }
    exists.bind(1, id);
    int rc = sqlite3_step(exists.get());
    if (rc == SQLITE_ROW) return false;
    if (rc != SQLITE_DONE) return failure("take over a quarantine claim");
    return make_error(ErrorCode::kInvalidInput, "no quarantined message has the id " + id);
  }

  Result<HistoryImportCounts> import_history(const HistoryBatch& batch,
                                             std::size_t max_together) override {
    if (auto ok = check_history_batch(batch); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    if (exec("BEGIN IMMEDIATE") != SQLITE_OK) return failure("import history");
    auto counts = import_in_transaction(batch, max_together);
    if (!counts) {
      exec("ROLLBACK");
      return counts;
    }
    if (exec("COMMIT") != SQLITE_OK) {
      auto error = failure("import history");
      exec("ROLLBACK");
      return error;
    }
    return counts;
  }

  Result<std::vector<HistoryStats>> history(const std::vector<HistoryKey>& keys) override {
    if (auto ok = check_history_keys(keys); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    // Asked for every message at its end; compiling this join cost more than running it.
    static const std::string sql =
        std::string(kSelectHistory) +
        " WHERE c.scope = ?1 AND c.subject = (SELECT id FROM history_text WHERE text = ?2) AND "
        "c.key = (SELECT id FROM history_text WHERE text = ?3) AND c.key2 = (SELECT id FROM "
        "history_text WHERE text = ?4)";
    if (prepare_kept(select_history_, sql) != SQLITE_OK) {
      return failure("read history");
    }
    Statement& st = select_history_;
    Statement::ResetOnExit reset(st);
    std::vector<HistoryStats> out;
    out.reserve(keys.size());
    for (const HistoryKey& k : keys) {
      // A kTogether key is two addresses joined by a newline; every other key has key2 ''.
      // (Never a null view: SQLite would bind it as NULL, which equals no text.)
      std::string_view key = k.key, key2 = "";
      if (k.scope == HistoryScope::kTogether) {
        std::size_t newline = key.find('\n');
        if (newline != std::string_view::npos) key2 = key.substr(newline + 1);
        key = key.substr(0, newline);
      }
      sqlite3_reset(st.get());
      st.bind(1, std::int64_t{scope_code(k.scope)});
      st.bind_in_place(2, k.subject);
      st.bind_in_place(3, key);
      st.bind_in_place(4, key2);
      int rc = sqlite3_step(st.get());
      if (rc == SQLITE_ROW) {
        out.push_back(history_stats(st));
        out.back().key = k.key;
      } else if (rc == SQLITE_DONE) {
        out.push_back(HistoryStats{.key = k.key});
      } else {
        return failure("read history");
      }
    }
    return out;
  }

  Result<std::vector<HistoryStats>> history_list(const HistoryQuery& query) override {
    if (auto ok = check_history_query(query); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    // A newline sorts before any character of an address, so ordering by the two addresses
    // is ordering by the joined key. Kept: the signals ask it for a sender's new recipients.
    static const std::string sql =
        std::string(kSelectHistory) +
        " WHERE c.scope = ?1 AND c.subject = (SELECT id FROM history_text WHERE text = ?2) AND "
        "(?3 = '' OR l.text = ?3) AND sendguard_day_count(c.day_list) >= ?4 "
        "ORDER BY c.messages DESC, k.text, k2.text LIMIT ?5";
    if (prepare_kept(list_history_, sql) != SQLITE_OK) {
      return failure("list history");
    }
    Statement& st = list_history_;
    Statement::ResetOnExit reset(st);
    st.bind(1, std::int64_t{scope_code(query.scope)});
    st.bind(2, query.subject);
    st.bind(3, query.local);
    st.bind(4, query.min_days);
    st.bind(5, query.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(query.limit));
    std::vector<HistoryStats> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) out.push_back(history_stats(st));
    if (rc != SQLITE_DONE) return failure("list history");
    return out;
  }

  Result<std::int64_t> history_size() override {
    std::lock_guard lock(mutex_);
    Statement st;
    if (prepare(st, "SELECT count(*) FROM history_seen") != SQLITE_OK ||
        sqlite3_step(st.get()) != SQLITE_ROW) {
      return failure("count history");
    }
    return st.integer(0);
  }

  Result<int> schema_version() override {
    std::lock_guard lock(mutex_);
    return read_version();
  }

 private:
  static constexpr std::string_view kSelectQuarantine =
      "SELECT id, held_at_us, queue_id, message_id, sender, recipients, rule, reason, location, "
      "state, changed_at_us, changed_by FROM quarantine";

  // The key is joined again from its two addresses for kTogether (key2 is '' otherwise).
  static constexpr std::string_view kSelectHistory =
      "SELECT CASE WHEN c.scope = 4 THEN k.text || char(10) || k2.text ELSE k.text END, l.text, "
      "c.messages, sendguard_day_count(c.day_list), c.first_us, c.last_us "
      "FROM history_counts c JOIN history_text k ON k.id = c.key "
      "JOIN history_text k2 ON k2.id = c.key2 JOIN history_text l ON l.id = c.local";

  // The number a scope is stored as (migration 4).
  static std::uint8_t scope_code(HistoryScope scope) {
    switch (scope) {
      case HistoryScope::kDomain:
        return 0;
      case HistoryScope::kAddress:
        return 1;
      case HistoryScope::kSenderDomain:
        return 2;
      case HistoryScope::kSenderAddress:
        return 3;
      case HistoryScope::kTogether:
        return 4;
    }
    return 0;
  }

  static HistoryStats history_stats(const Statement& st) {
    return {st.text(0),
            st.text(1),
            st.integer(2),
            st.integer(3),
            from_micros(st.integer(4)),
            from_micros(st.integer(5))};
  }

  // Marks the messages no earlier import counted, then adds their rows. Call with mutex_ held,
  // inside a transaction.
  Result<HistoryImportCounts> import_in_transaction(const HistoryBatch& batch,
                                                    std::size_t max_together) {
    Statement seen;
    if (prepare(seen, "INSERT OR IGNORE INTO history_seen (identity) VALUES (?1)") != SQLITE_OK)
      return failure("import history");
    // Keys go in in index order: neighbouring inserts then land on pages just touched, where
    // random order would fetch a page of a large table for nearly every key.
    const auto& messages = batch.messages();
    std::vector<std::pair<std::int64_t, std::size_t>> order;
    order.reserve(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i)
      order.emplace_back(stored_identity(messages[i].identity), i);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<bool> counted(messages.size());
    HistoryImportCounts counts;
    for (const auto& [identity, i] : order) {
      sqlite3_reset(seen.get());
      seen.bind(1, identity);
      if (sqlite3_step(seen.get()) != SQLITE_DONE) return failure("import history");
      counted[i] = sqlite3_changes(db_) == 1;
      ++(counted[i] ? counts.added : counts.already_known);
    }
    HistoryRows summed = aggregate_history(batch, counted, max_together);
    auto text_ids = stored_text_ids(batch, summed.rows);
    if (!text_ids) return std::unexpected(text_ids.error());
    const std::vector<std::int64_t>& id = *text_ids;
    // Rows go in in the primary key's order, for the same reason as the identities.
    HugeVector<StoredRow> stored;
    stored.reserve(summed.rows.size());
    for (std::uint32_t r = 0; r < summed.rows.size(); ++r) {
      const HistoryRow& row = summed.rows[r];
      stored.push_back({id[row.subject], id[row.key], id[row.key2], r, scope_code(row.scope)});
    }
    std::sort(stored.begin(), stored.end(), [](const StoredRow& a, const StoredRow& b) {
      return std::tie(a.scope, a.subject, a.key, a.key2) <
             std::tie(b.scope, b.subject, b.key, b.key2);
    });
    // An existing row's day list is merged once, in the UPDATE; the count is taken when read.
    SummedRows import(summed, stored, id);
    Statement upsert;
    if (prepare(upsert,
                "INSERT INTO history_counts (scope, subject, key, key2, local, messages, "
                "first_us, last_us, day_list) SELECT scope, subject, key, key2, local, messages, "
                "first_us, last_us, day_list FROM sendguard_import_rows(?1) WHERE true "
                "ON CONFLICT (scope, subject, key, key2) DO UPDATE SET "
                "messages = messages + excluded.messages, "
                "day_list = sendguard_day_union(day_list, excluded.day_list), "
                "first_us = min(first_us, excluded.first_us), "
                "last_us = max(last_us, excluded.last_us)") != SQLITE_OK ||
        bind_import_rows(upsert.get(), 1, &import) != SQLITE_OK ||
        sqlite3_step(upsert.get()) != SQLITE_DONE) {
      return failure("import history");
    }
    return counts;
  }

  // The history_text id of every text of `batch` that `rows` use (-1 for the others), adding
  // the texts the store does not have yet. Call inside the import's transaction.
  Result<std::vector<std::int64_t>> stored_text_ids(const HistoryBatch& batch,
                                                    std::span<const HistoryRow> rows) {
    std::vector<std::int64_t> id(batch.text_count(), -1);
    std::vector<HistoryBatch::TextId> used;
    auto use = [&](HistoryBatch::TextId t) {
      if (id[t] == -1) {
        id[t] = -2;
        used.push_back(t);
      }
    };
    id[HistoryBatch::kEmptyText] = 0;  // migration 4 put '' at 0
    for (const HistoryRow& row : rows) {
      use(row.subject);
      use(row.key);
      use(row.key2);
      use(row.local);
    }
    // In text order, the unique index is walked from one end to the other.
    std::sort(used.begin(), used.end(), [&](HistoryBatch::TextId a, HistoryBatch::TextId b) {
      return batch.text(a) < batch.text(b);
    });
    Statement find, add;
    if (prepare(find, "SELECT id FROM history_text WHERE text = ?1") != SQLITE_OK ||
        prepare(add, "INSERT INTO history_text (text) VALUES (?1)") != SQLITE_OK) {
      return failure("import history");
    }
    for (HistoryBatch::TextId t : used) {
      sqlite3_reset(find.get());
      find.bind_in_place(1, batch.text(t));
      int rc = sqlite3_step(find.get());
      if (rc == SQLITE_ROW) {
        id[t] = find.integer(0);
        continue;
      }
      if (rc != SQLITE_DONE) return failure("import history");
      sqlite3_reset(add.get());
      add.bind_in_place(1, batch.text(t));
      if (sqlite3_step(add.get()) != SQLITE_DONE) return failure("import history");
      id[t] = sqlite3_last_insert_rowid(db_);
    }
    return id;
  }

  Result<std::vector<QuarantineEntry>> read_entries(Statement& st, std::string_view what) {
    std::vector<QuarantineEntry> entries;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      QuarantineEntry e;
      e.id = st.text(0);
      e.held_at = from_micros(st.integer(1));
      e.queue_id = st.text(2);
      e.message_id = st.text(3);
      e.sender = st.text(4);
      auto recipients = decode_recipients(st.text(5));
      if (!recipients) return std::unexpected(recipients.error());
      e.recipients = std::move(*recipients);
      e.rule = st.text(6);
      e.reason = st.text(7);
      e.location = st.text(8);
      auto state = quarantine_state_from_string(st.text(9));
      if (!state) {
        return make_error(ErrorCode::kInternal, "store " + options_.sqlite_path +
                                                    ": quarantine entry " + e.id +
                                                    " has an unknown state " + st.text(9));
      }
      e.state = *state;
      e.changed_at = from_micros(st.integer(10));
      e.changed_by = st.text(11);
      entries.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return failure(what);
    return entries;
  }

  struct PendingAppend {
    const AuditRecord* record;
    std::optional<Result<std::int64_t>> result;  // set once written or failed
  };

  // Writes a batch of appends: alone, in its own transaction; together, in one. A failure
  // (a full disk, an I/O error: the records were checked before they were queued) fails the
  // whole batch, which is rolled back, so no caller is told "failed" for a record that stays.
  void write_appends(const std::vector<PendingAppend*>& batch) {
    std::lock_guard lock(mutex_);
    try {
      write_appends_locked(batch);
    } catch (const std::exception& e) {
      // Out of memory, say. Every caller in the batch must still be answered, and the next
      // writer must find no transaction left open.
      if (sqlite3_get_autocommit(db_) == 0) exec("ROLLBACK");
      for (PendingAppend* p : batch) {
        p->result = make_error(ErrorCode::kIo,
                               std::string("store: cannot append to audit log: ") + e.what());
      }
    }
  }

  void write_appends_locked(const std::vector<PendingAppend*>& batch) {
    auto fail_all = [&](const std::unexpected<Error>& error) {
      for (PendingAppend* p : batch) p->result = error;
    };
    if (batch.size() == 1) {
      batch.front()->result = insert_audit_row(*batch.front()->record);
      return;
    }
    if (exec("BEGIN IMMEDIATE") != SQLITE_OK) return fail_all(failure("append to audit log"));
    for (PendingAppend* p : batch) {
      auto id = insert_audit_row(*p->record);
      if (!id) {
        fail_all(std::unexpected(id.error()));
        exec("ROLLBACK");
        return;
      }
      p->result = *id;
    }
    if (exec("COMMIT") != SQLITE_OK) {
      fail_all(failure("append to audit log"));
      exec("ROLLBACK");
    }
  }

  // One INSERT into the audit table; call with mutex_ held. The statement is compiled once,
  // not per decision (compiling it cost as much as the insert).
  Result<std::int64_t> insert_audit_row(const AuditRecord& record) {
    if (prepare_kept(insert_audit_,
                     "INSERT INTO audit (time_us, node, stage, queue_id, message_id, "
                     "sender, auth_user, recipients, rule, action, monitor, "
                     "override_justification, details) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)") !=
        SQLITE_OK) {
      return failure("append to audit log");
    }
    Statement& st = insert_audit_;
    Statement::ResetOnExit reset(st);
    st.bind(1, to_micros(record.time));
    st.bind(2, record.node);
    st.bind(3, record.stage);
    st.bind(4, record.queue_id);
    st.bind(5, record.message_id);
    st.bind(6, record.sender);
    st.bind(7, record.auth_user);
    st.bind(8, encode_recipients(record.recipients));
    st.bind(9, record.rule);
    st.bind(10, record.action);
    st.bind(11, std::int64_t{record.monitor ? 1 : 0});
    st.bind(12, record.override_justification);
    st.bind(13, stored_details(record));
    if (sqlite3_step(st.get()) != SQLITE_DONE) return failure("append to audit log");
    return sqlite3_last_insert_rowid(db_);
  }

  int prepare(Statement& st, std::string_view sql) {
    return sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), st.out(), nullptr);
  }
  // For a statement kept for the connection's life and run again and again: compiled on its
  // first use (SQLITE_OK when it already was).
  int prepare_kept(Statement& st, std::string_view sql) {
    if (st.get() != nullptr) return SQLITE_OK;
    return sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, st.out(), nullptr);
  }

  int exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

  // The connection's last error, with the store and the step that failed (none while opening).
  std::unexpected<Error> failure(std::string_view what) {
    std::string message = "store " + options_.sqlite_path + ": ";
    if (!what.empty()) message += std::string(what) + ": ";
    message += sqlite3_errmsg(db_);
    if (busy()) {
      message += " (another connection held it longer than busy_timeout_ms=" +
                 std::to_string(options_.busy_timeout_ms) + ")";
    }
    return make_error(ErrorCode::kIo, std::move(message));
  }

  Result<int> read_version() {
    Statement st;
    if (prepare(st, "SELECT coalesce(max(version), 0) FROM schema_migrations") != SQLITE_OK ||
        sqlite3_step(st.get()) != SQLITE_ROW) {
      return failure("read schema version");
    }
    return static_cast<int>(st.integer(0));
  }

  // Applies the missing migrations in one transaction. BEGIN IMMEDIATE takes the write lock
  // before reading the version, so two processes opening a new database one after the other
  // (or at once) apply each migration once.
  Result<void> migrate() {
    if (exec("BEGIN IMMEDIATE") != SQLITE_OK) return failure("");
    auto result = migrate_in_transaction();
    if (!result) {
      exec("ROLLBACK");
      return result;
    }
    if (exec("COMMIT") != SQLITE_OK) {
      auto error = failure("migrate schema");
      exec("ROLLBACK");
      return error;
    }
    return {};
  }

  Result<void> migrate_in_transaction() {
    if (exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
             "description TEXT NOT NULL, applied_at_us INTEGER NOT NULL DEFAULT "
             "(CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))) STRICT") !=
        SQLITE_OK) {
      return failure("");
    }
    auto version = read_version();
    if (!version) return std::unexpected(version.error());
    if (*version > kSqliteSchemaVersion) {
      return make_error(ErrorCode::kInternal,
                        "store " + options_.sqlite_path + " has schema version " +
                            std::to_string(*version) + ", newer than this sendguard knows (" +
                            std::to_string(kSqliteSchemaVersion) + "): upgrade sendguard");
    }
    for (const Migration& migration : kMigrations) {
      if (migration.version <= *version) continue;
      if (exec(migration.sql) != SQLITE_OK) {
        return failure("migration " + std::to_string(migration.version));
      }
      Statement st;
      if (prepare(st,
                  "INSERT INTO schema_migrations (version, description, applied_at_us) "
                  "VALUES (?1, ?2, ?3)") != SQLITE_OK) {
        return failure("record migration");
      }
      st.bind(1, std::int64_t{migration.version});
      st.bind(2, migration.description);
      st.bind(3, to_micros(std::chrono::system_clock::now()));
      if (sqlite3_step(st.get()) != SQLITE_DONE) return failure("record migration");
    }
    return {};
  }

  std::mutex mutex_;
  sqlite3* db_;
  // Kept for the connection's life, prepared on first use.
  Statement insert_audit_;
  Statement select_history_;
  Statement list_history_;
  // The appends waiting to be written, and whether a caller is writing (append_audit).
  std::mutex appends_mutex_;
  std::condition_variable appends_done_;
  std::vector<PendingAppend*> appends_;
  bool appending_ = false;
  const StoreOptions options_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options) {
  if (options.sqlite_path.empty()) {
    return make_error(ErrorCode::kConfig, "store: sqlite_path is empty: name the database file");
  }
  if (options.busy_timeout_ms < 0) {
    return make_error(ErrorCode::kConfig, "store: busy_timeout_ms must not be negative");
  }
  // Created here rather than by SQLite so that the audit log is not world-readable; SQLite gives
  // its -wal and -shm files the database file's mode.
  int fd = ::open(options.sqlite_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return make_error(ErrorCode::kIo,
                      "cannot open store " + options.sqlite_path + ": " + std::strerror(errno));
  }
  ::close(fd);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(options.sqlite_path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open store " + options.sqlite_path + ": " +
                          (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return make_error(ErrorCode::kIo, std::move(message));
  }
  auto store = std::make_unique<SqliteStore>(db, options);
  // Switching a new database to WAL, and recovering a WAL another process left, can answer
  // "database is locked" at once instead of calling the busy handler, when several processes
  // open the same new file together. Such an open is tried again until busy_timeout_ms is spent.
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  auto ok = store->initialise();
  while (!ok && store->busy() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ok = store->initialise();
  }
  if (!ok) {
    Error error = ok.error();
    // "cannot open store x: file is not a database": the caller learns it was the open that
    // failed, not some later write.
    if (error.code == ErrorCode::kIo && error.message.rfind("store ", 0) == 0) {
      error.message = "cannot open " + error.message;
    }
    return std::unexpected(std::move(error));
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sendguard::store_internal
