// Learning, learned domains and signals, on a real SQLite store in a temporary directory (the
// store's own tests cover both backends).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "history/history_keys.h"
#include "history/learned_domains.h"
#include "history/learner.h"
#include "history/signals.h"

namespace sendguard {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

constexpr auto kDay = std::chrono::hours(24);
const system_clock::time_point kStart =
    system_clock::time_point(std::chrono::seconds(1'790'000'000));

std::shared_ptr<const PublicSuffixList> suffixes() {
  static auto list = std::make_shared<const PublicSuffixList>(
      std::move(PublicSuffixList::load(PublicSuffixList::kDefaultPath).value()));
  return list;
}

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sendguard-history-test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    StoreOptions options;
    options.sqlite_path = dir_ + "/sendguard.db";
    auto store = open_store(options);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    config_.known_after_days = 3;
    config_.signals_after_messages = 0;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `count` messages from `sender` to `recipients`, one a day from `first_day`.
  void learn(std::string sender, std::vector<std::string> recipients, int count,
             int first_day = 0) {
    HistoryLearner learner(*store_, keys_, config_, 7);
    for (int i = 0; i < count; ++i) {
      SentMail m;
      m.time = kStart + (first_day + i) * kDay;
      m.sender = sender;
      m.recipients = recipients;
      m.identity = "test:" + sender + ":" + std::to_string(next_id_++);
      ASSERT_TRUE(learner.add(m));
    }
    auto counts = learner.finish();
    ASSERT_TRUE(counts) << counts.error().message;
    EXPECT_EQ(counts->added, static_cast<std::size_t>(count));
  }

  RecipientVerdict verdict(std::string address, Verdict v = Verdict::kNew) {
    RecipientVerdict r;
    r.address = address;
    r.domain = address.substr(address.rfind('@') + 1);
    r.verdict = v;
    return r;
  }

  std::vector<Finding> signals(std::string sender, std::vector<RecipientVerdict> recipients) {
    HistorySignals s(*store_, keys_, config_, {"example.org"});
    auto found = s.for_message(sender, recipients);
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : std::vector<Finding>{};
  }

  static const Finding* find(const std::vector<Finding>& findings, std::string_view detector,
                             std::string_view recipient) {
    for (const Finding& f : findings) {
      if (f.detector == detector && f.where == "recipient:" + std::string(recipient)) return &f;
    }
    return nullptr;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  HistoryKeys keys_{suffixes()};
  HistoryConfig config_;
  int next_id_ = 0;
};

TEST_F(HistoryTest, KeysNormaliseAddressesAndDomains) {
  auto r = keys_.recipient("Bob Jones <Bob.Jones@HQ.Army.MIL.>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->address, "bob.jones@hq.army.mil");
  EXPECT_EQ(r->domain, "army.mil");  // the organisation's registrable domain
  EXPECT_EQ(r->local, "bob.jones");
  EXPECT_EQ(keys_.recipient("<carol@bücher.example>")->domain, "xn--bcher-kva.example");
  EXPECT_FALSE(keys_.recipient("not an address"));
  EXPECT_EQ(keys_.sender("<>"), "");
  EXPECT_EQ(keys_.organisation_domain("a.b.co.uk"), "b.co.uk");
}

TEST_F(HistoryTest, KeysFromTheDomainMemoAreTheKeysWithout) {
  // Each domain twice, in different spellings, so that the second meets the memo.
  const std::vector<std::string> addresses = {
      "Bob <Bob@HQ.Army.MIL>", "carol@hq.army.mil.", "<dan@hq.army.mil>", "x@bücher.example",
      "y@xn--bcher-kva.example", "z@[192.0.2.1]", "w@[192.0.2.1]", "not an address",
      "a@bad..domain", "b@bad..domain", "\"quoted local\"@Example.ORG", "e@example.org",
      "f@sub.example.co.uk", "g@sub.example.co.uk", "<>"};
  DomainMemo memo;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& address : addresses) {
      SCOPED_TRACE(address);
      auto plain = keys_.recipient(address);
      auto memoised = keys_.recipient(address, memo);
      ASSERT_EQ(plain.has_value(), memoised.has_value());
      if (!plain) continue;
      EXPECT_EQ(plain->address, memoised->address);
      EXPECT_EQ(plain->domain, memoised->domain);
      EXPECT_EQ(plain->local, memoised->local);
    }
  }
}

TEST_F(HistoryTest, HashedKeysHideAddressesButStillMatch) {
  std::string key_file = dir_ + "/key";
  std::ofstream(key_file) << "0123456789abcdef-a-secret-key\n";
  auto hashed = HistoryKeys::open(suffixes(), key_file);
  ASSERT_TRUE(hashed) << hashed.error().message;
  auto a = hashed->recipient("Bob@Army.mil");
  auto b = hashed->recipient("bob@army.mil");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->address, b->address);
  EXPECT_EQ(a->address.size(), 32u);
  EXPECT_EQ(a->address.find("bob"), std::string::npos);
  EXPECT_EQ(a->domain, "army.mil");  // domains stay plain
  EXPECT_NE(a->local, "bob");
  EXPECT_NE(a->address, hashed->recipient("bob@navy.mil")->address);

  std::ofstream(dir_ + "/short") << "short\n";
  auto refused = HistoryKeys::open(suffixes(), dir_ + "/short");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("fewer than 16 bytes"), std::string::npos);
  EXPECT_FALSE(HistoryKeys::open(suffixes(), dir_ + "/missing"));
}

TEST_F(HistoryTest, IdentityDigestIsStableAndSpreads) {
  EXPECT_EQ(identity_digest("postfix:4F2A81C0D3:2026-11-28"),
            identity_digest("postfix:4F2A81C0D3:2026-11-28"));
  EXPECT_NE(identity_digest("postfix:4F2A81C0D3:2026-11-28"),
            identity_digest("postfix:4F2A81C0D4:2026-11-28"));
  // A fixed value: a digest that changed between releases would count every message again.
  EXPECT_EQ(identity_digest(""), 0xefd01f60ba992926ull);
}

TEST_F(HistoryTest, LearnerCountsOnceAcrossImportsAndSkipsUnusableRecipients) {
  learn("alice@example.org", {"bob@army.mil"}, 10);
  HistoryLearner again(*store_, keys_, config_, 4);
  next_id_ = 0;  // the same identities as the first import
  for (int i = 0; i < 10; ++i) {
    SentMail m;
    m.time = kStart + i * kDay;
    m.sender = "alice@example.org";
    m.recipients = {"bob@army.mil"};
    m.identity = "test:alice@example.org:" + std::to_string(next_id_++);
    ASSERT_TRUE(again.add(m));
  }
  SentMail junk;
  junk.identity = "junk";
  junk.recipients = {"not an address", ""};
  ASSERT_TRUE(again.add(junk));
  auto counts = again.finish();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->messages, 11u);
  EXPECT_EQ(counts->added, 0u);
  EXPECT_EQ(counts->already_known, 10u);
  EXPECT_EQ(counts->skipped, 1u);
  auto stats = store_->history({{HistoryScope::kDomain, "", "army.mil"}});
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->front().messages, 10);
  EXPECT_EQ(stats->front().days, 10);
}

TEST_F(HistoryTest, LearnsDomainsWrittenToOnEnoughDaysButNotPastSlips) {
  learn("alice@example.org", {"bob@army.mil"}, 60);
  learn("alice@example.org", {"bob@army.ml"}, 3);  // an old slip, three times
  learn("alice@example.org", {"carol@partner.example"}, 4);
  learn("alice@example.org", {"dan@rare.example"}, 2);  // too few days
  learn("alice@example.org", {"erin@configured.example"}, 1);
  learn("alice@example.org", {"x@configurd.example"}, 5);  // a slip of a configured domain
  LookalikeOptions options;
  options.known_domains = {"configured.example"};
  auto learned = learn_known_domains(*store_, config_, options, suffixes());
  ASSERT_TRUE(learned) << learned.error().message;
  std::vector<std::string> known, refused;
  for (const auto& d : learned->known) known.push_back(d.domain);
  for (const auto& d : learned->refused) refused.push_back(d.domain + "~" + d.resembles);
  EXPECT_EQ(known, (std::vector<std::string>{"army.mil", "partner.example"}));
  EXPECT_EQ(refused,
            (std::vector<std::string>{"configurd.example~configured.example", "army.ml~army.mil"}));
  EXPECT_EQ(learned->known.front().messages, 60);
  EXPECT_EQ(learned->known.front().days, 60);
}

TEST_F(HistoryTest, SimilarDomainsOfLikeFrequencyAreBothLearned) {
  learn("alice@example.org", {"a@acme.example"}, 20);
  learn("alice@example.org", {"b@acne.example"}, 10);  // a real partner, not ten times rarer
  auto learned = learn_known_domains(*store_, config_, LookalikeOptions{}, suffixes());
  ASSERT_TRUE(learned);
  EXPECT_EQ(learned->known.size(), 2u);
  EXPECT_TRUE(learned->refused.empty());
}

TEST_F(HistoryTest, FirstTimeDomainIsSignalledOnlyForNewExternalDomains) {
  learn("alice@example.org", {"bob@army.mil"}, 5);
  auto found = signals("alice@example.org", {verdict("carol@newpartner.example"),
                                             verdict("bob@army.mil", Verdict::kKnown),
                                             verdict("dave@example.org", Verdict::kKnown)});
  const Finding* first = find(found, "recipient.first-time-domain", "carol@newpartner.example");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->confidence, Confidence::kMedium);
  EXPECT_EQ(first->excerpt, "first message from the organisation to newpartner.example");
  EXPECT_EQ(find(found, "recipient.first-time-domain", "bob@army.mil"), nullptr);
  EXPECT_EQ(find(found, "recipient.first-time-domain", "dave@example.org"), nullptr);
  EXPECT_EQ(find(found, "recipient.first-time-for-sender", "bob@army.mil"), nullptr);
  const Finding* fresh = find(found, "recipient.first-time-for-sender", "dave@example.org");
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->confidence, Confidence::kMedium);
}

TEST_F(HistoryTest, SignalsWaitForEnoughHistory) {
  config_.signals_after_messages = 100;
  learn("alice@example.org", {"bob@army.mil"}, 5);
  EXPECT_TRUE(signals("alice@example.org", {verdict("carol@newpartner.example")}).empty());
}

TEST_F(HistoryTest, SameNameAtAnotherDomainIsAnUnusualRecipient) {
  learn("alice@example.org", {"john.smith@army.mil"}, 12);
  learn("alice@example.org", {"info@army.mil"}, 12);
  auto found = signals("alice@example.org",
                       {verdict("john.smith@gmail.com"), verdict("info@other.example")});
  const Finding* unusual = find(found, "recipient.unusual-group", "john.smith@gmail.com");
  ASSERT_NE(unusual, nullptr);
  EXPECT_EQ(unusual->confidence, Confidence::kHigh);
  EXPECT_EQ(unusual->excerpt,
            "you have sent 12 messages to john.smith@army.mil and none to john.smith@gmail.com");
  // A shared mailbox name at a new domain is no sign of a slip.
  EXPECT_EQ(find(found, "recipient.unusual-group", "info@other.example"), nullptr);
  // Another sender has no such habit.
  EXPECT_EQ(find(signals("zoe@example.org", {verdict("john.smith@gmail.com")}),
                 "recipient.unusual-group", "john.smith@gmail.com"),
            nullptr);
}

TEST_F(HistoryTest, AStrangerAmongUsualCoRecipientsIsUnusual) {
  learn("alice@example.org", {"a@army.mil", "b@army.mil", "c@navy.mil"}, 4);
  auto found = signals("alice@example.org", {verdict("a@army.mil", Verdict::kKnown),
                                             verdict("b@army.mil", Verdict::kKnown),
                                             verdict("stranger@elsewhere.example")});
  const Finding* unusual = find(found, "recipient.unusual-group", "stranger@elsewhere.example");
  ASSERT_NE(unusual, nullptr);
  EXPECT_EQ(unusual->confidence, Confidence::kMedium);
  EXPECT_EQ(find(found, "recipient.unusual-group", "a@army.mil"), nullptr);
}

TEST_F(HistoryTest, LookalikeEvidenceQuotesTheHistory) {
  learn("alice@example.org", {"bob@army.mil"}, 143);
  HistorySignals s(*store_, keys_, config_, {});
  RecipientVerdict r = verdict("bob@army.ml", Verdict::kLookalike);
  r.intended = "army.mil";
  auto evidence = s.lookalike_evidence(r);
  ASSERT_TRUE(evidence);
  EXPECT_EQ(*evidence, "You have sent 143 messages to army.mil and none to army.ml.");
  r.intended = "navy.mil";
  EXPECT_EQ(s.lookalike_evidence(r).value_or("?"), "");
}

}  // namespace
}  // namespace sendguard
