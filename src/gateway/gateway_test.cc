#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

namespace sendguard {
namespace {

namespace fs = std::filesystem;

// A store whose every call fails, as a database that went away would: the gateway must then
// apply gateway.on_failure rather than pass or lose the message. Unless `down_from_the_start`,
// it still answers the gateway's first question (the learned domains, read when it opens), as
// a database that went away after the gateway started would have.
class UnavailableStore : public Store {
 public:
  explicit UnavailableStore(bool down_from_the_start = false)
      : answered_at_start_(down_from_the_start) {}
  Result<std::int64_t> append_audit(const AuditRecord&) override { return down(); }
  Result<std::vector<AuditRecord>> audit(const AuditQuery&) override { return down(); }
  Result<std::string> hold(const QuarantineEntry&) override { return down(); }
  Result<std::vector<QuarantineEntry>> quarantine(std::optional<QuarantineState>) override {
    return down();
  }
  Result<std::optional<QuarantineEntry>> quarantine_entry(const std::string&) override {
    return down();
  }
  Result<bool> transition(const std::string&, QuarantineState, QuarantineState,
                          const std::string&) override {
    return down();
  }
  Result<bool> take_over_claim(const std::string&, std::chrono::system_clock::time_point,
                               const std::string&) override {
    return down();
  }
  Result<HistoryImportCounts> import_history(const HistoryBatch&, std::size_t) override {
    return down();
  }
  Result<std::vector<HistoryStats>> history(const std::vector<HistoryKey>&) override {
    return down();
  }
  Result<std::vector<HistoryStats>> history_list(const HistoryQuery&) override {
    if (std::exchange(answered_at_start_, true)) return down();
    return std::vector<HistoryStats>{};
  }
  Result<std::int64_t> history_size() override { return down(); }
  Result<int> schema_version() override { return down(); }

 private:
  bool answered_at_start_;
  static std::unexpected<Error> down() {
    return make_error(ErrorCode::kIo, "database unreachable");
  }
};

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sendguard-gateway-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    auto config = default_config();
    ASSERT_TRUE(config.has_value()) << config.error().message;
    config_ = *config;
    config_.recipients.known_domains = {"army.mil", "partner.example"};
    config_.policy.internal_domains = {"example.org"};
    config_.gateway.state_dir = dir_.string();
    config_.gateway.postfix_config_dir = "/etc/postfix-test";
    // Tests that want sender notices name a command of their own; none reaches a real MTA.
    config_.gateway.sender_notice_command = {};
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Gateway> open() {
    auto gateway = Gateway::open(config_, {}, "");
    EXPECT_TRUE(gateway.has_value()) << gateway.error().message;
    return gateway ? std::move(*gateway) : nullptr;
  }

  static std::string message(const std::string& subject, const std::string& body) {
    return "From: Alice <alice@example.org>\r\nTo: bob@somewhere.net\r\nSubject: " + subject +
           "\r\nMessage-ID: <m1@example.org>\r\n\r\n" + body + "\r\n";
  }

  fs::path dir_;
  Config config_;
};

Transaction transaction(std::vector<std::string> recipients) {
  return Transaction{"4XyZ12", "<alice@example.org>", "alice", std::move(recipients)};
}

TEST_F(GatewayTest, LookalikeRecipientIsRefusedAtRcptAndAudited) {
  auto gateway = open();
  RcptOutcome outcome = gateway->on_recipient(transaction({}), "<bob@army.ml>");
  EXPECT_EQ(outcome.verb, RcptOutcome::Verb::kReject);
  EXPECT_NE(outcome.reply.find("Did you mean bob@army.mil?"), std::string::npos) << outcome.reply;
  EXPECT_EQ(gateway->on_recipient(transaction({}), "<bob@army.mil>").verb,
            RcptOutcome::Verb::kContinue);

  auto records = gateway->store().audit({});
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].stage, "rcpt");
  EXPECT_EQ((*records)[0].action, "reject");
  EXPECT_EQ((*records)[0].rule, "lookalike-recipient");
  EXPECT_EQ((*records)[0].recipients, std::vector<std::string>{"bob@army.ml"});
  EXPECT_EQ((*records)[0].queue_id, "4XyZ12");
  EXPECT_EQ(gateway->counters().recipients_rejected.load(), 1u);
}

TEST_F(GatewayTest, TheQuickRecipientAnswerIsAnAcceptanceOrNothing) {
  auto gateway = open();
  // Accepted recipients (known, new, internal) are answered at once and leave no audit record.
  for (const char* accepted : {"<bob@army.mil>", "<carol@unknown-firm.com>", "<dan@example.org>"}) {
    auto quick = gateway->quick_recipient(transaction({}), accepted);
    ASSERT_TRUE(quick.has_value()) << accepted;
    EXPECT_EQ(quick->verb, RcptOutcome::Verb::kContinue) << accepted;
    EXPECT_EQ(gateway->on_recipient(transaction({}), accepted).verb, quick->verb) << accepted;
  }
  // A refusal needs its audit record and evidence: it is left to on_recipient().
  EXPECT_FALSE(gateway->quick_recipient(transaction({}), "<bob@army.ml>").has_value());
  EXPECT_FALSE(gateway->quick_recipient(transaction({}), "<not an address>").has_value());
  auto records = gateway->store().audit({});
  ASSERT_TRUE(records.has_value());
  EXPECT_TRUE(records->empty());
  EXPECT_EQ(gateway->counters().recipients_rejected.load(), 0u);
}

TEST_F(GatewayTest, MarkedMailToUnknownDomainIsHeldWithAQuarantineEntry) {
  auto gateway = open();
  MessageOutcome outcome = gateway->on_message(
      transaction({"<carol@unknown-firm.com>"}),
      message("Budget",
              "OFFICIAL-SENSITIVE\r\n\r\nThe figures for next year.\r\n\r\nOFFICIAL-SENSITIVE"));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
  ASSERT_TRUE(outcome.quarantine_reason.has_value());
  ASSERT_FALSE(outcome.quarantine_id.empty());
  auto entry = gateway->store().quarantine_entry(outcome.quarantine_id);
  ASSERT_TRUE(entry.has_value() && entry->has_value());
  EXPECT_EQ((*entry)->queue_id, "4XyZ12");
  EXPECT_EQ((*entry)->location, "postfix-hold:/etc/postfix-test:4XyZ12");
  EXPECT_EQ((*entry)->rule, "marked-to-unknown-domain");
  EXPECT_EQ((*entry)->recipients, std::vector<std::string>{"carol@unknown-firm.com"});
  EXPECT_EQ((*entry)->message_id, "<m1@example.org>");

  auto records = gateway->store().audit({});
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].action, "hold");
  auto details = nlohmann::json::parse((*records)[0].details_json);
  EXPECT_EQ(details["findings"][0]["detector"], "marking.uk");
}

TEST_F(GatewayTest, OrdinaryMailIsTaggedAndSecretsStayOutOfTheAuditLog) {
  auto gateway = open();
  MessageOutcome outcome = gateway->on_message(
      transaction({"<bob@army.mil>"}),
      message("Login", "The password is: Tr0ub4dor&3xq!\r\nAnd card 4556 7375 8689 9855 too."));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
  EXPECT_FALSE(outcome.quarantine_reason.has_value());
  bool tagged = false;
  for (const auto& [name, value] : outcome.add_headers)
    tagged |= name == "X-Sendguard-Action" && value == "tag";
  EXPECT_TRUE(tagged);
  auto records = gateway->store().audit({});
  ASSERT_TRUE(records.has_value() && !records->empty());
  EXPECT_EQ((*records)[0].details_json.find("Tr0ub4dor&3xq!"), std::string::npos);
  EXPECT_EQ((*records)[0].details_json.find("4556 7375 8689 9855"), std::string::npos);
  EXPECT_EQ((*records)[0].details_json.find("4556737586899855"), std::string::npos);
}

TEST_F(GatewayTest, MonitorModeChangesNothingButRecordsWhatItWouldHaveDone) {
  config_.policy.mode = "monitor";
  auto gateway = open();
  EXPECT_EQ(gateway->on_recipient(transaction({}), "<bob@army.ml>").verb,
            RcptOutcome::Verb::kContinue);
  MessageOutcome outcome =
      gateway->on_message(transaction({"<carol@unknown-firm.com>"}),
                          message("x", "OFFICIAL-SENSITIVE\r\n\r\nFigures.\r\n"));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
  EXPECT_FALSE(outcome.quarantine_reason.has_value());
  EXPECT_TRUE(outcome.add_headers.empty());
  auto records = gateway->store().audit({});
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_TRUE((*records)[0].monitor);
  EXPECT_EQ((*records)[0].action, "hold");
  EXPECT_TRUE((*records)[1].monitor);
  EXPECT_EQ((*records)[1].action, "reject");
  auto held = gateway->store().quarantine(QuarantineState::kHeld);
  ASSERT_TRUE(held.has_value());
  EXPECT_TRUE(held->empty());
}

TEST_F(GatewayTest, StoreUnavailableFailsClosedByDefault) {
  auto gateway = Gateway::open_with_store(config_, {}, std::make_unique<UnavailableStore>());
  ASSERT_TRUE(gateway.has_value()) << gateway.error().message;
  MessageOutcome outcome =
      (*gateway)->on_message(transaction({"<bob@army.mil>"}), message("Hello", "Lunch?"));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kTempfail);
  EXPECT_EQ((*gateway)->counters().failed_closed.load(), 1u);
  // A lookalike is still refused: the refusal is the safe outcome, only the audit is missing.
  EXPECT_EQ((*gateway)->on_recipient(transaction({}), "<bob@army.ml>").verb,
            RcptOutcome::Verb::kReject);
}

TEST_F(GatewayTest, StoreUnavailableFailsOpenWhenConfiguredSo) {
  config_.gateway.on_failure = "accept";
  auto gateway = Gateway::open_with_store(config_, {}, std::make_unique<UnavailableStore>());
  ASSERT_TRUE(gateway.has_value()) << gateway.error().message;
  MessageOutcome outcome =
      (*gateway)->on_message(transaction({"<bob@army.mil>"}), message("Hello", "Lunch?"));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
  EXPECT_EQ((*gateway)->counters().failed_open.load(), 1u);
  EXPECT_EQ((*gateway)->counters().failed_closed.load(), 0u);
}

TEST_F(GatewayTest, OverLongMessageIsUnscannableNotPassedSilently) {
  config_.content.limits.max_message_bytes = 2048;
  auto gateway = open();
  MessageOutcome outcome = gateway->on_message(transaction({"<carol@unknown-firm.com>"}),
                                               message("big", std::string(4096, 'x')));
  auto records = gateway->store().audit({});
  ASSERT_TRUE(records.has_value() && !records->empty());
  EXPECT_NE((*records)[0].details_json.find("unscannable"), std::string::npos);
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
}

TEST_F(GatewayTest, DropRecipientRemovesOnlyTheOffendingOne) {
  RuleConfig drop;
  drop.id = "no-new-domains";
  drop.recipient = {"new"};
  drop.action = "drop-recipient";
  config_.policy.rules = {drop};
  auto gateway = open();
  MessageOutcome outcome = gateway->on_message(
      transaction({"<bob@army.mil>", "<eve@elsewhere.net>"}), message("Hi", "Lunch?"));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
  EXPECT_EQ(outcome.remove_recipients, std::vector<std::string>{"<eve@elsewhere.net>"});
}

// What the fake submission command received, notices separated by "=== notice ===" lines.
std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class DropRecipientNoticeTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    RuleConfig drop;
    drop.id = "no-new-domains";
    drop.recipient = {"new"};
    drop.action = "drop-recipient";
    config_.policy.rules = {drop};
    submitted_ = dir_ / "submitted";
    config_.gateway.sender_notice_command = {
        "/bin/sh", "-c", "{ echo '=== notice ==='; cat; } >> '" + submitted_.string() + "'"};
  }
  fs::path submitted_;
};

TEST_F(DropRecipientNoticeTest, TheSenderIsToldWhichRecipientWasRemovedAndWhy) {
  auto gateway = open();
  MessageOutcome outcome = gateway->on_message(
      transaction({"<bob@army.mil>", "<eve@elsewhere.net>"}), message("Lunch plans", "Lunch?"));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
  EXPECT_EQ(outcome.remove_recipients, std::vector<std::string>{"<eve@elsewhere.net>"});
  gateway->flush_notices();
  std::string notice = read_file(submitted_);
  EXPECT_NE(notice.find("\nTo: <alice@example.org>\n"), std::string::npos) << notice;
  EXPECT_NE(notice.find("\nAuto-Submitted: auto-replied\n"), std::string::npos) << notice;
  EXPECT_NE(notice.find("Subject: Not delivered to eve@elsewhere.net: Lunch plans"),
            std::string::npos)
      << notice;
  EXPECT_NE(notice.find("Rule: no-new-domains"), std::string::npos) << notice;
  EXPECT_NE(notice.find("elsewhere.net is not among the domains your organisation writes to"),
            std::string::npos)
      << notice;
  EXPECT_NE(notice.find("Message-ID: <m1@example.org>"), std::string::npos) << notice;
  EXPECT_NE(notice.find("Queue id:   4XyZ12"), std::string::npos) << notice;
  EXPECT_EQ(notice.find("bob@army.mil"), std::string::npos) << "only the removed one: " << notice;
  EXPECT_EQ(gateway->counters().sender_notices.load(), 1u);
}

TEST_F(DropRecipientNoticeTest, ADroppedRecipientIsRemovedFromAHeldMessageToo) {
  RuleConfig hold;
  hold.id = "hold-marked";
  hold.detectors = {"marking.*"};
  hold.action = "hold";
  config_.policy.rules.push_back(hold);
  auto gateway = open();
  MessageOutcome outcome =
      gateway->on_message(transaction({"<bob@army.mil>", "<eve@elsewhere.net>"}),
                          message("Figures", "OFFICIAL-SENSITIVE\r\n\r\nThe figures.\r\n"));
  ASSERT_TRUE(outcome.quarantine_reason.has_value());
  EXPECT_NE(outcome.quarantine_reason->find("hold-marked"), std::string::npos);
  EXPECT_EQ(outcome.remove_recipients, std::vector<std::string>{"<eve@elsewhere.net>"});
  auto held = gateway->store().quarantine(QuarantineState::kHeld);
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].recipients, std::vector<std::string>{"bob@army.mil"});
  EXPECT_EQ(gateway->counters().recipients_dropped.load(), 1u);
  gateway->flush_notices();
  EXPECT_NE(read_file(submitted_).find("Subject: Not delivered to eve@elsewhere.net: Figures"),
            std::string::npos);
}

TEST_F(DropRecipientNoticeTest, NoNoticeToTheNullSenderOrAboutAutomaticMail) {
  auto gateway = open();
  Transaction bounce = transaction({"<bob@army.mil>", "<eve@elsewhere.net>"});
  bounce.sender = "<>";
  MessageOutcome outcome = gateway->on_message(bounce, message("Undeliverable", "Sorry."));
  // The recipient is removed all the same; only the notice is not sent.
  EXPECT_EQ(outcome.remove_recipients, std::vector<std::string>{"<eve@elsewhere.net>"});
  std::string automatic =
      "From: Alice <alice@example.org>\r\nTo: bob@army.mil\r\nSubject: Out of office\r\n"
      "Auto-Submitted: auto-replied\r\nMessage-ID: <m2@example.org>\r\n\r\nAway.\r\n";
  outcome = gateway->on_message(transaction({"<bob@army.mil>", "<eve@elsewhere.net>"}), automatic);
  EXPECT_EQ(outcome.remove_recipients, std::vector<std::string>{"<eve@elsewhere.net>"});
  gateway->flush_notices();
  EXPECT_FALSE(fs::exists(submitted_)) << read_file(submitted_);
  EXPECT_EQ(gateway->counters().sender_notices.load(), 0u);
  EXPECT_EQ(gateway->counters().sender_notices_failed.load(), 0u);
}

TEST_F(DropRecipientNoticeTest, ANoticeThatCannotBeSentLeavesTheMessageAlone) {
  config_.gateway.sender_notice_command = {"/bin/false"};
  auto gateway = open();
  MessageOutcome outcome = gateway->on_message(
      transaction({"<bob@army.mil>", "<eve@elsewhere.net>"}), message("Hi", "Lunch?"));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
  EXPECT_EQ(outcome.remove_recipients, std::vector<std::string>{"<eve@elsewhere.net>"});
  gateway->flush_notices();
  EXPECT_EQ(gateway->counters().sender_notices_failed.load(), 1u);
  EXPECT_EQ(gateway->counters().sender_notices.load(), 0u);
}

// A message the default policy holds (marked, to a domain nobody writes to) unless overridden.
std::string overridden_message(const std::string& subject, const std::string& extra_headers) {
  return "From: Alice <alice@example.org>\r\nTo: carol@unknown-firm.com\r\nSubject: " + subject +
         "\r\n" + extra_headers + "Message-ID: <m3@example.org>\r\n\r\nOFFICIAL-SENSITIVE\r\n\r\n" +
         "The figures for next year.\r\n\r\nOFFICIAL-SENSITIVE\r\n";
}

TEST_F(GatewayTest, TheOverrideHeaderIsRemovedBeforeTheMessageLeaves) {
  auto gateway = open();
  MessageOutcome outcome = gateway->on_message(
      transaction({"<carol@unknown-firm.com>"}),
      overridden_message("Budget",
                         "X-Sendguard-Override: contract 2291 signed, DPA in place\r\n"
                         "x-sendguard-override: the second copy of it\r\n"));
  EXPECT_FALSE(outcome.quarantine_reason.has_value());
  // Both occurrences, the last first, so that deleting one does not renumber the other.
  std::vector<std::pair<std::string, int>> expected = {{"X-Sendguard-Override", 2},
                                                       {"X-Sendguard-Override", 1}};
  EXPECT_EQ(outcome.remove_headers, expected);
  EXPECT_FALSE(outcome.new_subject.has_value());
  auto records = gateway->store().audit({});
  ASSERT_TRUE(records.has_value() && !records->empty());
  EXPECT_EQ((*records)[0].override_justification, "contract 2291 signed, DPA in place");
  EXPECT_EQ(gateway->counters().overrides.load(), 1u);
}

TEST_F(GatewayTest, TheOverrideSubjectTagIsStripped) {
  config_.policy.subject_prefix = "[checked]";
  auto gateway = open();
  MessageOutcome outcome =
      gateway->on_message(transaction({"<carol@unknown-firm.com>"}),
                          overridden_message("Budget [override: the client asked for it] Q3", ""));
  EXPECT_FALSE(outcome.quarantine_reason.has_value());
  EXPECT_TRUE(outcome.remove_headers.empty());
  ASSERT_TRUE(outcome.new_subject.has_value());
  EXPECT_EQ(*outcome.new_subject, "[checked] Budget Q3");
  auto records = gateway->store().audit({});
  ASSERT_TRUE(records.has_value() && !records->empty());
  EXPECT_EQ((*records)[0].override_justification, "the client asked for it");
}

TEST_F(GatewayTest, AnOverrideNotUsedIsLeftAsItIs) {
  auto gateway = open();
  // Nothing here needs overriding: the message is only tagged, and the header stays.
  MessageOutcome outcome =
      gateway->on_message(transaction({"<bob@army.mil>"}),
                          message("Lunch [override: just in case, really]", "Lunch on Friday?"));
  EXPECT_TRUE(outcome.remove_headers.empty());
  EXPECT_FALSE(outcome.new_subject.has_value());
}

TEST_F(GatewayTest, SubjectPrefixKeepsNonAsciiSubjectsIntact) {
  config_.policy.subject_prefix = "[checked]";
  auto gateway = open();
  MessageOutcome outcome =
      gateway->on_message(transaction({"<bob@army.mil>"}),
                          message("=?utf-8?q?R=C3=A9union_=C3=A0_Z=C3=BCrich?=", "Lunch?"));
  ASSERT_TRUE(outcome.new_subject.has_value());
  // "[checked] =?UTF-8?b?...?=": the prefix as it is, the rest as RFC 2047 words, all ASCII.
  EXPECT_TRUE(outcome.new_subject->starts_with("[checked] ")) << *outcome.new_subject;
  EXPECT_NE(outcome.new_subject->find("=?UTF-8?"), std::string::npos) << *outcome.new_subject;
  for (char c : *outcome.new_subject) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
}

}  // namespace
}  // namespace sendguard

namespace sendguard {
namespace {

Transaction numbered(int n, std::vector<std::string> recipients) {
  return Transaction{"Q" + std::to_string(n), "<alice@example.org>", "alice",
                     std::move(recipients)};
}

TEST_F(GatewayTest, DeliveredMailJoinsTheHistoryAndHeldOrRejectedMailDoesNot) {
  auto gateway = open();
  ASSERT_TRUE(gateway);
  gateway->on_message(numbered(1, {"<bob@army.mil>", "<carol@partner.example>"}),
                      message("Lunch", "Shall we meet on Friday?"));
  gateway->on_message(
      numbered(2, {"<dave@unknown-firm.com>"}),
      message("Budget", "OFFICIAL-SENSITIVE\r\n\r\nFigures.\r\n\r\nOFFICIAL-SENSITIVE"));
  gateway->flush_history();
  auto stats = gateway->store().history(
      {{HistoryScope::kDomain, "", "army.mil"},
       {HistoryScope::kDomain, "", "partner.example"},
       {HistoryScope::kDomain, "", "unknown-firm.com"},
       {HistoryScope::kSenderAddress, "alice@example.org", "bob@army.mil"}});
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ((*stats)[0].messages, 1);
  EXPECT_EQ((*stats)[1].messages, 1);
  EXPECT_EQ((*stats)[2].messages, 0);  // held: it has not gone anywhere yet
  EXPECT_EQ((*stats)[3].messages, 1);
}

TEST_F(GatewayTest, FirstTimeRecipientDomainIsTaggedOnceTheHistorySpeaks) {
  config_.history.signals_after_messages = 3;
  {
    auto gateway = open();
    ASSERT_TRUE(gateway);
    for (int i = 0; i < 3; ++i) {
      gateway->on_message(numbered(10 + i, {"<bob@army.mil>"}), message("Hello", "Hello Bob."));
    }
  }  // closing the gateway writes the history it queued
  auto gateway = open();
  ASSERT_TRUE(gateway);
  MessageOutcome outcome = gateway->on_message(numbered(20, {"<carol@newpartner.com>"}),
                                               message("Hello", "Hello Carol."));
  EXPECT_EQ(outcome.verb, MessageOutcome::Verb::kAccept);
  auto header = [&](std::string_view name) {
    for (const auto& [n, v] : outcome.add_headers)
      if (n == name) return v;
    return std::string();
  };
  EXPECT_EQ(header("X-Sendguard-Rule"), "first-time-recipient-domain");
  EXPECT_NE(header("X-Sendguard-Findings").find("recipient.first-time-domain"), std::string::npos)
      << header("X-Sendguard-Findings");
  // army.mil has history now: no first-time finding, only the general tag.
  MessageOutcome known =
      gateway->on_message(numbered(21, {"<bob@army.mil>"}), message("Hello", "Hello again."));
  std::string known_rule = "(no X-Sendguard-Rule header)";
  for (const auto& [n, v] : known.add_headers) {
    if (n == "X-Sendguard-Rule") known_rule = v;
  }
  EXPECT_EQ(known_rule, "tag-inspected");
}

TEST_F(GatewayTest, LearnedDomainsAreKnownAndTheirSlipsRejectedWithTheEvidence) {
  config_.recipients.known_domains = {};
  config_.history.known_after_days = 1;
  {
    auto gateway = open();
    ASSERT_TRUE(gateway);
    for (int i = 0; i < 5; ++i) {
      gateway->on_message(numbered(30 + i, {"<ops@navy.mil>"}), message("Hi", "Status report."));
    }
  }
  auto gateway = open();
  ASSERT_TRUE(gateway);
  RcptOutcome outcome = gateway->on_recipient(transaction({}), "<ops@navy.ml>");
  EXPECT_EQ(outcome.verb, RcptOutcome::Verb::kReject);
  EXPECT_NE(outcome.reply.find("Did you mean ops@navy.mil?"), std::string::npos) << outcome.reply;
  EXPECT_NE(outcome.reply.find("You have sent 5 messages to navy.mil and none to navy.ml."),
            std::string::npos)
      << outcome.reply;
}

TEST_F(GatewayTest, RefusesToStartWithoutTheLearnedDomains) {
  // Running on without the domains the history taught would let their slips through; refusing
  // to start leaves the mail queued at the MTA (milter_default_action = tempfail).
  auto gateway = Gateway::open_with_store(config_, {}, std::make_unique<UnavailableStore>(true));
  ASSERT_FALSE(gateway);
  EXPECT_NE(gateway.error().message.find("database unreachable"), std::string::npos);
}

}  // namespace
}  // namespace sendguard
