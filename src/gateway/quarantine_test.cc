#include "gateway/quarantine.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sendguard {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

// Stand-ins for Postfix's postqueue and postsuper: the "queue" is a file of "QUEUE_ID QUEUE"
// lines in the configuration directory, and every postsuper run is logged beside it.
constexpr const char* kFakePostqueue = R"(#!/bin/sh
dir=$2
case $3 in
  -j) [ -f "$dir/queue" ] || exit 0
      while read -r id queue; do
        printf '{"queue_name": "%s", "queue_id": "%s"}\n' "$queue" "$id"
      done < "$dir/queue" ;;
  -i) ;;
esac
)";
constexpr const char* kFakePostsuper = R"(#!/bin/sh
dir=$2
echo "$3 $4" >> "$dir/postsuper-calls"
case $3 in
  -H) sed -i "s/^$4 hold\$/$4 deferred/" "$dir/queue" ;;
  -d) sed -i "/^$4 hold\$/d" "$dir/queue" ;;
esac
)";

class QuarantineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sendguard-quarantine-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "bin");
    fs::create_directories(dir_ / "postfix");
    write(dir_ / "bin" / "postqueue", kFakePostqueue);
    write(dir_ / "bin" / "postsuper", kFakePostsuper);
    chmod((dir_ / "bin" / "postqueue").c_str(), 0755);
    chmod((dir_ / "bin" / "postsuper").c_str(), 0755);
    config_.postsuper = (dir_ / "bin" / "postsuper").string();
    config_.stale_release_s = 600;
    StoreOptions options;
    options.sqlite_path = (dir_ / "sendguard.db").string();
    auto store = open_store(options);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // A message held by the MTA (in the fake hold queue) with its quarantine entry.
  std::string hold(const std::string& queue_id) {
    std::ofstream(dir_ / "postfix" / "queue", std::ios::app) << queue_id << " hold\n";
    QuarantineEntry entry;
    entry.held_at = system_clock::now();
    entry.queue_id = queue_id;
    entry.sender = "alice@example.org";
    entry.recipients = {"dave@newcorp.example"};
    entry.rule = "marked-to-unknown-domain";
    entry.location = "postfix-hold:" + (dir_ / "postfix").string() + ":" + queue_id;
    auto id = store_->hold(entry);
    EXPECT_TRUE(id) << id.error().message;
    return id.value_or("");
  }

  // What a release or discard that crashed leaves behind: the claim, and the intent it audited
  // (none when `intent` is empty).
  void crash_after_claim(const std::string& id, const std::string& intent) {
    ASSERT_TRUE(store_->transition(id, QuarantineState::kHeld, QuarantineState::kReleasing, "bob")
                    .value_or(false));
    if (intent.empty()) return;
    auto entry = store_->quarantine_entry(id).value().value();
    AuditRecord record;
    record.time = system_clock::now();
    record.stage = "quarantine";
    record.queue_id = entry.queue_id;
    record.action = intent + "-started";
    record.details_json = nlohmann::json{{"quarantine_id", id}}.dump();
    ASSERT_TRUE(store_->append_audit(record));
  }

  QuarantineState state(const std::string& id) {
    return store_->quarantine_entry(id).value().value().state;
  }
  std::string queue() { return read(dir_ / "postfix" / "queue"); }
  std::string postsuper_calls() { return read(dir_ / "postfix" / "postsuper-calls"); }
  std::vector<std::string> audit_actions() {
    std::vector<std::string> actions;
    std::vector<AuditRecord> records = store_->audit({}).value();  // newest first
    for (const AuditRecord& r : records) actions.insert(actions.begin(), r.action);
    return actions;
  }

  fs::path dir_;
  GatewayConfig config_;
  std::unique_ptr<Store> store_;
};

TEST_F(QuarantineTest, ReleaseAuditsItsIntentThenTheRelease) {
  std::string id = hold("AAA111");
  auto done = release_held(*store_, config_, id, "alice");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(*done, "released for delivery");
  EXPECT_EQ(state(id), QuarantineState::kReleased);
  EXPECT_EQ(queue(), "AAA111 deferred\n");
  EXPECT_EQ(audit_actions(), (std::vector<std::string>{"release-started", "release"}));
}

TEST_F(QuarantineTest, AClaimUnderWayIsLeftAloneUntilItIsStale) {
  std::string id = hold("AAA111");
  crash_after_claim(id, "release");
  auto early = release_held(*store_, config_, id, "alice");
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find("is being released or discarded by bob"), std::string::npos)
      << early.error().message;
  EXPECT_NE(early.error().message.find("gateway.stale_release_s"), std::string::npos);
  EXPECT_EQ(state(id), QuarantineState::kReleasing);
  EXPECT_EQ(postsuper_calls(), "");

  auto entry = store_->quarantine_entry(id).value().value();
  EXPECT_FALSE(is_stale_claim(entry, config_, entry.changed_at + std::chrono::seconds(599)));
  EXPECT_TRUE(is_stale_claim(entry, config_, entry.changed_at + std::chrono::seconds(600)));
}

TEST_F(QuarantineTest, AStalledClaimOnAMessageStillHeldIsUndoneAndTheReleaseDone) {
  std::string id = hold("AAA111");
  crash_after_claim(id, "discard");
  auto later = system_clock::now() + std::chrono::hours(1);
  auto done = release_held(*store_, config_, id, "alice", later);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_NE(done->find("cut short before it reached the MTA"), std::string::npos) << *done;
  EXPECT_NE(done->find("released for delivery"), std::string::npos) << *done;
  EXPECT_EQ(state(id), QuarantineState::kReleased);
  EXPECT_EQ(postsuper_calls(), "-H AAA111\n");
  EXPECT_EQ(queue(), "AAA111 deferred\n");
}

TEST_F(QuarantineTest, AStalledClaimWhoseMessageLeftTheHoldQueueIsFinishedAsItWasMeant) {
  std::string released = hold("AAA111");
  std::string discarded = hold("BBB222");
  crash_after_claim(released, "release");
  crash_after_claim(discarded, "discard");
  // The MTA had done both before the claimants died.
  write(dir_ / "postfix" / "queue", "AAA111 deferred\n");
  auto later = system_clock::now() + std::chrono::hours(1);

  auto first = release_held(*store_, config_, released, "alice", later);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_NE(first->find("had already left the hold queue"), std::string::npos) << *first;
  EXPECT_NE(first->find("marked released"), std::string::npos) << *first;
  EXPECT_EQ(state(released), QuarantineState::kReleased);

  // Asked to release what was discarded: the entry says what happened, and so does the error.
  auto second = release_held(*store_, config_, discarded, "alice", later);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("cannot be released"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("marked discarded"), std::string::npos)
      << second.error().message;
  EXPECT_EQ(state(discarded), QuarantineState::kDiscarded);
  EXPECT_EQ(postsuper_calls(), "");  // nothing was asked of the MTA twice

  auto records = store_->audit({}).value();
  int recovered = 0;
  for (const AuditRecord& r : records) {
    auto details = nlohmann::json::parse(r.details_json);
    if (details.contains("recovered_claim_by")) {
      ++recovered;
      EXPECT_EQ(details["recovered_claim_by"], "bob");
      EXPECT_EQ(details["found"], "gone from the hold queue");
      EXPECT_EQ(r.auth_user, "alice");
    }
  }
  EXPECT_EQ(recovered, 2);
}

TEST_F(QuarantineTest, WithoutTheIntentOnRecordAMessageGoneFromHoldCountsAsReleased) {
  std::string id = hold("AAA111");
  crash_after_claim(id, "");
  write(dir_ / "postfix" / "queue", "");
  auto done =
      discard_held(*store_, config_, id, "alice", system_clock::now() + std::chrono::hours(1));
  ASSERT_FALSE(done);  // asked to discard, but it may have gone out: say so
  EXPECT_NE(done.error().message.find("what it meant is not on record"), std::string::npos)
      << done.error().message;
  EXPECT_EQ(state(id), QuarantineState::kReleased);
}

TEST_F(QuarantineTest, AFailingMtaLeavesAStalledClaimAsItWas) {
  std::string id = hold("AAA111");
  crash_after_claim(id, "release");
  auto before = store_->quarantine_entry(id).value().value();
  write(dir_ / "bin" / "postqueue", "#!/bin/sh\necho 'postqueue: fatal: no queue' >&2\nexit 1\n");
  auto done =
      release_held(*store_, config_, id, "alice", system_clock::now() + std::chrono::hours(1));
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().message.find("postqueue -j failed"), std::string::npos)
      << done.error().message;
  auto after = store_->quarantine_entry(id).value().value();
  EXPECT_EQ(after.state, QuarantineState::kReleasing);
  EXPECT_EQ(after.changed_at, before.changed_at);  // still stale: the next try may recover it
}

}  // namespace
}  // namespace sendguard
