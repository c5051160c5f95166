// The PostgreSQL store: several gateway nodes share one audit log and one quarantine. One libpq
// connection per Store behind a mutex; a connection the server dropped (a restart, a failover,
// an idle timeout) is noticed before the next statement and opened again.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "store/store_internal.h"

namespace sendguard::store_internal {
namespace {

// Times are timestamptz (UTC instants); recipients are jsonb arrays, so that
// `recipients ? 'someone@example.org'` finds a recipient. details stays text: it comes back
// exactly as it was given, and `details::jsonb` queries it. Never edit a migration once
// released: add the next one.
constexpr Migration kMigrations[] = {
    {1, "audit log and quarantine", R"sql(
CREATE TABLE audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time timestamptz NOT NULL,
  node text NOT NULL,
  stage text NOT NULL,
  queue_id text NOT NULL,
  message_id text NOT NULL,
  sender text NOT NULL,
  auth_user text NOT NULL,
  recipients jsonb NOT NULL,
  rule text NOT NULL,
  action text NOT NULL,
  monitor boolean NOT NULL,
  override_justification text NOT NULL,
  details text NOT NULL
);
CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_queue_id ON audit (queue_id);
CREATE TABLE quarantine (
  id text PRIMARY KEY,
  held_at timestamptz NOT NULL,
  queue_id text NOT NULL,
  message_id text NOT NULL,
  sender text NOT NULL,
  recipients jsonb NOT NULL,
  rule text NOT NULL,
  reason text NOT NULL,
  location text NOT NULL,
  state text NOT NULL CHECK (state IN ('held', 'releasing', 'released', 'discarded')),
  changed_at timestamptz NOT NULL,
  changed_by text NOT NULL
);
CREATE INDEX quarantine_state ON quarantine (state, held_at);
CREATE INDEX quarantine_queue_id ON quarantine (queue_id);
)sql"},
    {2, "mail history", R"sql(
CREATE TABLE history_seen (
  identity bigint PRIMARY KEY
);
CREATE TABLE history (
  scope text NOT NULL,
  subject text NOT NULL,
  key text NOT NULL,
  local text NOT NULL,
  messages bigint NOT NULL,
  days bigint NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  PRIMARY KEY (scope, subject, key)
);
CREATE INDEX history_local ON history (scope, subject, local) WHERE local <> '';
CREATE TABLE history_days (
  scope text NOT NULL,
  subject text NOT NULL,
  key text NOT NULL,
  day bigint NOT NULL,
  PRIMARY KEY (scope, subject, key, day)
);
)sql"},
};
static_assert(std::size(kMigrations) == kPostgresqlSchemaVersion);

// Serialises schema migrations of one database across every process and node ("sendguar").
constexpr const char* kMigrationLockKey = "8315168123416666482";

// Timestamps cross the wire as integer microseconds since the Unix epoch, which is exact both
// ways and independent of the session's time zone and DateStyle.
#define SG_FROM_MICROS(p) "(timestamptz 'epoch' + " p "::int8 * interval '1 microsecond')"
#define SG_TO_MICROS(c) "(extract(epoch FROM " c ") * 1000000)::int8"

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  PgResult& operator=(PgResult&&) = delete;
  ~PgResult() { PQclear(result_); }

  PGresult* get() const { return result_; }
  int rows() const { return PQntuples(result_); }
  std::string text(int row, int column) const {
    return std::string(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
  }
  std::int64_t integer(int row, int column) const {
    return std::stoll(std::string(PQgetvalue(result_, row, column)));
  }
  bool boolean(int row, int column) const { return PQgetvalue(result_, row, column)[0] == 't'; }
  std::string affected() const { return PQcmdTuples(result_); }

 private:
  PGresult* result_;
};

// libpq's messages end in a newline and continue on indented lines; one line reads better.
std::string one_line(std::string message) {
  std::string out;
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Where the store is, for messages: host, port, database and user, never the password.
Result<std::string> describe_dsn(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (!options) {
    std::string message = error ? one_line(error) : "out of memory";
    PQfreemem(error);
    return make_error(ErrorCode::kConfig,
                      "store: postgresql_dsn is not a libpq connection string: " + message);
  }
  std::string where;
  for (const char* keyword : {"host", "hostaddr", "port", "dbname", "user"}) {
    for (PQconninfoOption* o = options; o->keyword; ++o) {
      if (std::string_view(o->keyword) == keyword && o->val && *o->val) {
        if (!where.empty()) where += ' ';
        where += std::string(keyword) + "=" + o->val;
      }
    }
  }
  PQconninfoFree(options);
  return "PostgreSQL at " + (where.empty() ? std::string("(libpq defaults)") : where);
}

void ignore_notice(void*, const char*) {}

// A PostgreSQL array literal of texts ({"a","b\"c"}): a whole batch travels as one parameter
// and unnest() turns it back into rows, so that an import is a few statements, not one per row.
std::string text_array(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (std::string_view v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string integer_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::int64_t v : values) {
    if (out.size() > 1) out += ',';
    out += std::to_string(v);
  }
  out += '}';
  return out;
}

class PostgresqlStore final : public Store {
 public:
  PostgresqlStore(PGconn* conn, std::string where) : conn_(conn), where_(std::move(where)) {
    // CREATE TABLE IF NOT EXISTS and friends send notices; libpq would print them on stderr.
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  }
  ~PostgresqlStore() override { PQfinish(conn_); }

  Result<void> migrate() {
    std::lock_guard lock(mutex_);
    if (auto begun = exec("migrate schema", "BEGIN", {}); !begun) {
      return std::unexpected(begun.error());
    }
    in_transaction_ = true;
    auto result = migrate_in_transaction();
    if (result) {
      if (auto committed = exec("migrate schema", "COMMIT", {}); !committed) {
        result = std::unexpected(committed.error());
      }
    }
    in_transaction_ = false;
    if (!result && PQstatus(conn_) == CONNECTION_OK) exec("migrate schema", "ROLLBACK", {});
    return result;
  }

  Result<std::int64_t> append_audit(const AuditRecord& record) override {
    if (auto ok = check_audit_record(record); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    auto result = exec(
        "append to audit log",
        "INSERT INTO audit (time, node, stage, queue_id, message_id, sender, auth_user, "
        "recipients, rule, action, monitor, override_justification, details) "
        "VALUES (" SG_FROM_MICROS("$1") ", $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, "
        "$11::boolean, $12, $13) RETURNING id",
        {std::to_string(to_micros(record.time)), record.node, record.stage, record.queue_id,
         record.message_id, record.sender, record.auth_user, encode_recipients(record.recipients),
         record.rule, record.action, std::string(record.monitor ? "true" : "false"),
         record.override_justification, stored_details(record)});
    if (!result) return std::unexpected(result.error());
    return result->integer(0, 0);
  }

  Result<std::vector<AuditRecord>> audit(const AuditQuery& query) override {
    if (auto ok = check_text("queue_id", query.queue_id); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    std::optional<std::string> since, until, limit;
    if (query.since) since = std::to_string(to_micros(*query.since));
    if (query.until) until = std::to_string(to_micros(*query.until));
    if (query.limit != 0) limit = std::to_string(query.limit);
    auto result = exec(
        "read audit log",
        "SELECT id, " SG_TO_MICROS("time") ", node, stage, queue_id, message_id, sender, "
        "auth_user, recipients, rule, action, monitor, override_justification, details "
        "FROM audit WHERE ($1::int8 IS NULL OR time >= " SG_FROM_MICROS("$1") ") "
        "AND ($2::int8 IS NULL OR time < " SG_FROM_MICROS("$2") ") "
        "AND ($3::text = '' OR queue_id = $3) ORDER BY time DESC, id DESC LIMIT $4::int8",
        {since, until, query.queue_id, limit}, /*idempotent=*/true);
    if (!result) return std::unexpected(result.error());
    std::vector<AuditRecord> records;
    for (int row = 0; row < result->rows(); ++row) {
      AuditRecord r;
      r.id = result->integer(row, 0);
      r.time = from_micros(result->integer(row, 1));
      r.node = result->text(row, 2);
      r.stage = result->text(row, 3);
      r.queue_id = result->text(row, 4);
      r.message_id = result->text(row, 5);
      r.sender = result->text(row, 6);
      r.auth_user = result->text(row, 7);
      auto recipients = decode_recipients(result->text(row, 8));
      if (!recipients) return std::unexpected(recipients.error());
      r.recipients = std::move(*recipients);
      r.rule = result->text(row, 9);
      r.action = result->text(row, 10);
      r.monitor = result->boolean(row, 11);
      r.override_justification = result->text(row, 12);
      r.details_json = result->text(row, 13);
      records.push_back(std::move(r));
    }
    return records;
  }

  Result<std::string> hold(const QuarantineEntry& entry) override {
    if (auto ok = check_quarantine_entry(entry); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    // 80 random bits make a clash all but impossible; should one happen, draw again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto id = new_quarantine_id();
      if (!id) return std::unexpected(id.error());
      auto result = exec(
          "hold message",
          "INSERT INTO quarantine (id, held_at, queue_id, message_id, sender, recipients, rule, "
          "reason, location, state, changed_at, changed_by) VALUES ($1, " SG_FROM_MICROS("$2") ", "
          "$3, $4, $5, $6::jsonb, $7, $8, $9, 'held', " SG_FROM_MICROS("$2") ", $10) "
          "ON CONFLICT (id) DO NOTHING",
          {*id, std::to_string(to_micros(entry.held_at)), entry.queue_id, entry.message_id,
           entry.sender, encode_recipients(entry.recipients), entry.rule, entry.reason,
           entry.location, entry.changed_by});
      if (!result) return std::unexpected(result.error());
      if (result->affected() == "1") return *id;
    }
    return make_error(ErrorCode::kInternal,
                      where_ + ": three random quarantine ids were all taken");
  }

  Result<std::vector<QuarantineEntry>> quarantine(std::optional<QuarantineState> state) override {
    std::lock_guard lock(mutex_);
    std::optional<std::string> wanted;
    if (state) wanted = std::string(to_string(*state));
    auto result = exec("list quarantine",
                       std::string(kSelectQuarantine) +
                           " WHERE ($1::text IS NULL OR state = $1) ORDER BY held_at, id",
                       {wanted}, /*idempotent=*/true);
    if (!result) return std::unexpected(result.error());
    return read_entries(*result);
  }

  Result<std::optional<QuarantineEntry>> quarantine_entry(const std::string& id) override {
    if (auto ok = check_text("quarantine id", id); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    auto result =
        exec("read quarantine entry", std::string(kSelectQuarantine) + " WHERE id = $1", {id},
             /*idempotent=*/true);
    if (!result) return std::unexpected(result.error());
    auto entries = read_entries(*result);
    if (!entries) return std::unexpected(entries.error());
    if (entries->empty()) return std::optional<QuarantineEntry>();
    return std::optional<QuarantineEntry>(std::move(entries->front()));
  }

  Result<bool> transition(const std::string& id, QuarantineState from, QuarantineState to,
                          const std::string& by) override {
    if (auto ok = check_transition(id, from, to, by); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    // One UPDATE guarded by the expected state. Under READ COMMITTED a second UPDATE of the same
    // row waits for the first to commit, then re-checks `state` against the new row and finds
    // nothing to change: of two nodes racing, exactly one moves the message.
    auto result = exec("change quarantine state",
                       "UPDATE quarantine SET state = $3, changed_at = " SG_FROM_MICROS("$4") ", "
                       "changed_by = $5 WHERE id = $1 AND state = $2",
                       {id, std::string(to_string(from)), std::string(to_string(to)),
                        std::to_string(to_micros(std::chrono::system_clock::now())), by});
    if (!result) return std::unexpected(result.error());
    if (result->affected() == "1") return true;
    auto exists = exec("change quarantine state", "SELECT 1 FROM quarantine WHERE id = $1", {id},
                       /*idempotent=*/true);
    if (!exists) return std::unexpected(exists.error());
    if (exists->rows() > 0) return false;
    return make_error(ErrorCode::kInvalidInput, "no quarantined message has the id " + id);
  }

  Result<bool> take_over_claim(const std::string& id,
                               std::chrono::system_clock::time_point claimed_at,
                               const std::string& by) override {
    if (auto ok = check_take_over(id, by); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    // As transition(): the second of two racing UPDATEs re-checks the row after the first
    // committed, finds another changed_at, and changes nothing.
    std::int64_t claimed_us = to_micros(claimed_at);
    auto result = exec(
        "take over a quarantine claim",
        "UPDATE quarantine SET changed_at = " SG_FROM_MICROS("$3") ", changed_by = $4 "
        "WHERE id = $1 AND state = 'releasing' AND changed_at = " SG_FROM_MICROS("$2"),
        {id, std::to_string(claimed_us),
         std::to_string(std::max(to_micros(std::chrono::system_clock::now()), claimed_us + 1)),
         by});
    if (!result) return std::unexpected(result.error());
    if (result->affected() == "1") return true;
    auto exists = exec("take over a quarantine claim", "SELECT 1 FROM quarantine WHERE id = $1",
                       {id}, /*idempotent=*/true);
    if (!exists) return std::unexpected(exists.error());
    if (exists->rows() > 0) return false;
    return make_error(ErrorCode::kInvalidInput, "no quarantined message has the id " + id);
  }

  Result<HistoryImportCounts> import_history(const HistoryBatch& batch,
                                             std::size_t max_together) override {
    if (auto ok = check_history_batch(batch); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    if (auto begun = exec("import history", "BEGIN", {}); !begun) {
      return std::unexpected(begun.error());
    }
    in_transaction_ = true;
    auto counts = import_in_transaction(batch, max_together);
    if (counts) {
      if (auto committed = exec("import history", "COMMIT", {}); !committed) {
        counts = std::unexpected(committed.error());
      }
    }
    in_transaction_ = false;
    if (!counts && PQstatus(conn_) == CONNECTION_OK) exec("import history", "ROLLBACK", {});
    return counts;
  }

  Result<std::vector<HistoryStats>> history(const std::vector<HistoryKey>& keys) override {
    if (auto ok = check_history_keys(keys); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    std::vector<std::string_view> scopes, subjects, names;
    for (const HistoryKey& k : keys) {
      scopes.push_back(to_string(k.scope));
      subjects.push_back(k.subject);
      names.push_back(k.key);
    }
    auto result = exec("read history",
                       "SELECT h.key, h.local, h.messages, h.days, " SG_TO_MICROS("h.first_seen") ", "
                       SG_TO_MICROS("h.last_seen") ", q.n FROM unnest($1::text[], $2::text[], "
                       "$3::text[]) WITH ORDINALITY AS q(scope, subject, key, n) "
                       "JOIN history h USING (scope, subject, key)",
                       {text_array(scopes), text_array(subjects), text_array(names)},
                       /*idempotent=*/true);
    if (!result) return std::unexpected(result.error());
    std::vector<HistoryStats> out;
    for (const HistoryKey& k : keys) out.push_back(HistoryStats{.key = k.key});
    for (int row = 0; row < result->rows(); ++row) {
      out[static_cast<std::size_t>(result->integer(row, 6) - 1)] = history_stats(*result, row);
    }
    return out;
  }

  Result<std::vector<HistoryStats>> history_list(const HistoryQuery& query) override {
    if (auto ok = check_history_query(query); !ok) return std::unexpected(ok.error());
    std::lock_guard lock(mutex_);
    std::optional<std::string> limit;
    if (query.limit != 0) limit = std::to_string(query.limit);
    auto result =
        exec("list history",
             std::string(kSelectHistory) +
                 " WHERE scope = $1 AND subject = $2 AND ($3 = '' OR local = $3) AND days >= "
                 "$4::int8 ORDER BY messages DESC, key LIMIT $5::int8",
             {std::string(to_string(query.scope)), query.subject, query.local,
              std::to_string(query.min_days), limit},
             /*idempotent=*/true);
    if (!result) return std::unexpected(result.error());
    std::vector<HistoryStats> out;
    for (int row = 0; row < result->rows(); ++row) out.push_back(history_stats(*result, row));
    return out;
  }

  Result<std::int64_t> history_size() override {
    std::lock_guard lock(mutex_);
    auto result = exec("count history", "SELECT count(*) FROM history_seen", {},
                       /*idempotent=*/true);
    if (!result) return std::unexpected(result.error());
    return result->integer(0, 0);
  }

  Result<int> schema_version() override {
    std::lock_guard lock(mutex_);
    return read_version();
  }

 private:
  static constexpr std::string_view kSelectQuarantine =
      "SELECT id, " SG_TO_MICROS("held_at") ", queue_id, message_id, sender, recipients, rule, "
      "reason, location, state, " SG_TO_MICROS("changed_at") ", changed_by FROM quarantine";

  static constexpr std::string_view kSelectHistory =
      "SELECT key, local, messages, days, " SG_TO_MICROS("first_seen") ", " SG_TO_MICROS(
          "last_seen") " FROM history";

  static HistoryStats history_stats(const PgResult& result, int row) {
    return {result.text(row, 0),
            result.text(row, 1),
            result.integer(row, 2),
            result.integer(row, 3),
            from_micros(result.integer(row, 4)),
            from_micros(result.integer(row, 5))};
  }

  // Marks the messages no earlier import counted, then adds their rows: three statements
  // whatever the size of the batch. Call with mutex_ held, inside a transaction.
  // One row of an import as this schema keeps it: by text.
  struct TextRow {
    std::string_view scope, subject, local;
    std::string key;
    const HistoryRow* row;
    std::int64_t new_days = 0;  // days the store did not have yet
  };

  Result<HistoryImportCounts> import_in_transaction(const HistoryBatch& batch,
                                                    std::size_t max_together) {
    std::vector<std::int64_t> identities;
    for (const HistoryBatch::Message& m : batch.messages())
      identities.push_back(stored_identity(m.identity));
    auto fresh = exec("import history",
                      "INSERT INTO history_seen (identity) SELECT unnest($1::int8[]) "
                      "ON CONFLICT DO NOTHING RETURNING identity",
                      {integer_array(identities)});
    if (!fresh) return std::unexpected(fresh.error());
    std::unordered_set<std::int64_t> new_identities;
    for (int row = 0; row < fresh->rows(); ++row) new_identities.insert(fresh->integer(row, 0));
    std::vector<bool> counted(identities.size());
    HistoryImportCounts counts;
    for (std::size_t i = 0; i < identities.size(); ++i) {
      // A message given twice in one batch counts once: its first copy takes the identity.
      counted[i] = new_identities.erase(identities[i]) == 1;
      ++(counted[i] ? counts.added : counts.already_known);
    }
    HistoryRows summed = aggregate_history(batch, counted, max_together);
    std::vector<TextRow> rows;
    rows.reserve(summed.rows.size());
    for (const HistoryRow& row : summed.rows) {
      rows.push_back({to_string(row.scope), batch.text(row.subject), batch.text(row.local),
                      row_key_text(batch, row), &row});
    }
    // Rows go in in key order, so that two nodes importing at once lock rows in the same order.
    std::sort(rows.begin(), rows.end(), [](const TextRow& a, const TextRow& b) {
      return std::tie(a.scope, a.subject, a.key) < std::tie(b.scope, b.subject, b.key);
    });
    if (auto ok = count_new_days(summed, rows); !ok) return std::unexpected(ok.error());
    std::vector<std::string_view> scopes, subjects, keys, locals;
    std::vector<std::int64_t> messages, days, firsts, lasts;
    for (const TextRow& row : rows) {
      scopes.push_back(row.scope);
      subjects.push_back(row.subject);
      keys.push_back(row.key);
      locals.push_back(row.local);
      messages.push_back(row.row->messages);
      days.push_back(row.new_days);
      firsts.push_back(row.row->first_us);
      lasts.push_back(row.row->last_us);
    }
    auto upserted = exec(
        "import history",
        "INSERT INTO history (scope, subject, key, local, messages, days, first_seen, last_seen) "
        "SELECT scope, subject, key, local, messages, days, " SG_FROM_MICROS("first_us") ", "
        SG_FROM_MICROS("last_us") " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
        "$5::int8[], $6::int8[], $7::int8[], $8::int8[]) AS r(scope, subject, key, local, "
        "messages, days, first_us, last_us) "
        "ON CONFLICT (scope, subject, key) DO UPDATE SET "
        "messages = history.messages + excluded.messages, days = history.days + excluded.days, "
        "first_seen = least(history.first_seen, excluded.first_seen), "
        "last_seen = greatest(history.last_seen, excluded.last_seen)",
        {text_array(scopes), text_array(subjects), text_array(keys), text_array(locals),
         integer_array(messages), integer_array(days), integer_array(firsts),
         integer_array(lasts)});
    if (!upserted) return std::unexpected(upserted.error());
    return counts;
  }

  // Records each row's days and sets new_days to those the store did not have yet.
  Result<void> count_new_days(const HistoryRows& summed, std::vector<TextRow>& rows) {
    std::vector<std::int64_t> row_numbers, day_numbers;
    std::vector<std::string_view> scopes, subjects, keys;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (std::int64_t day : summed.days_of(*rows[i].row)) {
        row_numbers.push_back(static_cast<std::int64_t>(i));
        scopes.push_back(rows[i].scope);
        subjects.push_back(rows[i].subject);
        keys.push_back(rows[i].key);
        day_numbers.push_back(day);
      }
    }
    if (row_numbers.empty()) return {};
    auto inserted =
        exec("import history",
             "WITH input AS (SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], "
             "$5::int8[]) AS t(row_number, scope, subject, key, day)), "
             "added AS (INSERT INTO history_days (scope, subject, key, day) "
             "SELECT scope, subject, key, day FROM input ON CONFLICT DO NOTHING "
             "RETURNING scope, subject, key, day) "
             "SELECT input.row_number FROM input JOIN added USING (scope, subject, key, day)",
             {integer_array(row_numbers), text_array(scopes), text_array(subjects),
              text_array(keys), integer_array(day_numbers)});
    if (!inserted) return std::unexpected(inserted.error());
    for (int r = 0; r < inserted->rows(); ++r) {
      ++rows[static_cast<std::size_t>(inserted->integer(r, 0))].new_days;
    }
    return {};
  }

  Result<std::vector<QuarantineEntry>> read_entries(const PgResult& result) {
    std::vector<QuarantineEntry> entries;
    for (int row = 0; row < result.rows(); ++row) {
      QuarantineEntry e;
      e.id = result.text(row, 0);
      e.held_at = from_micros(result.integer(row, 1));
      e.queue_id = result.text(row, 2);
      e.message_id = result.text(row, 3);
      e.sender = result.text(row, 4);
      auto recipients = decode_recipients(result.text(row, 5));
      if (!recipients) return std::unexpected(recipients.error());
      e.recipients = std::move(*recipients);
      e.rule = result.text(row, 6);
      e.reason = result.text(row, 7);
      e.location = result.text(row, 8);
      auto state = quarantine_state_from_string(result.text(row, 9));
      if (!state) {
        return make_error(ErrorCode::kInternal, where_ + ": quarantine entry " + e.id +
                                                    " has an unknown state " + result.text(row, 9));
      }
      e.state = *state;
      e.changed_at = from_micros(result.integer(row, 10));
      e.changed_by = result.text(row, 11);
      entries.push_back(std::move(e));
    }
    return entries;
  }

  // Notices a connection the server has closed while it sat idle, and opens it again. Without
  // this the first statement after a server restart would fail, and a write cannot simply be
  // retried. An idle connection receives nothing unasked but the odd notice; a terminated
  // backend sends its reason and then hangs up, so after unexpected input we wait a moment for
  // the hang-up that usually follows.
  Result<void> ensure_connected() {
    int wait_ms = 0;
    for (int i = 0; i < 4 && PQstatus(conn_) == CONNECTION_OK; ++i) {
      pollfd readable{PQsocket(conn_), POLLIN, 0};
      if (poll(&readable, 1, wait_ms) <= 0) break;
      if (!PQconsumeInput(conn_)) break;
      while (PGnotify* notify = PQnotifies(conn_)) PQfreemem(notify);
      wait_ms = 100;
    }
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    // A fresh connection would run the rest of a transaction's statements outside it.
    if (in_transaction_) {
      return make_error(ErrorCode::kIo, where_ + ": connection lost inside a transaction: " +
                                            one_line(PQerrorMessage(conn_)));
    }
    PQreset(conn_);
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    return make_error(ErrorCode::kIo, where_ + ": connection lost and could not be opened again: " +
                                          one_line(PQerrorMessage(conn_)));
  }

  // Runs one parameterised statement (null optionals are SQL NULL). A statement whose
  // connection broke is sent again on a fresh connection only when `idempotent`: a write may
  // have committed before the connection broke, and running it twice could, say, report a
  // release as lost to someone else.
  Result<PgResult> exec(std::string_view what, const std::string& sql,
                        const std::vector<std::optional<std::string>>& params,
                        bool idempotent = false) {
    for (int attempt = 0;; ++attempt) {
      if (auto ok = ensure_connected(); !ok) return std::unexpected(ok.error());
      if (!idempotent && !in_transaction_ &&
          std::chrono::steady_clock::now() - last_used_ > kProbeAfterIdle) {
        // A dropped connection is not always visible from this side (the server's goodbye may
        // still be on its way, a firewall may have forgotten the flow): an empty query finds
        // out before the write is sent, while replacing the connection is still harmless.
        PgResult probe(PQexec(conn_, ""));
        if (auto ok = ensure_connected(); !ok) return std::unexpected(ok.error());
      }
      std::vector<const char*> values;
      for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
      PgResult result(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                   values.data(), nullptr, nullptr, 0));
      ExecStatusType status = result.get() ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        last_used_ = std::chrono::steady_clock::now();
        return result;
      }
      bool connection_lost = PQstatus(conn_) != CONNECTION_OK;
      if (connection_lost && idempotent && !in_transaction_ && attempt == 0) continue;
      std::string reason =
          one_line(result.get() ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_));
      if (reason.empty()) reason = one_line(PQerrorMessage(conn_));
      if (connection_lost && !idempotent) {
        reason += " (the connection broke during the write; it may or may not have been applied)";
      }
      return make_error(ErrorCode::kIo, where_ + ": " + std::string(what) + ": " + reason);
    }
  }

  // The script of a migration: constant SQL of several statements, which only the simple query
  // protocol accepts.
  Result<void> exec_script(std::string_view what, const char* sql) {
    PgResult result(PQexec(conn_, sql));
    if (result.get() && PQresultStatus(result.get()) == PGRES_COMMAND_OK) return {};
    return make_error(ErrorCode::kIo,
                      where_ + ": " + std::string(what) + ": " + one_line(PQerrorMessage(conn_)));
  }

  Result<int> read_version() {
    auto result =
        exec("read schema version", "SELECT coalesce(max(version), 0) FROM schema_migrations", {},
             /*idempotent=*/true);
    if (!result) return std::unexpected(result.error());
    return static_cast<int>(result->integer(0, 0));
  }

  Result<void> migrate_in_transaction() {
    // Held until COMMIT or ROLLBACK: a second node opening the same new database waits here and
    // then finds the migrations applied.
    if (auto locked = exec("migrate schema", "SELECT pg_advisory_xact_lock($1::int8)",
                           {std::string(kMigrationLockKey)});
        !locked) {
      return std::unexpected(locked.error());
    }
    if (auto created = exec("migrate schema",
                            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer "
                            "PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT "
                            "NULL DEFAULT now())",
                            {});
        !created) {
      return std::unexpected(created.error());
    }
    auto version = read_version();
    if (!version) return std::unexpected(version.error());
    if (*version > kPostgresqlSchemaVersion) {
      return make_error(ErrorCode::kInternal,
                        where_ + " has schema version " + std::to_string(*version) +
                            ", newer than this sendguard knows (" +
                            std::to_string(kPostgresqlSchemaVersion) + "): upgrade sendguard");
    }
    for (const Migration& migration : kMigrations) {
      if (migration.version <= *version) continue;
      if (auto ok = exec_script("migration " + std::to_string(migration.version), migration.sql);
          !ok) {
        return ok;
      }
      if (auto recorded = exec("record migration",
                               "INSERT INTO schema_migrations (version, description) "
                               "VALUES ($1::integer, $2)",
                               {std::to_string(migration.version), migration.description});
          !recorded) {
        return std::unexpected(recorded.error());
      }
    }
    return {};
  }

  std::mutex mutex_;
  PGconn* conn_;
  const std::string where_;
  bool in_transaction_ = false;  // guarded by mutex_
  // When a statement last succeeded; a write after kProbeAfterIdle checks the connection first.
  std::chrono::steady_clock::time_point last_used_ = std::chrono::steady_clock::now();
  static constexpr std::chrono::milliseconds kProbeAfterIdle{1000};
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgresql_store(const StoreOptions& options) {
  if (options.postgresql_dsn.empty()) {
    return make_error(ErrorCode::kConfig,
                      "store: postgresql_dsn is empty: give a libpq connection string");
  }
  auto where = describe_dsn(options.postgresql_dsn);
  if (!where) return std::unexpected(where.error());
  // Keywords before dbname are defaults the connection string may override.
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", "sendguard", options.postgresql_dsn.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!conn) return make_error(ErrorCode::kIo, *where + ": out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = *where + ": " + one_line(PQerrorMessage(conn));
    PQfinish(conn);
    return make_error(ErrorCode::kIo, std::move(message));
  }
  auto store = std::make_unique<PostgresqlStore>(conn, *where);
  if (auto ok = store->migrate(); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sendguard::store_internal
