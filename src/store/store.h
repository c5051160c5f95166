// Durable state of the gateway: the audit log of every decision, the quarantine of held
// messages, and the mail history (who the organisation writes to).
//
// One interface, two implementations. SQLite (the default) keeps everything in one file under
// the state directory, in WAL mode, for a single gateway node. PostgreSQL (libpq) lets several
// gateway nodes share one audit log and one quarantine. The schema is versioned; missing
// migrations are applied, in order and in one transaction, when a store is opened. Nothing
// outside this module speaks SQL.
//
// Times are stored in UTC to the microsecond (finer parts are dropped). Text must be valid UTF-8
// without NUL bytes, on both backends alike; anything else is refused with kInvalidInput naming
// the field, so that a record never means one thing in SQLite and fails in PostgreSQL.
//
// Thread-safety: a Store may be used from any number of threads at once. Several Stores (in one
// process, in several processes, on several nodes) may share one database; transition() is what
// keeps them from acting twice on one held message. A failing database yields Error values
// (kIo when it cannot be reached or written), never a crash.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/text_pool.h"

namespace sendguard {

struct StoreOptions {
  // Which implementation: "sqlite" (one node) or "postgresql" (several nodes sharing state).
  std::string backend = "sqlite";
  // SQLite: the database file, created (mode 0640) when missing; its directory must exist.
  // No default here: the caller passes <state_dir>/sendguard.db.
  std::string sqlite_path;
  // PostgreSQL: a libpq connection string ("host=127.0.0.1 port=5432 dbname=sendguard") or URI.
  // Passwords in it never appear in error messages. Unless it says otherwise, connecting gives up
  // after 10 seconds.
  std::string postgresql_dsn;
  // SQLite: how long, in milliseconds, a write waits for another writer's lock before failing.
  int busy_timeout_ms = 5000;
};

// One decision of the gateway, as it was taken. Secrets never reach it: details_json carries
// redacted findings only.
struct AuditRecord {
  std::int64_t id = 0;  // assigned by the store, increasing
  std::chrono::system_clock::time_point time;
  std::string node;   // gateway host name
  std::string stage;  // "rcpt" | "eom" | "release" | "discard" | ...
  std::string queue_id, message_id, sender, auth_user;
  std::vector<std::string> recipients;  // in order, kept exactly
  std::string rule;                     // id of the rule that decided; empty when none did
  std::string action;                   // accept | tag | hold | reject | drop-recipient | ...
  bool monitor = false;                 // monitor mode: recorded, not enforced
  std::string override_justification;   // empty unless the sender overrode
  // Verdicts and redacted findings: a JSON object, stored as given. Empty means "{}".
  std::string details_json;
};

struct AuditQuery {
  std::optional<std::chrono::system_clock::time_point> since;  // inclusive; none: no bound
  std::optional<std::chrono::system_clock::time_point> until;  // exclusive; none: no bound
  std::string queue_id;                                        // empty: any queue id
  std::size_t limit = 1000;  // at most this many records, newest first; 0: no limit
};

// kHeld → kReleasing → kReleased is a release; kReleasing → kHeld undoes a release whose
// delivery failed; kHeld → kDiscarded is a discard, and so is kHeld → kReleasing → kDiscarded
// (claiming the entry first, so that a release and a discard cannot both reach the MTA).
// transition() refuses any other move.
enum class QuarantineState { kHeld, kReleasing, kReleased, kDiscarded };
std::string_view to_string(QuarantineState state);  // "held", "releasing", ...
std::optional<QuarantineState> quarantine_state_from_string(std::string_view name);

struct QuarantineEntry {
  std::string id;  // assigned by hold(): 16 characters of base32, 80 random bits
  std::chrono::system_clock::time_point held_at;
  std::string queue_id, message_id, sender;
  std::vector<std::string> recipients;  // in order, kept exactly
  std::string rule, reason;
  // Where the MTA holds the message, e.g. "postfix-hold:<config dir>:<queue id>".
  std::string location;
  QuarantineState state = QuarantineState::kHeld;    // hold() always stores kHeld
  std::chrono::system_clock::time_point changed_at;  // hold() sets it to held_at
  std::string changed_by;                            // operator or node behind the last transition
};

// The mail history: how often, on how many days, and since when the organisation (and each
// sender) has written to each recipient domain and address, and which recipients a sender
// addresses together. Learning fills it (history/); the signals and learned known domains
// read it. Addresses may be keyed hashes (history.hash_key_file): the store never needs to
// read them, only to compare them.
enum class HistoryScope {
  kDomain,         // key: recipient domain                       subject: ""
  kAddress,        // key: recipient address                      subject: ""
  kSenderDomain,   // key: recipient domain                       subject: sender
  kSenderAddress,  // key: recipient address, local: its local part  subject: sender
  kTogether,       // key: two recipient addresses, sorted, '\n' between  subject: sender
};
std::string_view to_string(HistoryScope scope);  // "domain", "address", "sender-domain", ...

struct HistoryRecipient {
  std::string address;  // "local@domain", normalised (or its keyed hash)
  std::string domain;   // normalised ASCII domain; always plain, learning needs it
  std::string local;    // the local part (or its keyed hash): the same person at another domain
};

// One sent message, as learning gives it to the store.
struct HistoryMessage {
  // A digest of the source's identity of the message (SentMail::identity): a message imported
  // again, from the same or another copy of the source, is recognised and not counted twice.
  std::uint64_t identity = 0;
  std::chrono::system_clock::time_point time;
  std::string sender;  // normalised (or its keyed hash); empty for bounces
  std::vector<HistoryRecipient> recipients;
};

// Messages on their way into the history, with every distinct text (sender, address, domain,
// local part) stored once and referred to by number: a gigabyte of log names a few hundred
// thousand addresses millions of times, and summing numbers is what makes a large import fast.
// The numbers mean something only within one batch.
class HistoryBatch {
 public:
  using TextId = TextPool::Id;
  static constexpr TextId kEmptyText = 0;  // "", always present

  struct Recipient {
    TextId address, domain, local;
  };
  struct Message {
    std::uint64_t identity;  // as HistoryMessage::identity
    std::int64_t time_us;    // microseconds since 1970-01-01 UTC
    TextId sender;           // kEmptyText for bounces
    std::uint32_t first_recipient, recipient_count;  // a run of recipients()
  };

  HistoryBatch() { clear(); }

  // The number of `text` in this batch, adding it when new.
  TextId intern(std::string_view text) { return texts_.intern(text); }
  std::string_view text(TextId id) const { return texts_.text(id); }
  std::size_t text_count() const { return texts_.size(); }

  // Adds a message whose texts are interned already.
  void add(std::uint64_t identity, std::chrono::system_clock::time_point time, TextId sender,
           std::span<const Recipient> recipients);
  // Adds a message, interning its texts.
  void add(const HistoryMessage& message);

  const std::vector<Message>& messages() const { return messages_; }
  std::span<const Recipient> recipients(const Message& message) const {
    return std::span(recipients_).subspan(message.first_recipient, message.recipient_count);
  }
  std::size_t size() const { return messages_.size(); }
  bool empty() const { return messages_.empty(); }
  // About how many bytes the batch holds, to bound it.
  std::size_t memory_bytes() const;
  void clear();

 private:
  TextPool texts_;
  std::vector<Message> messages_;
  std::vector<Recipient> recipients_;
};

HistoryBatch make_history_batch(const std::vector<HistoryMessage>& messages);

struct HistoryImportCounts {
  std::size_t added = 0;          // messages counted now
  std::size_t already_known = 0;  // messages an earlier import counted already
};

struct HistoryKey {
  HistoryScope scope = HistoryScope::kDomain;
  std::string subject;  // the sender for the sender scopes, else empty
  std::string key;
};

struct HistoryStats {
  std::string key;    // as in HistoryKey
  std::string local;  // kSenderAddress: the local part; else empty
  std::int64_t messages = 0;
  std::int64_t days = 0;  // distinct UTC days with at least one message; 0 for kTogether
  std::chrono::system_clock::time_point first_seen, last_seen;  // unset when messages == 0
};

struct HistoryQuery {
  HistoryScope scope = HistoryScope::kDomain;
  std::string subject;        // the sender for the sender scopes, else empty
  std::string local;          // kSenderAddress: only addresses with this local part; "": any
  std::int64_t min_days = 0;  // only keys written to on at least this many days
  std::size_t limit = 0;      // at most this many, most messages first; 0: no limit
};

class Store {
 public:
  virtual ~Store() = default;

  // Appends one record and returns the id the store gave it.
  virtual Result<std::int64_t> append_audit(const AuditRecord& record) = 0;
  // The records matching every filter of `query`, newest first.
  virtual Result<std::vector<AuditRecord>> audit(const AuditQuery& query) = 0;

  // Records a held message (its id, state and changed_at are ignored) and returns its new id.
  virtual Result<std::string> hold(const QuarantineEntry& entry) = 0;
  // Held messages in `state` (all of them when none), oldest first.
  virtual Result<std::vector<QuarantineEntry>> quarantine(std::optional<QuarantineState> state) = 0;
  // One entry, or none when no entry has this id.
  virtual Result<std::optional<QuarantineEntry>> quarantine_entry(const std::string& id) = 0;
  // Atomic compare-and-set: moves `id` from `from` to `to` only if it is in `from` now, and
  // returns false when it was not (someone else moved it first). A release is
  // transition(held → releasing), deliver, transition(releasing → released): only the caller
  // that won the first step delivers, so a message is delivered once even with two operators or
  // two gateway nodes. An unknown id or a move the state diagram lacks is kInvalidInput.
  virtual Result<bool> transition(const std::string& id, QuarantineState from, QuarantineState to,
                                  const std::string& by) = 0;
  // Takes over a claim that stalled (a release or discard cut short after held → releasing):
  // only if `id` is still kReleasing and unchanged since `claimed_at` (its changed_at as read),
  // stamps it with now and `by` and returns true. Of several operators or nodes recovering the
  // same stalled claim at once, exactly one gets true and may then act on the message. False
  // when the entry moved on or someone else took it over first; an unknown id is kInvalidInput.
  virtual Result<bool> take_over_claim(const std::string& id,
                                       std::chrono::system_clock::time_point claimed_at,
                                       const std::string& by) = 0;

  // Counts the messages of `batch` that no earlier import counted, in one transaction: every
  // message adds to its recipients' kDomain and kAddress keys and its sender's kSenderDomain
  // and kSenderAddress keys, and, when it has 2 to `max_together` recipients, to kTogether for
  // every pair of them. Several processes or nodes may import at once.
  virtual Result<HistoryImportCounts> import_history(const HistoryBatch& batch,
                                                     std::size_t max_together) = 0;
  Result<HistoryImportCounts> import_history(const std::vector<HistoryMessage>& messages,
                                             std::size_t max_together) {
    return import_history(make_history_batch(messages), max_together);
  }
  // The statistics of each key, in the order asked; a key never seen has messages == 0.
  virtual Result<std::vector<HistoryStats>> history(const std::vector<HistoryKey>& keys) = 0;
  // The keys of one scope (and subject) that `query` selects, most messages first.
  virtual Result<std::vector<HistoryStats>> history_list(const HistoryQuery& query) = 0;

  // How many messages the history has counted, all told.
  virtual Result<std::int64_t> history_size() = 0;

  // The highest migration applied to the database.
  virtual Result<int> schema_version() = 0;
};

// The schema versions this build creates and understands, per backend: a change that only one
// backend's layout needs is a migration of that backend alone.
inline constexpr int kSqliteSchemaVersion = 4;
inline constexpr int kPostgresqlSchemaVersion = 2;

// Opens (creating and migrating as needed) the store `options` describe. Fails with kConfig for
// options that name no usable store, kIo when the database cannot be opened or reached, and
// kInternal when its schema is newer than this build understands.
Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

}  // namespace sendguard
