// Investigation and learning over the synthetic organisation of testing/sent_mail_corpus.h:
// rotated and gzipped logs and an mbox, with known slips among ordinary mail.
#include "investigate/investigate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "history/history_keys.h"
#include "history/learned_domains.h"
#include "history/learner.h"
#include "history/signals.h"
#include "testing/sent_mail_corpus.h"

namespace sendguard {
namespace {

namespace fs = std::filesystem;
using testing::kLogSlips;
using testing::kMboxSlips;

class InvestigateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sendguard-investigate-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    corpus_ = std::make_unique<testing::SentMailCorpus>(dir_ / "sources");
    auto config = default_config();
    ASSERT_TRUE(config) << config.error().message;
    config_ = *config;
    config_.policy.internal_domains = {"corp.example"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<fs::path> all_sources() const {
    std::vector<fs::path> sources = corpus_->logs();
    sources.push_back(corpus_->mbox());
    return sources;
  }

  std::unique_ptr<Store> open_store() {
    StoreOptions options;
    options.sqlite_path = (dir_ / "sendguard.db").string();
    auto store = sendguard::open_store(options);
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  fs::path dir_;
  std::unique_ptr<testing::SentMailCorpus> corpus_;
  Config config_;
};

TEST_F(InvestigateTest, ReportsExactlyTheSlipsInLogsAndArchives) {
  InvestigateOptions options;
  options.sources = all_sources();
  InvestigateStats stats;
  auto found = investigate(config_, {}, nullptr, options, &stats);
  ASSERT_TRUE(found) << found.error().message;

  std::set<std::tuple<std::string, std::string, std::string>> got, want;
  for (const MisdirectedMessage& m : found->misdirected) {
    got.insert({m.recipient, m.intended, m.queue_id.empty() ? m.message_id : m.queue_id});
  }
  for (const auto* slips : {&kLogSlips, &kMboxSlips}) {
    for (const testing::ExpectedSlip& s : *slips) want.insert({s.recipient, s.intended, s.id});
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(found->misdirected.size(), want.size());  // each once
  EXPECT_TRUE(std::is_sorted(found->misdirected.begin(), found->misdirected.end(),
                             [](const auto& a, const auto& b) { return a.time < b.time; }));
  // Nothing was configured: army.mil, partner.co.uk and supplier.com were learned.
  EXPECT_EQ(stats.learned_from_sources, 3u) << stats.learned_from_sources;
  EXPECT_EQ(found->messages_read, 3u * 20 + 7 + 20 + 2);

  for (const MisdirectedMessage& m : found->misdirected) {
    if (m.message_id == "slip-1@corp.example") {
      EXPECT_TRUE(m.body_inspected);
      bool marked = std::any_of(m.findings.begin(), m.findings.end(), [](const Finding& f) {
        return f.detector == "marking.uk" && f.level == "OFFICIAL-SENSITIVE";
      });
      EXPECT_TRUE(marked) << "the OFFICIAL-SENSITIVE slip carries no marking finding";
      EXPECT_EQ(m.sender, "alice@corp.example");
    } else if (m.message_id == "slip-2@corp.example") {
      EXPECT_TRUE(m.body_inspected);
      EXPECT_TRUE(m.findings.empty());
    } else {
      EXPECT_FALSE(m.body_inspected) << m.recipient;  // a log has no bodies
      EXPECT_FALSE(m.explanation.empty());
    }
    if (m.queue_id == "EA000001") {
      EXPECT_EQ(m.sender, "alice@corp.example");
    }
  }
}

TEST_F(InvestigateTest, TimeWindowSelectsTheSlipsInside) {
  InvestigateOptions options;
  options.sources = corpus_->logs();
  options.since = std::chrono::sys_days(std::chrono::year(2026) / 11 / 9);
  options.until = std::chrono::sys_days(std::chrono::year(2026) / 11 / 17);
  auto found = investigate(config_, {}, nullptr, options);
  ASSERT_TRUE(found) << found.error().message;
  std::set<std::string> ids;
  for (const MisdirectedMessage& m : found->misdirected) ids.insert(m.queue_id);
  // Days 9 to 16; the reused queue id's slip on day 17 is outside.
  EXPECT_EQ(ids, (std::set<std::string>{"9A000001", "EA000001", "10A00001"}));
}

TEST_F(InvestigateTest, ConfiguredDomainsAloneAlsoFindTheSlips) {
  config_.recipients.known_domains = {"army.mil"};
  InvestigateOptions options;
  options.sources = corpus_->logs();
  options.learn_from_sources = false;
  auto found = investigate(config_, {}, nullptr, options);
  ASSERT_TRUE(found) << found.error().message;
  std::set<std::string> recipients;
  for (const MisdirectedMessage& m : found->misdirected) recipients.insert(m.recipient);
  EXPECT_EQ(recipients,
            (std::set<std::string>{"ops@army.ml", "x@army.ml", "bob@arny.mil", "bob@arrny.mil"}));
}

TEST_F(InvestigateTest, AMissingSourceIsAnErrorNamingIt) {
  InvestigateOptions options;
  options.sources = {dir_ / "no-such.log"};
  auto found = investigate(config_, {}, nullptr, options);
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message.find("no-such.log"), std::string::npos) << found.error().message;
}

TEST_F(InvestigateTest, LearningGivesTheKnownDomainsRefusesSlipsAndFeedsTheSignals) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto suffixes = std::make_shared<const PublicSuffixList>(
      std::move(PublicSuffixList::load(config_.public_suffix_list).value()));
  HistoryKeys keys(suffixes);
  for (int round = 0; round < 2; ++round) {  // the second import counts nothing
    HistoryLearner learner(*store, keys, config_.history);
    auto read = read_mail_sources(all_sources(), MailSourceOptions{},
                                  [&](SentMail&& m) { ASSERT_TRUE(learner.add(m)); });
    ASSERT_TRUE(read) << read.error().message;
    auto counts = learner.finish();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->added, round == 0 ? counts->messages : 0u);
  }
  LookalikeOptions base;
  base.known_domains = {"corp.example"};
  auto learned = learn_known_domains(*store, config_.history, base, suffixes);
  ASSERT_TRUE(learned) << learned.error().message;
  std::set<std::string> known, refused;
  for (const LearnedDomain& d : learned->known) known.insert(d.domain);
  for (const LearnedDomain& d : learned->refused) refused.insert(d.domain + "~" + d.resembles);
  EXPECT_EQ(known, (std::set<std::string>{"army.mil", "partner.co.uk", "supplier.com"}));
  // army.ml was written to on three days (5, 7 and 15): often enough, but a slip of army.mil.
  EXPECT_EQ(refused, (std::set<std::string>{"army.ml~army.mil"}));

  HistoryConfig signal_config = config_.history;
  signal_config.signals_after_messages = 0;
  HistorySignals signals(*store, keys, signal_config, {"corp.example"});
  RecipientVerdict stranger{"someone@newcomer.com", "newcomer.com", Verdict::kNew, "", "", 0, ""};
  RecipientVerdict autocomplete{"bob@gmail.com", "gmail.com", Verdict::kNew, "", "", 0, ""};
  auto found = signals.for_message("alice@corp.example", {stranger, autocomplete});
  ASSERT_TRUE(found) << found.error().message;
  std::set<std::string> what;
  for (const Finding& f : *found) what.insert(f.detector + " " + f.where);
  EXPECT_TRUE(what.contains("recipient.first-time-domain recipient:someone@newcomer.com"));
  EXPECT_TRUE(what.contains("recipient.unusual-group recipient:bob@gmail.com"));
}

}  // namespace
}  // namespace sendguard
