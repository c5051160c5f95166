#include "gateway/sender_notice.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sendguard {
namespace {

namespace fs = std::filesystem;

SenderNotice budget_notice() {
  SenderNotice notice;
  notice.sender = "alice@example.org";
  notice.subject = "Budget";
  notice.message_id = "<m1@example.org>";
  notice.queue_id = "4XyZ12";
  notice.dropped = {{"eve@elsewhere.net", "marked-only-to-known",
                     "Marked OFFICIAL-SENSITIVE. elsewhere.net is not among the domains your "
                     "organisation writes to."}};
  return notice;
}

// The header block of a composed notice, one line each.
std::vector<std::string> header_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text.substr(0, text.find("\n\n")));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::vector<std::string>& lines, const std::string& wanted) {
  return std::find(lines.begin(), lines.end(), wanted) != lines.end();
}

TEST(SenderNotice, NamesTheRecipientRuleReasonAndMessage) {
  std::string text = compose_sender_notice(budget_notice(), "sendguard <postmaster>",
                                           std::chrono::system_clock::from_time_t(1'764'331'200));
  auto headers = header_lines(text);
  EXPECT_TRUE(has_line(headers, "From: sendguard <postmaster>")) << text;
  EXPECT_TRUE(has_line(headers, "To: <alice@example.org>")) << text;
  EXPECT_TRUE(has_line(headers, "Subject: Not delivered to eve@elsewhere.net: Budget")) << text;
  EXPECT_TRUE(has_line(headers, "Auto-Submitted: auto-replied")) << text;
  EXPECT_TRUE(has_line(headers, "In-Reply-To: <m1@example.org>")) << text;
  EXPECT_TRUE(has_line(headers, "Date: Fri, 28 Nov 2025 12:00:00 +0000")) << text;
  EXPECT_TRUE(has_line(headers, "Content-Type: text/plain; charset=utf-8")) << text;
  std::string body = text.substr(text.find("\n\n"));
  EXPECT_NE(body.find("    eve@elsewhere.net\n"), std::string::npos) << body;
  EXPECT_NE(body.find("Rule: marked-only-to-known"), std::string::npos) << body;
  EXPECT_NE(body.find("elsewhere.net is not among the domains your organisation writes to."),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("Subject:    Budget"), std::string::npos) << body;
  EXPECT_NE(body.find("Message-ID: <m1@example.org>"), std::string::npos) << body;
  EXPECT_NE(body.find("delivered to its other recipients"), std::string::npos) << body;
  EXPECT_NE(body.find("What to do:"), std::string::npos) << body;
}

TEST(SenderNotice, SeveralRecipientsAndANonAsciiSubject) {
  SenderNotice notice = budget_notice();
  notice.subject = "Réunion à Zürich";
  notice.dropped.push_back({"frank@elsewhere.net", "marked-only-to-known", ""});
  std::string text = compose_sender_notice(notice, "postmaster", {});
  auto headers = header_lines(text);
  bool encoded = false;
  for (const std::string& line : headers) {
    if (!line.starts_with("Subject: ")) continue;
    EXPECT_TRUE(line.starts_with("Subject: Not delivered to 2 recipients: ")) << line;
    encoded = line.find("=?UTF-8?") != std::string::npos;
    for (char c : line) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << line;
  }
  EXPECT_TRUE(encoded) << text;
  EXPECT_NE(text.find("    frank@elsewhere.net\n"), std::string::npos) << text;
  // A recipient without a reason still gets a sentence, not a blank.
  EXPECT_NE(text.find("policy does not allow this message to go to this recipient"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Subject:    Réunion à Zürich"), std::string::npos) << text;
}

TEST(SenderNotice, LineBreaksSmuggledIntoTheOriginalStayOutOfTheHeaders) {
  SenderNotice notice = budget_notice();
  notice.subject = "Hi\r\nBcc: victim@example.net";
  notice.message_id = "<m1@example.org>\nBcc: other@example.net";
  std::string text = compose_sender_notice(notice, "postmaster", {});
  for (const std::string& line : header_lines(text)) {
    EXPECT_FALSE(line.starts_with("Bcc:")) << text;
  }
  EXPECT_EQ(text.find("\nBcc:"), std::string::npos) << text;
}

TEST(SenderNotice, NoNoticeForBouncesOrAutomaticMail) {
  std::vector<std::pair<std::string, std::string>> none;
  EXPECT_FALSE(notice_refusal("alice@example.org", none).has_value());
  EXPECT_TRUE(notice_refusal("", none).has_value());
  EXPECT_TRUE(notice_refusal("<>", none).has_value());
  EXPECT_TRUE(notice_refusal("MAILER-DAEMON@example.org", none).has_value());
  EXPECT_TRUE(notice_refusal("alice@example.org", {{"Auto-Submitted", "auto-replied"}}));
  EXPECT_TRUE(notice_refusal("alice@example.org", {{"auto-submitted", " Auto-Generated; x=y"}}));
  EXPECT_FALSE(notice_refusal("alice@example.org", {{"Auto-Submitted", "no"}}).has_value());
  EXPECT_TRUE(notice_refusal("alice@example.org", {{"Precedence", "bulk"}}));
  EXPECT_TRUE(notice_refusal("alice@example.org", {{"Precedence", "list"}}));
  EXPECT_FALSE(notice_refusal("alice@example.org", {{"Precedence", "first-class"}}).has_value());
  // Addresses that would break out of "To: <...>".
  EXPECT_TRUE(notice_refusal("alice@example.org>\nBcc: x@y", none));
  EXPECT_TRUE(notice_refusal("alice smith@example.org", none));
}

class SenderNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sendguard-notice-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
  std::atomic<std::uint64_t> sent_{0}, failed_{0};
};

TEST_F(SenderNotifierTest, HandsTheNoticeToTheSubmissionCommand) {
  fs::path out = dir_ / "submitted";
  SenderNotifierOptions options;
  options.command = {"/bin/sh", "-c", "cat > '" + out.string() + "'"};
  {
    SenderNotifier notifier(options, sent_, failed_);
    notifier.send(budget_notice());
    notifier.flush();
    EXPECT_EQ(sent_.load(), 1u);
    EXPECT_EQ(failed_.load(), 0u);
    EXPECT_NE(read(out).find("To: <alice@example.org>\n"), std::string::npos) << read(out);
    fs::remove(out);
    notifier.send(budget_notice());
  }  // the destructor sends what is still queued
  EXPECT_EQ(sent_.load(), 2u);
  EXPECT_TRUE(fs::exists(out));
}

TEST_F(SenderNotifierTest, FailuresAreCountedNotFatal) {
  SenderNotifierOptions options;
  options.command = {"/bin/false"};
  SenderNotifier failing(options, sent_, failed_);
  failing.send(budget_notice());
  failing.flush();
  EXPECT_EQ(failed_.load(), 1u);

  options.command = {(dir_ / "no-such-sendmail").string()};
  SenderNotifier missing(options, sent_, failed_);
  missing.send(budget_notice());
  missing.flush();
  EXPECT_EQ(failed_.load(), 2u);

  // A command that exits without reading its input must not take the process with it.
  options.command = {"/bin/true"};
  SenderNotice big = budget_notice();
  big.dropped.assign(5000, big.dropped[0]);
  SenderNotifier deaf(options, sent_, failed_);
  deaf.send(big);
  deaf.flush();
  EXPECT_EQ(failed_.load(), 2u);
  EXPECT_EQ(sent_.load(), 1u);  // it exited 0: what it did with the notice is its business
}

TEST_F(SenderNotifierTest, AStuckCommandIsStoppedAtItsTimeLimit) {
  SenderNotifierOptions options;
  options.command = {"/bin/sleep", "30"};
  options.time_limit = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  SenderNotifier notifier(options, sent_, failed_);
  notifier.send(budget_notice());
  notifier.flush();
  EXPECT_EQ(failed_.load(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace sendguard
