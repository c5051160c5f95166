// The same cases on both backends. The PostgreSQL cases need a server: CTest runs this binary
// through tests/integration/with-postgresql, which starts a throw-away one and sets
// SENDGUARD_TEST_POSTGRESQL_DSN. Without it those cases fail; `--gtest_filter='Sqlite*'` runs
// the SQLite cases alone.
#include "store/store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace sendguard {
namespace {

using std::chrono::microseconds;
using std::chrono::system_clock;

constexpr const char* kDsnVariable = "SENDGUARD_TEST_POSTGRESQL_DSN";

// A fixed instant with a sub-microsecond part, which the store drops.
system_clock::time_point at(std::int64_t seconds, std::int64_t micros = 0) {
  return system_clock::time_point(std::chrono::seconds(1'790'000'000 + seconds)) +
         microseconds(micros) + std::chrono::nanoseconds(1'000 - 1);
}

system_clock::time_point to_micros(system_clock::time_point time) {
  return std::chrono::floor<microseconds>(time);
}

// Runs SQL on the test database behind the store's back.
void run_postgresql(const std::string& dsn, const char* sql) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PQclear(PQexec(conn, "SET client_min_messages = warning"));
  PGresult* result = PQexec(conn, sql);
  EXPECT_TRUE(PQresultStatus(result) == PGRES_COMMAND_OK ||
              PQresultStatus(result) == PGRES_TUPLES_OK)
      << sql << ": " << PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
}

void run_sqlite(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << sql << ": " << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

// A loopback port on which nothing listens: bound, never listening, so connections are refused.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (postgresql()) {
      const char* dsn = std::getenv(kDsnVariable);
      ASSERT_TRUE(dsn != nullptr && *dsn != '\0')
          << kDsnVariable
          << " is not set: run this binary through tests/integration/with-postgresql (as "
             "ctest does), or select the SQLite cases alone with --gtest_filter='Sqlite*'";
      dsn_ = dsn;
      // Every case starts from an empty database, as a new installation does.
      ASSERT_NO_FATAL_FAILURE(
          run_postgresql(dsn_, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
    } else {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "sendguard-store-test.XXXXXX").string();
      ASSERT_NE(mkdtemp(pattern.data()), nullptr);
      dir_ = pattern;
    }
  }

  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool postgresql() const { return GetParam() == "postgresql"; }
  int schema_version() const {
    return postgresql() ? kPostgresqlSchemaVersion : kSqliteSchemaVersion;
  }

  StoreOptions options() const {
    StoreOptions o;
    o.backend = GetParam();
    if (postgresql()) {
      o.postgresql_dsn = dsn_;
    } else {
      o.sqlite_path = dir_ + "/sendguard.db";
    }
    return o;
  }

  std::unique_ptr<Store> open() {
    auto store = open_store(options());
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  void run_sql(const char* sql) {
    if (postgresql()) {
      run_postgresql(dsn_, sql);
    } else {
      run_sqlite(options().sqlite_path, sql);
    }
  }

  std::string dsn_;
  std::string dir_;
};

AuditRecord sample_record() {
  AuditRecord r;
  r.time = at(0, 123456);
  r.node = "mx1.example.org";
  r.stage = "eom";
  r.queue_id = "4F2A81C0D3";
  r.message_id = "<20261128.1@example.org>";
  r.sender = "alice@example.org";
  r.auth_user = "alice";
  r.recipients = {"bob@army.ml", "carol@example.com", "carol@example.com"};
  r.rule = "lookalike-hold";
  r.action = "hold";
  r.monitor = true;
  r.override_justification = "Bob asked for the file";
  r.details_json = R"({"findings":[{"detector":"recipient.lookalike","excerpt":"army.ml"}]})";
  return r;
}

QuarantineEntry sample_entry(std::string queue_id = "4F2A81C0D3") {
  QuarantineEntry e;
  e.held_at = at(10, 42);
  e.queue_id = queue_id;
  e.message_id = "<20261128.2@example.org>";
  e.sender = "alice@example.org";
  e.recipients = {"bob@army.ml", "dave@example.net"};
  e.rule = "marking-secret";
  e.reason = "SECRET marking to an outside domain";
  e.location = "postfix-hold:/etc/postfix:" + queue_id;
  e.changed_by = "mx1.example.org";
  return e;
}

void expect_same(const AuditRecord& got, const AuditRecord& want) {
  EXPECT_EQ(got.time, to_micros(want.time));
  EXPECT_EQ(got.node, want.node);
  EXPECT_EQ(got.stage, want.stage);
  EXPECT_EQ(got.queue_id, want.queue_id);
  EXPECT_EQ(got.message_id, want.message_id);
  EXPECT_EQ(got.sender, want.sender);
  EXPECT_EQ(got.auth_user, want.auth_user);
  EXPECT_EQ(got.recipients, want.recipients);
  EXPECT_EQ(got.rule, want.rule);
  EXPECT_EQ(got.action, want.action);
  EXPECT_EQ(got.monitor, want.monitor);
  EXPECT_EQ(got.override_justification, want.override_justification);
  EXPECT_EQ(got.details_json, want.details_json.empty() ? "{}" : want.details_json);
}

void expect_same(const QuarantineEntry& got, const QuarantineEntry& want) {
  EXPECT_EQ(got.held_at, to_micros(want.held_at));
  EXPECT_EQ(got.queue_id, want.queue_id);
  EXPECT_EQ(got.message_id, want.message_id);
  EXPECT_EQ(got.sender, want.sender);
  EXPECT_EQ(got.recipients, want.recipients);
  EXPECT_EQ(got.rule, want.rule);
  EXPECT_EQ(got.reason, want.reason);
  EXPECT_EQ(got.location, want.location);
}

TEST_P(StoreTest, CreatesSchemaAndReportsItsVersion) {
  auto store = open();
  ASSERT_TRUE(store);
  auto version = store->schema_version();
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_EQ(*version, schema_version());
  auto entries = store->quarantine(std::nullopt);
  ASSERT_TRUE(entries) << entries.error().message;
  EXPECT_TRUE(entries->empty());
  auto records = store->audit({});
  ASSERT_TRUE(records) << records.error().message;
  EXPECT_TRUE(records->empty());
}

TEST_P(StoreTest, ReopeningKeepsDataAndAppliesNothingTwice) {
  std::int64_t id = 0;
  {
    auto store = open();
    ASSERT_TRUE(store);
    auto appended = store->append_audit(sample_record());
    ASSERT_TRUE(appended) << appended.error().message;
    id = *appended;
  }
  for (int i = 0; i < 2; ++i) {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version().value_or(-1), schema_version());
    auto records = store->audit({});
    ASSERT_TRUE(records) << records.error().message;
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ(records->front().id, id);
  }
}

TEST_P(StoreTest, ConcurrentOpenersOfANewDatabaseAllSucceed) {
  // Several nodes starting at once against an empty database: the migration runs once and
  // nobody sees a half-made schema.
  constexpr int kOpeners = 6;
  std::vector<std::thread> threads;
  std::atomic<int> opened = 0;
  std::vector<std::string> errors(kOpeners);
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      auto store = open_store(options());
      if (!store) {
        errors[i] = store.error().message;
        return;
      }
      if ((*store)->schema_version().value_or(-1) == schema_version()) ++opened;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(opened, kOpeners);
}

TEST_P(StoreTest, ConcurrentAppendsAreEachWrittenOnceWithTheirOwnId) {
  // Worker threads deciding at once: the appends may be written together, but each caller
  // gets the id of its own record, and every record is there exactly once.
  auto store = open();
  ASSERT_TRUE(store);
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::vector<std::int64_t>> ids(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        AuditRecord record = sample_record();
        record.queue_id = "Q" + std::to_string(t) + "-" + std::to_string(i);
        auto id = store->append_audit(record);
        if (!id) {
          errors[t] = id.error().message;
          return;
        }
        ids[t].push_back(*id);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) ASSERT_EQ(e, "");
  auto records = store->audit({});
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), static_cast<std::size_t>(kThreads * kEach));
  std::map<std::int64_t, std::string> queue_id_of;
  for (const AuditRecord& r : *records) queue_id_of[r.id] = r.queue_id;
  ASSERT_EQ(queue_id_of.size(), records->size());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      EXPECT_EQ(queue_id_of[ids[t][i]], "Q" + std::to_string(t) + "-" + std::to_string(i));
    }
  }
}

TEST_P(StoreTest, AuditRecordRoundTrips) {
  auto store = open();
  ASSERT_TRUE(store);
  AuditRecord record = sample_record();
  auto id = store->append_audit(record);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_GT(*id, 0);

  AuditRecord plain;
  plain.time = at(1);
  plain.stage = "rcpt";
  plain.action = "accept";
  auto second = store->append_audit(plain);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_GT(*second, *id);

  auto records = store->audit({});
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].id, *second);  // newest first
  expect_same((*records)[0], plain);
  EXPECT_TRUE((*records)[0].recipients.empty());
  EXPECT_EQ((*records)[1].id, *id);
  expect_same((*records)[1], record);
}

TEST_P(StoreTest, AuditQueryFiltersBySinceUntilQueueIdAndLimit) {
  auto store = open();
  ASSERT_TRUE(store);
  for (int i = 0; i < 6; ++i) {
    AuditRecord r = sample_record();
    r.time = at(i * 60);
    r.queue_id = i % 2 == 0 ? "EVEN" : "ODD";
    r.stage = "eom" + std::to_string(i);
    ASSERT_TRUE(store->append_audit(r));
  }
  auto stages = [&](const AuditQuery& q) {
    std::vector<std::string> out;
    auto records = store->audit(q);
    EXPECT_TRUE(records) << records.error().message;
    if (records) {
      for (const auto& r : *records) out.push_back(r.stage);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(stages({}), (V{"eom5", "eom4", "eom3", "eom2", "eom1", "eom0"}));
  // since is inclusive, until exclusive, to the microsecond.
  EXPECT_EQ(stages({.since = to_micros(at(120)), .until = to_micros(at(240))}),
            (V{"eom3", "eom2"}));
  EXPECT_EQ(stages({.since = to_micros(at(120)) + microseconds(1)}), (V{"eom5", "eom4", "eom3"}));
  EXPECT_EQ(stages({.queue_id = "ODD"}), (V{"eom5", "eom3", "eom1"}));
  EXPECT_EQ(stages({.since = to_micros(at(60)), .queue_id = "EVEN"}), (V{"eom4", "eom2"}));
  EXPECT_EQ(stages({.limit = 2}), (V{"eom5", "eom4"}));
  EXPECT_EQ(stages({.limit = 0}).size(), 6u);
  EXPECT_TRUE(stages({.queue_id = "NONE"}).empty());
}

TEST_P(StoreTest, HoldListAndShow) {
  auto store = open();
  ASSERT_TRUE(store);
  QuarantineEntry first = sample_entry("AAA111");
  QuarantineEntry second = sample_entry("BBB222");
  second.held_at = first.held_at + std::chrono::seconds(5);
  auto first_id = store->hold(first);
  ASSERT_TRUE(first_id) << first_id.error().message;
  auto second_id = store->hold(second);
  ASSERT_TRUE(second_id) << second_id.error().message;
  EXPECT_NE(*first_id, *second_id);
  for (const auto& id : {*first_id, *second_id}) {
    EXPECT_EQ(id.size(), 16u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdefghjkmnpqrstvwxyz"), std::string::npos) << id;
  }

  auto all = store->quarantine(std::nullopt);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, *first_id);  // oldest first
  expect_same((*all)[0], first);
  EXPECT_EQ((*all)[0].state, QuarantineState::kHeld);
  EXPECT_EQ((*all)[0].changed_at, to_micros(first.held_at));
  EXPECT_EQ((*all)[0].changed_by, first.changed_by);
  EXPECT_EQ((*all)[1].id, *second_id);
  expect_same((*all)[1], second);

  auto shown = store->quarantine_entry(*second_id);
  ASSERT_TRUE(shown) << shown.error().message;
  ASSERT_TRUE(shown->has_value());
  expect_same(**shown, second);

  auto missing = store->quarantine_entry("nosuchid");
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_FALSE(missing->has_value());

  auto released = store->quarantine(QuarantineState::kReleased);
  ASSERT_TRUE(released);
  EXPECT_TRUE(released->empty());
}

TEST_P(StoreTest, TransitionHappensExactlyOnce) {
  auto store = open();
  ASSERT_TRUE(store);
  auto id = store->hold(sample_entry());
  ASSERT_TRUE(id) << id.error().message;

  auto before = system_clock::now();
  auto won = store->transition(*id, QuarantineState::kHeld, QuarantineState::kReleasing, "ops");
  ASSERT_TRUE(won) << won.error().message;
  EXPECT_TRUE(*won);
  auto again = store->transition(*id, QuarantineState::kHeld, QuarantineState::kReleasing, "ops2");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(*again);
  auto discard =
      store->transition(*id, QuarantineState::kHeld, QuarantineState::kDiscarded, "ops2");
  ASSERT_TRUE(discard);
  EXPECT_FALSE(*discard);

  auto entry = store->quarantine_entry(*id);
  ASSERT_TRUE(entry && entry->has_value());
  EXPECT_EQ((*entry)->state, QuarantineState::kReleasing);
  EXPECT_EQ((*entry)->changed_by, "ops");
  EXPECT_GE((*entry)->changed_at, std::chrono::floor<microseconds>(before));

  EXPECT_TRUE(store->transition(*id, QuarantineState::kReleasing, QuarantineState::kReleased, "ops")
                  .value_or(false));
  auto listed = store->quarantine(QuarantineState::kReleased);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, *id);
  EXPECT_TRUE(store->quarantine(QuarantineState::kHeld).value().empty());

  // Moves outside the diagram, and unknown ids, are errors rather than a quiet false.
  auto backwards =
      store->transition(*id, QuarantineState::kReleased, QuarantineState::kHeld, "ops");
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(backwards.error().message.find("cannot move from released to held"), std::string::npos)
      << backwards.error().message;
  auto unknown =
      store->transition("nosuchid", QuarantineState::kHeld, QuarantineState::kReleasing, "ops");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(unknown.error().message.find("nosuchid"), std::string::npos);
}

TEST_P(StoreTest, FailedDeliveryReturnsTheMessageToHeld) {
  auto store = open();
  ASSERT_TRUE(store);
  auto id = store->hold(sample_entry());
  ASSERT_TRUE(id);
  ASSERT_TRUE(store->transition(*id, QuarantineState::kHeld, QuarantineState::kReleasing, "a")
                  .value_or(false));
  EXPECT_TRUE(store->transition(*id, QuarantineState::kReleasing, QuarantineState::kHeld, "a")
                  .value_or(false));
  EXPECT_TRUE(store->transition(*id, QuarantineState::kHeld, QuarantineState::kDiscarded, "b")
                  .value_or(false));
  EXPECT_EQ(store->quarantine_entry(*id).value()->state, QuarantineState::kDiscarded);
}

TEST_P(StoreTest, RacingReleasesHaveExactlyOneWinner) {
  // Threads sharing one Store (one node, two operators) and threads with a Store each (several
  // nodes on one database) all try to release the same messages at once.
  auto shared = open();
  ASSERT_TRUE(shared);
  constexpr int kMessages = 10;
  std::vector<std::string> ids;
  for (int i = 0; i < kMessages; ++i) {
    auto id = shared->hold(sample_entry("Q" + std::to_string(i)));
    ASSERT_TRUE(id) << id.error().message;
    ids.push_back(*id);
  }
  constexpr int kOwnStores = 3;
  constexpr int kSharedThreads = 3;
  std::vector<std::unique_ptr<Store>> own;
  for (int i = 0; i < kOwnStores; ++i) {
    own.push_back(open());
    ASSERT_TRUE(own.back());
  }
  std::vector<std::atomic<int>> wins(kMessages);
  std::atomic<int> errors = 0;
  std::atomic<int> ready = 0;
  auto race = [&](Store* store, std::string who) {
    ++ready;
    while (ready < kOwnStores + kSharedThreads) std::this_thread::yield();
    for (int m = 0; m < kMessages; ++m) {
      auto won =
          store->transition(ids[m], QuarantineState::kHeld, QuarantineState::kReleasing, who);
      if (!won) {
        ++errors;
      } else if (*won) {
        ++wins[m];
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kOwnStores; ++i) {
    threads.emplace_back(race, own[i].get(), "node" + std::to_string(i));
  }
  for (int i = 0; i < kSharedThreads; ++i) {
    threads.emplace_back(race, shared.get(), "operator" + std::to_string(i));
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors, 0);
  for (int m = 0; m < kMessages; ++m) EXPECT_EQ(wins[m], 1) << "message " << m;
  auto releasing = shared->quarantine(QuarantineState::kReleasing);
  ASSERT_TRUE(releasing);
  EXPECT_EQ(releasing->size(), static_cast<std::size_t>(kMessages));
}

TEST_P(StoreTest, AStalledClaimIsTakenOverOnce) {
  auto store = open();
  ASSERT_TRUE(store);
  auto id = store->hold(sample_entry());
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(store->transition(*id, QuarantineState::kHeld, QuarantineState::kReleasing, "crashed")
                  .value_or(false));
  auto claim = store->quarantine_entry(*id);
  ASSERT_TRUE(claim && claim->has_value());
  system_clock::time_point claimed_at = (*claim)->changed_at;

  // Several nodes (a Store each) and operators (sharing one) recover the same stalled claim at
  // once, each from the claim as it read it: exactly one takes it over.
  constexpr int kOwnStores = 3, kSharedThreads = 3;
  std::vector<std::unique_ptr<Store>> own;
  for (int i = 0; i < kOwnStores; ++i) {
    own.push_back(open());
    ASSERT_TRUE(own.back());
  }
  std::atomic<int> wins = 0, errors = 0, ready = 0;
  std::mutex winner_mutex;
  std::string winner;
  auto race = [&](Store* s, std::string who) {
    ++ready;
    while (ready < kOwnStores + kSharedThreads) std::this_thread::yield();
    auto won = s->take_over_claim(*id, claimed_at, who);
    if (!won) {
      ++errors;
    } else if (*won) {
      ++wins;
      std::lock_guard lock(winner_mutex);
      winner = who;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kOwnStores; ++i)
    threads.emplace_back(race, own[i].get(), "node" + std::to_string(i));
  for (int i = 0; i < kSharedThreads; ++i)
    threads.emplace_back(race, store.get(), "operator" + std::to_string(i));
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(wins, 1);

  auto taken = store->quarantine_entry(*id);
  ASSERT_TRUE(taken && taken->has_value());
  EXPECT_EQ((*taken)->state, QuarantineState::kReleasing);
  EXPECT_EQ((*taken)->changed_by, winner);
  EXPECT_GT((*taken)->changed_at, claimed_at);
  // The claim as first read is gone; the new one can be taken over in its turn.
  EXPECT_FALSE(store->take_over_claim(*id, claimed_at, "late").value_or(true));
  EXPECT_TRUE(store->take_over_claim(*id, (*taken)->changed_at, "next").value_or(false));

  // Only a claim in progress can be taken over: not a held entry, not a finished one.
  auto current = store->quarantine_entry(*id).value().value();
  ASSERT_TRUE(store->transition(*id, QuarantineState::kReleasing, QuarantineState::kHeld, "next")
                  .value_or(false));
  auto held = store->quarantine_entry(*id).value().value();
  EXPECT_FALSE(store->take_over_claim(*id, held.changed_at, "x").value_or(true));
  EXPECT_FALSE(store->take_over_claim(*id, current.changed_at, "x").value_or(true));
  EXPECT_EQ(store->quarantine_entry(*id).value()->state, QuarantineState::kHeld);

  auto unknown = store->take_over_claim("nosuchid", claimed_at, "x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidInput);
}

TEST_P(StoreTest, AwkwardTextRoundTrips) {
  auto store = open();
  ASSERT_TRUE(store);
  const std::vector<std::string> awkward = {
      "O'Brien \"quoted\" `back`",
      "'); DROP TABLE audit; --",
      "x' OR '1'='1",
      "100% _wild_ \\backslash\\ $1 ?1 :name @p",
      "Ünïcödé 日本語 עברית 🚀 e\u0301",
      "line\nbreak\ttab\r",
      "[\"not\", \"an array\"]",
      " leading and trailing ",
      "",
  };
  AuditRecord record = sample_record();
  record.sender = awkward[0];
  record.queue_id = awkward[1];
  record.rule = awkward[2];
  record.override_justification = awkward[3];
  record.node = awkward[4];
  record.auth_user = awkward[5];
  record.message_id = awkward[6];
  record.recipients = awkward;
  record.details_json = R"({"excerpt": "O'Brien; DROP TABLE \"x\" -- 🚀", "n": [1, 2.5]})";
  auto id = store->append_audit(record);
  ASSERT_TRUE(id) << id.error().message;
  auto records = store->audit({.queue_id = awkward[1]});
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 1u);
  expect_same(records->front(), record);

  QuarantineEntry entry = sample_entry(awkward[2]);
  entry.sender = awkward[4];
  entry.reason = awkward[3];
  entry.location = "postfix-hold:/etc/postfix dir/'x':" + awkward[1];
  entry.recipients = awkward;
  auto held = store->hold(entry);
  ASSERT_TRUE(held) << held.error().message;
  auto shown = store->quarantine_entry(*held);
  ASSERT_TRUE(shown && shown->has_value());
  expect_same(**shown, entry);
  auto by = awkward[1];
  ASSERT_TRUE(store->transition(*held, QuarantineState::kHeld, QuarantineState::kReleasing, by)
                  .value_or(false));
  EXPECT_EQ(store->quarantine_entry(*held).value()->changed_by, by);

  // The tables are all still there.
  EXPECT_EQ(store->audit({}).value().size(), 1u);
  EXPECT_EQ(store->schema_version().value_or(-1), schema_version());
}

TEST_P(StoreTest, RefusesTextNeitherBackendCanKeepExactly) {
  auto store = open();
  ASSERT_TRUE(store);
  AuditRecord bad_utf8 = sample_record();
  bad_utf8.sender = "alice\xff@example.org";
  auto r1 = store->append_audit(bad_utf8);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(r1.error().message.find("sender is not valid UTF-8"), std::string::npos)
      << r1.error().message;

  AuditRecord nul = sample_record();
  nul.recipients.push_back(std::string("bob\0@x", 7));
  auto r2 = store->append_audit(nul);
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("recipient contains a NUL byte"), std::string::npos)
      << r2.error().message;

  AuditRecord not_object = sample_record();
  not_object.details_json = "[1, 2]";
  auto r3 = store->append_audit(not_object);
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.error().message.find("details_json is not a JSON object"), std::string::npos);
  AuditRecord truncated = sample_record();
  truncated.details_json = "{\"decision\": ";
  auto r3b = store->append_audit(truncated);
  ASSERT_FALSE(r3b);
  EXPECT_NE(r3b.error().message.find("details_json is not a JSON object"), std::string::npos);

  QuarantineEntry entry = sample_entry();
  entry.location = "\xc0\xaf";  // an overlong '/'
  auto r4 = store->hold(entry);
  ASSERT_FALSE(r4);
  EXPECT_NE(r4.error().message.find("location is not valid UTF-8"), std::string::npos);

  EXPECT_TRUE(store->audit({}).value().empty());
  EXPECT_TRUE(store->quarantine(std::nullopt).value().empty());
}

TEST_P(StoreTest, UnreachableStoreGivesAClearError) {
  StoreOptions o = options();
  std::string where;
  RefusingPort refusing;
  if (postgresql()) {
    o.postgresql_dsn = "host=127.0.0.1 port=" + std::to_string(refusing.port()) +
                       " dbname=sendguard password=hunter2 connect_timeout=5";
    where = "PostgreSQL at host=127.0.0.1 port=" + std::to_string(refusing.port()) +
            " dbname=sendguard: ";
  } else {
    o.sqlite_path = dir_ + "/no/such/dir/sendguard.db";
    where = "cannot open store " + o.sqlite_path + ": ";
  }
  auto store = open_store(o);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_EQ(store.error().message.rfind(where, 0), 0u) << store.error().message;
  if (postgresql()) {
    EXPECT_NE(store.error().message.find("Connection refused"), std::string::npos)
        << store.error().message;
    EXPECT_EQ(store.error().message.find("hunter2"), std::string::npos) << store.error().message;
    EXPECT_EQ(store.error().message.find('\n'), std::string::npos) << store.error().message;
  } else {
    EXPECT_NE(store.error().message.find("No such file or directory"), std::string::npos)
        << store.error().message;
  }
}

TEST_P(StoreTest, MisconfiguredStoreGivesAClearError) {
  StoreOptions o = options();
  o.sqlite_path.clear();
  o.postgresql_dsn.clear();
  auto empty = open_store(o);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kConfig);
  EXPECT_NE(
      empty.error().message.find(postgresql() ? "postgresql_dsn is empty" : "sqlite_path is empty"),
      std::string::npos)
      << empty.error().message;

  if (postgresql()) {
    o.postgresql_dsn = "host=127.0.0.1 bogus_option=1";
    auto bad = open_store(o);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kConfig);
    EXPECT_NE(bad.error().message.find("bogus_option"), std::string::npos) << bad.error().message;
  } else {
    // A file that is not a database.
    o.sqlite_path = dir_ + "/notes.txt";
    {
      std::FILE* f = std::fopen(o.sqlite_path.c_str(), "w");
      ASSERT_NE(f, nullptr);
      std::fputs("these are not the tables you are looking for\n", f);
      std::fclose(f);
    }
    auto bad = open_store(o);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kIo);
    EXPECT_EQ(bad.error().message.rfind("cannot open store " + o.sqlite_path + ": ", 0), 0u)
        << bad.error().message;
    EXPECT_EQ(bad.error().message,
              "cannot open store " + o.sqlite_path + ": file is not a database");
  }

  o.backend = "mysql";
  auto unknown = open_store(o);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kConfig);
  EXPECT_NE(unknown.error().message.find("'mysql' is unknown"), std::string::npos);
}

TEST_P(StoreTest, RefusesASchemaNewerThanItKnows) {
  { ASSERT_TRUE(open()); }
  run_sql("INSERT INTO schema_migrations (version, description) VALUES (99, 'from the future')");
  auto store = open_store(options());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInternal);
  EXPECT_NE(store.error().message.find("schema version 99, newer than this sendguard knows"),
            std::string::npos)
      << store.error().message;
}

HistoryMessage sent(std::uint64_t identity, system_clock::time_point time, std::string sender,
                    std::vector<std::string> recipients) {
  HistoryMessage m{identity, time, std::move(sender), {}};
  for (const std::string& r : recipients) {
    std::size_t at_sign = r.rfind('@');
    m.recipients.push_back({r, r.substr(at_sign + 1), r.substr(0, at_sign)});
  }
  return m;
}

constexpr std::int64_t kDay = 86'400;

HistoryStats stats_of(Store& store, HistoryScope scope, std::string subject, std::string key) {
  auto got = store.history({{scope, std::move(subject), std::move(key)}});
  EXPECT_TRUE(got.has_value()) << got.error().message;
  return got && got->size() == 1 ? got->front() : HistoryStats{};
}

TEST_P(StoreTest, HistoryCountsMessagesDaysAndPairsPerKey) {
  auto store = open();
  ASSERT_TRUE(store);
  auto counts = store->import_history(
      {sent(1, at(0), "alice@example.org", {"bob@army.mil", "carol@army.mil", "dan@navy.mil"}),
       sent(2, at(3600), "alice@example.org", {"bob@army.mil", "bob@army.mil"}),
       sent(3, at(2 * kDay), "erin@example.org", {"bob@army.mil"})},
      8);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->added, 3u);
  EXPECT_EQ(counts->already_known, 0u);
  EXPECT_EQ(store->history_size().value_or(-1), 3);

  HistoryStats army = stats_of(*store, HistoryScope::kDomain, "", "army.mil");
  EXPECT_EQ(army.messages, 3);  // two recipients at army.mil make one message to it
  EXPECT_EQ(army.days, 2);
  EXPECT_EQ(army.first_seen, to_micros(at(0)));
  EXPECT_EQ(army.last_seen, to_micros(at(2 * kDay)));
  HistoryStats bob = stats_of(*store, HistoryScope::kAddress, "", "bob@army.mil");
  EXPECT_EQ(bob.messages, 3);  // given twice in message 2, counted once
  HistoryStats alice_bob =
      stats_of(*store, HistoryScope::kSenderAddress, "alice@example.org", "bob@army.mil");
  EXPECT_EQ(alice_bob.messages, 2);
  EXPECT_EQ(alice_bob.days, 1);
  EXPECT_EQ(alice_bob.local, "bob");
  EXPECT_EQ(stats_of(*store, HistoryScope::kSenderDomain, "erin@example.org", "army.mil").messages,
            1);
  EXPECT_EQ(
      stats_of(*store, HistoryScope::kTogether, "alice@example.org", "bob@army.mil\ncarol@army.mil")
          .messages,
      1);
  EXPECT_EQ(
      stats_of(*store, HistoryScope::kTogether, "alice@example.org", "bob@army.mil\ndan@navy.mil")
          .messages,
      1);
  HistoryStats never = stats_of(*store, HistoryScope::kDomain, "", "army.ml");
  EXPECT_EQ(never.messages, 0);
  EXPECT_EQ(never.key, "army.ml");
}

TEST_P(StoreTest, HistoryCountsAMessageOnceHoweverOftenItIsImported) {
  auto store = open();
  ASSERT_TRUE(store);
  std::vector<HistoryMessage> batch = {sent(7, at(0), "a@example.org", {"x@partner.example"}),
                                       sent(8, at(kDay), "a@example.org", {"x@partner.example"}),
                                       sent(7, at(0), "a@example.org", {"x@partner.example"})};
  auto first = store->import_history(batch, 8);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->added, 2u);  // the copy of message 7 in the same batch is not new
  EXPECT_EQ(first->already_known, 1u);
  auto again = store->import_history(batch, 8);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->added, 0u);
  EXPECT_EQ(again->already_known, 3u);
  // From a second connection, as a second gateway node would.
  auto other = open();
  ASSERT_TRUE(other);
  auto third = other->import_history({batch[1]}, 8);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->added, 0u);
  HistoryStats domain = stats_of(*store, HistoryScope::kDomain, "", "partner.example");
  EXPECT_EQ(domain.messages, 2);
  EXPECT_EQ(domain.days, 2);
}

TEST_P(StoreTest, HistoryDaysStayDistinctAcrossImportsInAnyOrder) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->import_history({sent(1, at(10 * kDay), "a@example.org", {"x@p.example"})}, 8));
  ASSERT_TRUE(
      store->import_history({sent(2, at(10 * kDay + 60), "a@example.org", {"y@p.example"})}, 8));
  // An older archive imported afterwards.
  ASSERT_TRUE(store->import_history({sent(3, at(kDay), "a@example.org", {"x@p.example"})}, 8));
  HistoryStats domain = stats_of(*store, HistoryScope::kDomain, "", "p.example");
  EXPECT_EQ(domain.messages, 3);
  EXPECT_EQ(domain.days, 2);
  EXPECT_EQ(domain.first_seen, to_micros(at(kDay)));
  EXPECT_EQ(domain.last_seen, to_micros(at(10 * kDay + 60)));
}

TEST_P(StoreTest, HistoryListSelectsByLocalPartAndDaysMostMessagesFirst) {
  auto store = open();
  ASSERT_TRUE(store);
  std::vector<HistoryMessage> batch;
  std::uint64_t id = 100;
  for (int day = 0; day < 3; ++day) {
    batch.push_back(sent(++id, at(day * kDay), "a@example.org", {"john.smith@army.mil"}));
    batch.push_back(sent(++id, at(day * kDay), "a@example.org", {"john.smith@army.mil"}));
  }
  batch.push_back(sent(++id, at(0), "a@example.org", {"john.smith@navy.mil"}));
  batch.push_back(sent(++id, at(0), "a@example.org", {"jane@army.mil"}));
  batch.push_back(sent(++id, at(0), "b@example.org", {"john.smith@gmail.com"}));
  ASSERT_TRUE(store->import_history(batch, 8));

  auto same_local =
      store->history_list({HistoryScope::kSenderAddress, "a@example.org", "john.smith", 0, 0});
  ASSERT_TRUE(same_local) << same_local.error().message;
  ASSERT_EQ(same_local->size(), 2u);
  EXPECT_EQ((*same_local)[0].key, "john.smith@army.mil");
  EXPECT_EQ((*same_local)[0].messages, 6);
  EXPECT_EQ((*same_local)[1].key, "john.smith@navy.mil");

  auto learned = store->history_list({HistoryScope::kDomain, "", "", 3, 0});
  ASSERT_TRUE(learned);
  ASSERT_EQ(learned->size(), 1u);
  EXPECT_EQ(learned->front().key, "army.mil");
  EXPECT_EQ(learned->front().days, 3);

  auto top = store->history_list({HistoryScope::kDomain, "", "", 0, 2});
  ASSERT_TRUE(top);
  EXPECT_EQ(top->size(), 2u);
}

TEST_P(StoreTest, HistoryKeepsAwkwardKeysExactly) {
  auto store = open();
  ASSERT_TRUE(store);
  // Quotes, backslashes, commas, braces and NULL travel inside PostgreSQL array literals.
  std::vector<std::string> locals = {"\"quoted\\\"local\"", "a,b{c}", "NULL",
                                     "tab\there",           "zoë",    "back\\slash"};
  std::vector<HistoryMessage> batch;
  std::uint64_t id = 0;
  for (const std::string& local : locals) {
    batch.push_back(sent(++id, at(0), "o'neil@example.org", {local + "@example.net"}));
  }
  batch.push_back(sent(~std::uint64_t{0}, at(0), "", {"x@example.net"}));  // every bit set
  auto counts = store->import_history(batch, 8);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->added, batch.size());
  for (const std::string& local : locals) {
    HistoryStats s = stats_of(*store, HistoryScope::kSenderAddress, "o'neil@example.org",
                              local + "@example.net");
    EXPECT_EQ(s.messages, 1) << local;
    EXPECT_EQ(s.local, local);
  }
  auto again = store->import_history({batch.back()}, 8);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->already_known, 1u);
  EXPECT_FALSE(store->import_history({sent(99, at(0), "bad\xff", {"x@example.net"})}, 8));
}

std::int64_t microseconds_since_epoch(system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

// The summing is checked against a plain model of what each key should hold: a few hundred
// messages with repeats, several recipients at one domain, repeated identities, imported in
// parts of different sizes, so that keys meet again across parts and within one.
TEST_P(StoreTest, HistoryAgreesWithAPlainModelHoweverTheImportIsCut) {
  auto store = open();
  ASSERT_TRUE(store);
  std::vector<HistoryMessage> messages;
  std::uint64_t state = 12345;
  auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  for (std::uint64_t i = 0; i < 400; ++i) {
    std::vector<std::string> to;
    for (std::uint64_t r = 0, n = 1 + next(4); r < n; ++r)
      to.push_back("u" + std::to_string(next(12)) + "@d" + std::to_string(next(5)) + ".example");
    // Every tenth message repeats an earlier identity: it must not count again.
    std::uint64_t identity = i % 10 == 9 ? i - 5 : i;
    messages.push_back(sent(identity, at(static_cast<std::int64_t>(next(20)) * kDay / 3),
                            "s" + std::to_string(next(4)) + "@example.org", to));
  }
  struct Expected {
    std::int64_t messages = 0;
    std::set<std::int64_t> days;
    std::int64_t first = INT64_MAX, last = INT64_MIN;
  };
  std::map<std::tuple<HistoryScope, std::string, std::string>, Expected> model;
  std::set<std::uint64_t> counted;
  for (const HistoryMessage& m : messages) {
    if (!counted.insert(m.identity).second) continue;
    std::int64_t us = microseconds_since_epoch(m.time);
    std::int64_t day = us / (kDay * 1'000'000);
    std::set<std::string> addresses, domains;
    for (const HistoryRecipient& r : m.recipients) {
      addresses.insert(r.address);
      domains.insert(r.domain);
    }
    auto count = [&](HistoryScope scope, const std::string& subject, const std::string& key,
                     bool days) {
      Expected& e = model[{scope, subject, key}];
      ++e.messages;
      if (days) e.days.insert(day);
      e.first = std::min(e.first, us);
      e.last = std::max(e.last, us);
    };
    for (const std::string& a : addresses) {
      count(HistoryScope::kAddress, "", a, true);
      count(HistoryScope::kSenderAddress, m.sender, a, true);
      for (const std::string& b : addresses)
        if (a < b) count(HistoryScope::kTogether, m.sender, a + "\n" + b, false);
    }
    for (const std::string& d : domains) {
      count(HistoryScope::kDomain, "", d, true);
      count(HistoryScope::kSenderDomain, m.sender, d, true);
    }
  }
  std::size_t begin = 0;
  for (std::size_t part : {1, 7, 50, 2, 140, 200}) {
    std::size_t end = std::min(messages.size(), begin + part);
    std::vector<HistoryMessage> slice(messages.begin() + static_cast<std::ptrdiff_t>(begin),
                                      messages.begin() + static_cast<std::ptrdiff_t>(end));
    ASSERT_TRUE(store->import_history(slice, 8));
    begin = end;
  }
  ASSERT_EQ(begin, messages.size());
  EXPECT_EQ(store->history_size().value_or(-1), static_cast<std::int64_t>(counted.size()));
  std::vector<HistoryKey> keys;
  for (const auto& [key, expected] : model)
    keys.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key)});
  auto got = store->history(keys);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), keys.size());
  std::size_t i = 0;
  for (const auto& [key, expected] : model) {
    const HistoryStats& stats = (*got)[i++];
    SCOPED_TRACE(std::string(to_string(std::get<0>(key))) + " " + std::get<1>(key) + " " +
                 std::get<2>(key));
    EXPECT_EQ(stats.key, std::get<2>(key));
    EXPECT_EQ(stats.messages, expected.messages);
    EXPECT_EQ(stats.days, static_cast<std::int64_t>(expected.days.size()));
    EXPECT_EQ(microseconds_since_epoch(stats.first_seen), expected.first);
    EXPECT_EQ(microseconds_since_epoch(stats.last_seen), expected.last);
  }
  // And the lists hold exactly the model's keys of each scope.
  auto listed = store->history_list({HistoryScope::kDomain, "", "", 0, 0});
  ASSERT_TRUE(listed);
  std::size_t domain_keys = 0;
  for (const auto& [key, expected] : model) domain_keys += std::get<0>(key) == HistoryScope::kDomain;
  EXPECT_EQ(listed->size(), domain_keys);
}

TEST_P(StoreTest, RacingHistoryImportsCountEachMessageOnce) {
  std::vector<HistoryMessage> batch;
  for (std::uint64_t id = 1; id <= 200; ++id) {
    batch.push_back(sent(id, at(static_cast<std::int64_t>(id % 5) * kDay), "a@example.org",
                         {"x@partner.example", "y@partner.example"}));
  }
  { ASSERT_TRUE(open()); }
  std::atomic<std::size_t> added{0};
  std::vector<std::thread> importers;
  for (int t = 0; t < 4; ++t) {
    importers.emplace_back([&] {
      auto store = open_store(options());
      ASSERT_TRUE(store);
      auto counts = (*store)->import_history(batch, 8);
      ASSERT_TRUE(counts) << counts.error().message;
      added += counts->added;
    });
  }
  for (auto& t : importers) t.join();
  EXPECT_EQ(added.load(), batch.size());
  auto store = open();
  ASSERT_TRUE(store);
  HistoryStats domain = stats_of(*store, HistoryScope::kDomain, "", "partner.example");
  EXPECT_EQ(domain.messages, 200);
  EXPECT_EQ(domain.days, 5);
  EXPECT_EQ(stats_of(*store, HistoryScope::kTogether, "a@example.org",
                     "x@partner.example\ny@partner.example")
                .messages,
            200);
}

std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values("sqlite"), backend_name);
INSTANTIATE_TEST_SUITE_P(Postgresql, StoreTest, ::testing::Values("postgresql"), backend_name);

TEST(SqliteStoreFileTest, UsesWalModeAndAFileOthersCannotRead) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "sendguard-store-test.XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  StoreOptions o;
  o.sqlite_path = pattern + "/sendguard.db";
  {
    auto store = open_store(o);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->append_audit(sample_record()));

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(o.sqlite_path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);

    struct stat info {};
    ASSERT_EQ(stat(o.sqlite_path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0007, 0u);
  }
  std::filesystem::remove_all(pattern);
}

// A temporary directory for one SQLite database, removed at the end of the test.
class SqliteDatabaseDir {
 public:
  SqliteDatabaseDir() {
    dir_ = (std::filesystem::temp_directory_path() / "sendguard-store-test.XXXXXX").string();
    if (mkdtemp(dir_.data()) == nullptr) dir_.clear();
  }
  ~SqliteDatabaseDir() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  StoreOptions options() const {
    StoreOptions o;
    o.sqlite_path = dir_ + "/sendguard.db";
    return o;
  }

 private:
  std::string dir_;
};

TEST(SqliteHistoryMigrationTest, KeepsTheDaysOfAVersion2History) {
  SqliteDatabaseDir dir;
  StoreOptions o = dir.options();
  // The history tables as schema version 2 left them, with army.mil mailed at at(3 * kDay) and
  // at(5 * kDay) (UTC days 20720 and 20722) and a pair of recipients (no days). Migration 3
  // reads only these.
  run_sqlite(o.sqlite_path, R"sql(
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL,
  applied_at_us INTEGER NOT NULL DEFAULT 0) STRICT;
INSERT INTO schema_migrations (version, description) VALUES (1, 'audit'), (2, 'history');
CREATE TABLE audit (id INTEGER PRIMARY KEY);
CREATE TABLE history (scope TEXT NOT NULL, subject TEXT NOT NULL, key TEXT NOT NULL,
  local TEXT NOT NULL, messages INTEGER NOT NULL, days INTEGER NOT NULL,
  first_us INTEGER NOT NULL, last_us INTEGER NOT NULL, PRIMARY KEY (scope, subject, key))
  STRICT, WITHOUT ROWID;
CREATE TABLE history_days (scope TEXT NOT NULL, subject TEXT NOT NULL, key TEXT NOT NULL,
  day INTEGER NOT NULL, PRIMARY KEY (scope, subject, key, day)) STRICT, WITHOUT ROWID;
CREATE TABLE history_seen (identity INTEGER PRIMARY KEY) STRICT;
INSERT INTO history VALUES
  ('domain', '', 'army.mil', '', 4, 2, 1790259200000000, 1790432000000000),
  ('together', 'a@example.org', 'x@army.mil' || char(10) || 'y@army.mil', '', 1, 0,
   1790259200000000, 1790259200000000);
INSERT INTO history_days VALUES ('domain', '', 'army.mil', 20722), ('domain', '', 'army.mil', 20720);
INSERT INTO history_seen VALUES (1), (2), (3), (4);
)sql");
  auto store = open_store(o);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->schema_version().value_or(-1), kSqliteSchemaVersion);
  // The day of at(5 * kDay) was known already, that of at(4 * kDay) is new: 3 days, not 4.
  ASSERT_TRUE((*store)->import_history(
      {sent(10, at(5 * kDay + 60), "a@example.org", {"x@army.mil"}),
       sent(11, at(4 * kDay), "a@example.org", {"x@army.mil", "y@army.mil"})},
      8));
  HistoryStats army = stats_of(**store, HistoryScope::kDomain, "", "army.mil");
  EXPECT_EQ(army.messages, 6);
  EXPECT_EQ(army.days, 3);
  EXPECT_EQ(army.first_seen, to_micros(at(3 * kDay)));
  HistoryStats pair =
      stats_of(**store, HistoryScope::kTogether, "a@example.org", "x@army.mil\ny@army.mil");
  EXPECT_EQ(pair.messages, 2);
  EXPECT_EQ(pair.days, 0);
}

TEST(SqliteHistoryMigrationTest, ADamagedDayListStopsTheImportWithAClearError) {
  SqliteDatabaseDir dir;
  StoreOptions o = dir.options();
  auto store = open_store(o);
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->import_history({sent(1, at(0), "a@example.org", {"x@p.example"})}, 8));
  // A truncated varint where the domain's days should be.
  run_sqlite(o.sqlite_path, "UPDATE history_counts SET day_list = x'80' WHERE scope = 0");
  auto damaged =
      (*store)->import_history({sent(2, at(kDay), "a@example.org", {"x@p.example"})}, 8);
  ASSERT_FALSE(damaged);
  EXPECT_NE(damaged.error().message.find("malformed day list"), std::string::npos)
      << damaged.error().message;
  // Nothing of the failed import was kept: the message can be imported again once repaired.
  EXPECT_EQ((*store)->history_size().value_or(-1), 1);
  EXPECT_EQ(stats_of(**store, HistoryScope::kAddress, "", "x@p.example").messages, 1);
}

TEST(PostgresqlStoreConnectionTest, ReconnectsAfterTheServerDropsTheConnection) {
  const char* dsn = std::getenv(kDsnVariable);
  ASSERT_TRUE(dsn != nullptr && *dsn != '\0')
      << kDsnVariable << " is not set: run this binary through tests/integration/with-postgresql";
  ASSERT_NO_FATAL_FAILURE(run_postgresql(dsn, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
  StoreOptions o;
  o.backend = "postgresql";
  o.postgresql_dsn = dsn;
  auto store = open_store(o);
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->append_audit(sample_record()));

  // What a server restart or an administrator's pg_terminate_backend does to idle connections.
  PGconn* admin = PQconnectdb(dsn);
  ASSERT_EQ(PQstatus(admin), CONNECTION_OK);
  auto count_others = [&] {
    PGresult* r = PQexec(admin,
                         "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                         "current_database() AND pid <> pg_backend_pid()");
    int n = PQresultStatus(r) == PGRES_TUPLES_OK ? std::atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return n;
  };
  ASSERT_EQ(count_others(), 1);
  PQclear(PQexec(admin,
                 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                 "current_database() AND pid <> pg_backend_pid()"));
  for (int i = 0; i < 100 && count_others() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(count_others(), 0);
  PQfinish(admin);

  // A write first, after the connection sat idle as a quiet gateway's does: it must not be the
  // statement that discovers the broken connection, since a write cannot safely be sent twice.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto appended = (*store)->append_audit(sample_record());
  ASSERT_TRUE(appended) << appended.error().message;
  auto records = (*store)->audit({});
  ASSERT_TRUE(records) << records.error().message;
  EXPECT_EQ(records->size(), 2u);
}

}  // namespace
}  // namespace sendguard
