// The history sources against synthetic logs and archives whose every record is known.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "history/mail_archive.h"
#include "history/mail_source.h"
#include "history/postfix_log.h"
#include "history/rotation.h"

namespace sendguard {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;
using Strings = std::vector<std::string>;

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  using namespace std::chrono;
  return sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s);
}

// Syslog lines in the traditional form, as Postfix writes them through rsyslog.
std::string log_line(const std::string& stamp, const std::string& tag, const std::string& text,
                     const std::string& host = "mx1") {
  return stamp + " " + host + " " + tag + "[4242]: " + text + "\n";
}

// The lines of one message Postfix relays: cleanup, qmgr, one smtp line per recipient
// (status=sent unless given as "rcpt status"), removed. All at `stamp`.
std::string relayed(const std::string& stamp, const std::string& queue_id, const std::string& from,
                    const std::vector<std::pair<std::string, std::string>>& recipients,
                    bool removed = true, const std::string& host = "mx1") {
  std::string out;
  out += log_line(stamp, "postfix/smtpd", queue_id + ": client=ws1.corp.example[10.0.0.5]", host);
  out += log_line(stamp, "postfix/cleanup",
                  queue_id + ": message-id=<" + queue_id + "@corp.example>", host);
  out += log_line(stamp, "postfix/qmgr",
                  queue_id + ": from=<" + from + ">, size=2211, nrcpt=" +
                      std::to_string(recipients.size()) + " (queue active)",
                  host);
  for (const auto& [rcpt, status] : recipients) {
    std::string dsn = status == "sent" ? "2.0.0" : status == "bounced" ? "5.1.1" : "4.4.1";
    out += log_line(stamp, "postfix/smtp",
                    queue_id + ": to=<" + rcpt +
                        ">, relay=mx.remote.example[192.0.2.25]:25, delay=0.4, "
                        "delays=0.1/0/0.1/0.2, dsn=" +
                        dsn + ", status=" + status + " (250 2.0.0 Ok: queued as 4XyZ)",
                    host);
  }
  if (removed) out += log_line(stamp, "postfix/qmgr", queue_id + ": removed", host);
  return out;
}

class HistorySourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sendguard-history-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.now = utc(2026, 11, 28, 12, 0, 0);
    options_.log.utc_offset = std::chrono::minutes(0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text,
                 system_clock::time_point modified = utc(2026, 11, 28, 11, 0, 0)) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    set_mtime(p, modified);
    return p;
  }

  fs::path write_gzip(const std::string& name, const std::string& text,
                      system_clock::time_point modified) {
    fs::path p = dir_ / name;
    gzFile gz = gzopen(p.c_str(), "wb");
    EXPECT_NE(gz, nullptr);
    EXPECT_EQ(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())),
              static_cast<int>(text.size()));
    gzclose(gz);
    set_mtime(p, modified);
    return p;
  }

  static void set_mtime(const fs::path& p, system_clock::time_point t) {
    timespec times[2] = {};
    times[0].tv_sec = times[1].tv_sec = system_clock::to_time_t(t);
    ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0) << p;
  }

  Result<SourceStats> read(const std::vector<fs::path>& paths) {
    mails_.clear();
    return read_mail_sources(paths, options_,
                             [&](SentMail&& m) { mails_.push_back(std::move(m)); });
  }

  const SentMail* find(const std::string& queue_id) const {
    for (const auto& m : mails_) {
      if (m.queue_id == queue_id) return &m;
    }
    return nullptr;
  }

  fs::path dir_;
  MailSourceOptions options_;
  std::vector<SentMail> mails_;
};

// ---- Postfix logs --------------------------------------------------------------------------

TEST_F(HistorySourcesTest, OrdinaryTrafficYieldsOneRecordPerDeliveredMessage) {
  std::string log;
  log += log_line("Nov 28 08:07:20", "postfix/smtpd", "connect from ws1.corp.example[10.0.0.5]");
  log +=
      relayed("Nov 28 08:07:26", "4BC1D2E3F4", "alice@corp.example",
              {{"bob@partner.example", "sent"}, {"carol@exmaple.org", "sent"}});  // a misdirection
  log += log_line("Nov 28 08:08:00", "kernel", "[12345.678] eth0: link up");
  log += relayed("Nov 28 08:09:01", "5CD2E3F405", "dave@corp.example",
                 {{"eve@army.ml", "sent"}});  // army.mil mistyped
  log += log_line("Nov 28 08:09:30", "postfix/anvil", "statistics: max connection rate 1/60s");
  fs::path path = write("mail.log", log);

  auto stats = read({path});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 2u);
  const SentMail& first = mails_[0];
  EXPECT_EQ(first.sender, "alice@corp.example");
  EXPECT_EQ(first.recipients, (Strings{"bob@partner.example", "carol@exmaple.org"}));
  EXPECT_EQ(first.time, utc(2026, 11, 28, 8, 7, 26));
  EXPECT_EQ(first.queue_id, "4BC1D2E3F4");
  EXPECT_EQ(first.message_id, "4BC1D2E3F4@corp.example");
  EXPECT_EQ(first.origin, "mail.log:5");  // its first delivery line
  EXPECT_EQ(first.identity, "postfix:mx1/4BC1D2E3F4:2026-11-28");
  EXPECT_TRUE(first.raw.empty());
  EXPECT_EQ(mails_[1].sender, "dave@corp.example");
  EXPECT_EQ(mails_[1].recipients, (Strings{"eve@army.ml"}));
  EXPECT_EQ(mails_[1].time, utc(2026, 11, 28, 8, 9, 1));
  EXPECT_EQ(stats->files, 1u);
  EXPECT_EQ(stats->lines, 14u);
  EXPECT_EQ(stats->messages, 2u);
  EXPECT_EQ(stats->malformed_lines, 0u);
  EXPECT_EQ(stats->bytes, log.size());
}

TEST_F(HistorySourcesTest, DeferredThenSentCountsOnceAndBouncedNever) {
  std::string log;
  // Deferred at 08:00, re-activated (a second from= line) and sent at 09:00.
  log += relayed("Nov 28 08:00:00", "AAAA11111", "alice@corp.example",
                 {{"slow@remote.example", "deferred"}, {"fast@remote.example", "sent"}}, false);
  log += log_line("Nov 28 09:00:00", "postfix/qmgr",
                  "AAAA11111: from=<alice@corp.example>, size=2211, nrcpt=2 (queue active)");
  log += log_line("Nov 28 09:00:01", "postfix/smtp",
                  "AAAA11111: to=<slow@remote.example>, relay=mx.remote.example[192.0.2.25]:25, "
                  "delay=3601, delays=3600/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok)");
  log += log_line("Nov 28 09:00:01", "postfix/qmgr", "AAAA11111: removed");
  // Bounced only: no record. Bounced beside a sent recipient: only the sent one.
  log += relayed("Nov 28 09:10:00", "BBBB22222", "bob@corp.example",
                 {{"nobody@remote.example", "bounced"}});
  log += relayed("Nov 28 09:20:00", "CCCC33333", "carol@corp.example",
                 {{"gone@remote.example", "bounced"}, {"here@remote.example", "sent"}});
  auto stats = read({write("mail.log", log)});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 2u);
  EXPECT_EQ(mails_[0].queue_id, "AAAA11111");
  EXPECT_EQ(mails_[0].recipients, (Strings{"fast@remote.example", "slow@remote.example"}));
  EXPECT_EQ(mails_[0].time, utc(2026, 11, 28, 8, 0, 0));  // the first sent line
  EXPECT_EQ(mails_[0].identity, "postfix:mx1/AAAA11111:2026-11-28");
  EXPECT_EQ(mails_[1].queue_id, "CCCC33333");
  EXPECT_EQ(mails_[1].recipients, (Strings{"here@remote.example"}));
  EXPECT_EQ(find("BBBB22222"), nullptr);
}

TEST_F(HistorySourcesTest, ReusedQueueIdIsANewMessage) {
  std::string log;
  log += relayed("Nov 26 10:00:00", "ABC123DEF", "alice@corp.example", {{"a@one.example", "sent"}});
  log += relayed("Nov 27 15:30:00", "ABC123DEF", "bob@corp.example", {{"b@two.example", "sent"}});
  // A lost `removed`: the id comes back 9 days later, past any queue lifetime.
  log += relayed("Nov 17 09:00:00", "DEF456ABC", "carol@corp.example",
                 {{"c@three.example", "sent"}}, false);
  log += relayed("Nov 26 09:00:00", "DEF456ABC", "dave@corp.example", {{"d@four.example", "sent"}});
  auto stats = read({write("mail.log", log)});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 4u);
  EXPECT_EQ(mails_[0].sender, "alice@corp.example");
  EXPECT_EQ(mails_[0].recipients, (Strings{"a@one.example"}));
  EXPECT_EQ(mails_[0].identity, "postfix:mx1/ABC123DEF:2026-11-26");
  EXPECT_EQ(mails_[1].sender, "bob@corp.example");
  EXPECT_EQ(mails_[1].recipients, (Strings{"b@two.example"}));
  EXPECT_EQ(mails_[1].identity, "postfix:mx1/ABC123DEF:2026-11-27");
  EXPECT_EQ(mails_[2].sender, "carol@corp.example");
  EXPECT_EQ(mails_[2].recipients, (Strings{"c@three.example"}));
  EXPECT_EQ(mails_[3].sender, "dave@corp.example");
  EXPECT_EQ(mails_[3].recipients, (Strings{"d@four.example"}));
  EXPECT_NE(mails_[2].identity, mails_[3].identity);
}

TEST_F(HistorySourcesTest, QueueIdsLeftOpenAreClosedByTimeAndAtTheEnd) {
  // Delivered, but the `removed` line was lost: closed once the log is past any queue lifetime,
  // so before the messages that follow; one still open at the end of the stream comes last.
  std::string log = relayed("Nov 10 09:00:00", "AAAAA11111", "a@corp.example",
                            {{"x@one.example", "sent"}}, false);
  log += relayed("Nov 20 09:00:00", "BBBBB22222", "b@corp.example", {{"y@two.example", "sent"}});
  log += relayed("Nov 21 09:00:00", "CCCCC33333", "c@corp.example", {{"z@three.example", "sent"}},
                 false);
  log += relayed("Nov 22 09:00:00", "DDDDD44444", "d@corp.example", {{"w@four.example", "sent"}});
  auto stats = read({write("mail.log", log)});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 4u);
  EXPECT_EQ(mails_[0].queue_id, "AAAAA11111");
  EXPECT_EQ(mails_[1].queue_id, "BBBBB22222");
  EXPECT_EQ(mails_[2].queue_id, "DDDDD44444");
  EXPECT_EQ(mails_[3].queue_id, "CCCCC33333");
  EXPECT_EQ(mails_[3].recipients, (Strings{"z@three.example"}));
}

TEST_F(HistorySourcesTest, RotatedChainIsOneStreamOldestFirst) {
  // A message queued in mail.log.1 and delivered after the rotation, in mail.log.
  std::string oldest =
      relayed("Nov 26 10:00:00", "11111AAAAA", "alice@corp.example", {{"a@one.example", "sent"}});
  std::string middle =
      relayed("Nov 27 10:00:00", "22222BBBBB", "bob@corp.example", {{"b@two.example", "sent"}});
  middle += relayed("Nov 27 23:59:59", "33333CCCCC", "carol@corp.example", {}, false);
  std::string live =
      log_line("Nov 28 00:00:05", "postfix/smtp",
               "33333CCCCC: to=<c@three.example>, relay=mx.three.example[192.0.2.3]:25,"
               " delay=6, delays=0/0/1/5, dsn=2.0.0, status=sent (250 Ok)");
  live += log_line("Nov 28 00:00:05", "postfix/qmgr", "33333CCCCC: removed");
  fs::path p2 = write_gzip("mail.log.2.gz", oldest, utc(2026, 11, 26, 23, 59, 0));
  fs::path p1 = write("mail.log.1", middle, utc(2026, 11, 27, 23, 59, 59));
  fs::path p0 = write("mail.log", live, utc(2026, 11, 28, 0, 1, 0));
  auto stats = read({p0, p2, p1});  // any order: the names decide
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 3u);
  EXPECT_EQ(mails_[0].queue_id, "11111AAAAA");
  EXPECT_EQ(mails_[0].origin, "mail.log.2.gz:4");
  EXPECT_EQ(mails_[1].queue_id, "22222BBBBB");
  EXPECT_EQ(mails_[2].queue_id, "33333CCCCC");
  EXPECT_EQ(mails_[2].sender, "carol@corp.example");
  EXPECT_EQ(mails_[2].recipients, (Strings{"c@three.example"}));
  EXPECT_EQ(mails_[2].time, utc(2026, 11, 28, 0, 0, 5));
  EXPECT_EQ(mails_[2].origin, "mail.log:1");
  EXPECT_EQ(mails_[2].identity, "postfix:mx1/33333CCCCC:2026-11-27");
  EXPECT_EQ(stats->files, 3u);
}

TEST_F(HistorySourcesTest, DateextFamilyIsOrderedByDate) {
  EXPECT_EQ(history_internal::rotation_base_name("mail.log-20261127.gz"), "mail.log");
  EXPECT_EQ(history_internal::rotation_base_name("mail.log.12"), "mail.log");
  EXPECT_EQ(history_internal::rotation_base_name("mail.log"), "mail.log");
  auto families = history_internal::group_rotation_families(
      {"/l/mail.log", "/l/mail.log-20261127", "/other/mail.log", "/l/mail.log-20261126.gz",
       "/l/mail.log.1", "/l/mail.log.3.gz", "/l/mail.log.2"});
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0], (std::vector<fs::path>{"/l/mail.log-20261126.gz", "/l/mail.log-20261127",
                                                "/l/mail.log.3.gz", "/l/mail.log.2",
                                                "/l/mail.log.1", "/l/mail.log"}));
  EXPECT_EQ(families[1], (std::vector<fs::path>{"/other/mail.log"}));

  std::string queued = relayed("Nov 27 23:59:00", "44444DDDDD", "dave@corp.example", {}, false);
  std::string sent = log_line("Nov 28 00:00:01", "postfix/smtp",
                              "44444DDDDD: to=<d@four.example>, relay=x[192.0.2.4]:25, dsn=2.0.0, "
                              "status=sent (250 Ok)") +
                     log_line("Nov 28 00:00:01", "postfix/qmgr", "44444DDDDD: removed");
  fs::path older = write_gzip("mail.log-20261128.gz", queued, utc(2026, 11, 28, 0, 0, 0));
  fs::path live = write("mail.log", sent);
  auto stats = read({live, older});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 1u);
  EXPECT_EQ(mails_[0].sender, "dave@corp.example");
  EXPECT_EQ(mails_[0].recipients, (Strings{"d@four.example"}));
}

TEST_F(HistorySourcesTest, YearRollsOverInsideAFileAndAcrossAChain) {
  // One file written over New Year, last modified on 2 January 2027.
  std::string log = relayed("Dec 31 23:59:58", "55555EEEEE", "alice@corp.example", {}, false);
  log += log_line("Jan  1 00:00:03", "postfix/smtp",
                  "55555EEEEE: to=<a@one.example>, relay=x[192.0.2.1]:25, dsn=2.0.0, status=sent "
                  "(250 Ok)");
  log += log_line("Jan  1 00:00:03", "postfix/qmgr", "55555EEEEE: removed");
  log += relayed("Jan  2 08:00:00", "66666FFFFF", "bob@corp.example", {{"b@two.example", "sent"}});
  options_.now = utc(2027, 1, 5, 0, 0, 0);
  auto stats = read({write("mail.log", log, utc(2027, 1, 2, 9, 0, 0))});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 2u);
  EXPECT_EQ(mails_[0].time, utc(2027, 1, 1, 0, 0, 3));
  EXPECT_EQ(mails_[0].identity, "postfix:mx1/55555EEEEE:2026-12-31");
  EXPECT_EQ(mails_[1].time, utc(2027, 1, 2, 8, 0, 0));

  // A chain rotated on New Year's Eve: each file takes its year from its own time.
  fs::path old = write(
      "chain/maillog.1",
      relayed("Dec 30 10:00:00", "77777AAAAA", "carol@corp.example", {{"c@three.example", "sent"}}),
      utc(2026, 12, 31, 0, 0, 0));
  fs::path live = write(
      "chain/maillog",
      relayed("Jan  1 10:00:00", "88888BBBBB", "dave@corp.example", {{"d@four.example", "sent"}}),
      utc(2027, 1, 1, 11, 0, 0));
  stats = read({live, old});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 2u);
  EXPECT_EQ(mails_[0].time, utc(2026, 12, 30, 10, 0, 0));
  EXPECT_EQ(mails_[1].time, utc(2027, 1, 1, 10, 0, 0));

  // A modification time in the future is clamped to "now": lines of last December stay 2026.
  options_.now = utc(2027, 1, 1, 12, 0, 0);
  stats = read({write(
      "future.log",
      relayed("Dec 30 10:00:00", "99999CCCCC", "erin@corp.example", {{"e@five.example", "sent"}}),
      utc(2028, 3, 1, 0, 0, 0))});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 1u);
  EXPECT_EQ(mails_[0].time, utc(2026, 12, 30, 10, 0, 0));
}

TEST_F(HistorySourcesTest, Rfc3339TimestampsAreConvertedToUtc) {
  std::string log;
  const std::string stamp = "2026-11-28T09:07:26.123456+01:00";
  log += stamp +
         " mx2 postfix/qmgr[17]: 4Nc1Xz0abcDEfGhJ: from=<alice@corp.example>, size=10, "
         "nrcpt=1 (queue active)\n";
  log += stamp +
         " mx2 postfix/smtp[18]: 4Nc1Xz0abcDEfGhJ: to=<bob@partner.example>, "
         "relay=mx.partner.example[192.0.2.9]:25, delay=0.2, dsn=2.0.0, status=sent (250 "
         "2.0.0 Ok)\n";
  log += "2026-11-28T08:07:27Z mx2 postfix/qmgr[17]: 4Nc1Xz0abcDEfGhJ: removed\n";
  auto stats = read({write("mail.log", log)});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 1u);
  EXPECT_EQ(mails_[0].queue_id, "4Nc1Xz0abcDEfGhJ");  // a long queue id
  EXPECT_EQ(mails_[0].time, utc(2026, 11, 28, 8, 7, 26) + std::chrono::microseconds(123456));
  EXPECT_EQ(mails_[0].identity, "postfix:mx2/4Nc1Xz0abcDEfGhJ:2026-11-28");
}

TEST_F(HistorySourcesTest, TraditionalTimestampsUseThisMachinesTimeZoneByDefault) {
  // Central European time as a POSIX rule (no tz database needed): +1 in winter, +2 in summer.
  const char* saved = std::getenv("TZ");
  std::string saved_tz = saved != nullptr ? saved : "";
  ::setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  ::tzset();
  options_.log.utc_offset.reset();
  std::string log =
      relayed("Jul  1 10:00:00", "AAAAA11111", "a@corp.example", {{"x@one.example", "sent"}});
  log += relayed("Nov 28 09:07:26", "BBBBB22222", "b@corp.example", {{"y@two.example", "sent"}});
  auto stats = read({write("mail.log", log)});
  if (saved != nullptr) {
    ::setenv("TZ", saved_tz.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 2u);
  EXPECT_EQ(mails_[0].time, utc(2026, 7, 1, 8, 0, 0));
  EXPECT_EQ(mails_[1].time, utc(2026, 11, 28, 8, 7, 26));
}

TEST_F(HistorySourcesTest, ServicesInstancesAndContentFilters) {
  std::string log;
  // postfix/relay/smtp and lmtp deliver; postfix-out is another instance with its own queue.
  log += log_line("Nov 28 08:00:00", "postfix/qmgr",
                  "AB12CD34EF: from=<alice@corp.example>, size=1, nrcpt=2 (queue active)");
  log += log_line("Nov 28 08:00:00", "postfix-out/qmgr",
                  "AB12CD34EF: from=<other@corp.example>, size=1, nrcpt=1 (queue active)");
  log += log_line(
      "Nov 28 08:00:01", "postfix/relay/smtp",
      "AB12CD34EF: to=<a@one.example>, orig_to=<alias@corp.example>, relay=x[192.0.2.1]:25, "
      "dsn=2.0.0, status=sent (250 Ok)");
  log += log_line("Nov 28 08:00:01", "postfix/lmtp",
                  "AB12CD34EF: to=<b@corp.example>, relay=mail.corp.example[private/dovecot-lmtp], "
                  "dsn=2.0.0, status=sent (250 2.0.0 Saved)");
  log += log_line("Nov 28 08:00:02", "postfix-out/smtp",
                  "AB12CD34EF: to=<c@three.example>, relay=y[192.0.2.3]:25, dsn=2.0.0, status=sent "
                  "(250 Ok)");
  // Local delivery is not mail leaving; a content filter hand-off is not a delivery.
  log += log_line("Nov 28 08:00:03", "postfix/local",
                  "AB12CD34EF: to=<root@corp.example>, relay=local, dsn=2.0.0, status=sent "
                  "(delivered to mailbox)");
  log += log_line("Nov 28 08:00:03", "postfix/smtp",
                  "FEDCBA9876: to=<d@four.example>, relay=127.0.0.1[127.0.0.1]:10024, dsn=2.0.0, "
                  "status=sent (250 2.0.0 Ok, id=1, from MTA([127.0.0.1]:10025): 250 2.0.0 Ok: "
                  "queued as 1234567ABC)");
  log += log_line("Nov 28 08:00:04", "postfix/qmgr", "AB12CD34EF: removed");
  log += log_line("Nov 28 08:00:04", "postfix-out/qmgr", "AB12CD34EF: removed");
  log += log_line("Nov 28 08:00:04", "postfix/qmgr", "FEDCBA9876: removed");
  auto stats = read({write("mail.log", log)});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 2u);
  EXPECT_EQ(mails_[0].sender, "alice@corp.example");
  EXPECT_EQ(mails_[0].recipients, (Strings{"a@one.example", "b@corp.example"}));
  EXPECT_EQ(mails_[1].sender, "other@corp.example");
  EXPECT_EQ(mails_[1].recipients, (Strings{"c@three.example"}));
  EXPECT_EQ(mails_[1].identity, "postfix:mx1/postfix-out/AB12CD34EF:2026-11-28");
}

TEST_F(HistorySourcesTest, GarbageAndInvalidUtf8AreSurvived) {
  std::string log;
  log += std::string("\xff\xfe\x00garbage without a timestamp\n", 31);
  log += std::string("Nov 28 08:00:00 mx1 postfix/smtp[1]: ABCDE12345: to=<broken, status=sent\n");
  log += "Nov 31 08:00:00 mx1 postfix/qmgr[1]: ABCDE12345: removed\n";  // no such day
  log += "\n";
  log += std::string(100000, 'x') + "\n";  // longer than max_line_bytes
  log += relayed("Nov 28 08:01:00", "ABCDE67890", "\xc3(bad@corp.example",
                 {{"r\xe9sum\xe9@remote.example", "sent"}});
  log += "Nov 28 08:02:00 mx1 postfix/qmgr[1]:";  // cut short, no newline
  options_.log.max_line_bytes = 4096;
  auto stats = read({write("mail.log", log)});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 1u);
  EXPECT_EQ(mails_[0].sender, "\xc3(bad@corp.example");  // bytes kept as logged
  EXPECT_EQ(mails_[0].recipients, (Strings{"r\xe9sum\xe9@remote.example"}));
  EXPECT_EQ(stats->malformed_lines, 4u);  // garbage, broken to=, 31 November, overlong
}

TEST_F(HistorySourcesTest, DamagedGzipIsAnErrorNamingItAfterDeliveringWhatWasRead) {
  std::string log;
  for (int i = 0; i < 2000; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%010X", 0x10000 + i);
    log += relayed("Nov 27 10:00:00", id, "alice@corp.example", {{"a@one.example", "sent"}});
  }
  fs::path gz = write_gzip("mail.log.1.gz", log, utc(2026, 11, 27, 23, 0, 0));
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 1000u);
  fs::path live = write("mail.log", relayed("Nov 28 08:00:00", "FFFFF00000", "bob@corp.example",
                                            {{"b@two.example", "sent"}}));

  // Truncated: cut in the middle.
  write("mail.log.1.gz", bytes.substr(0, bytes.size() / 2), utc(2026, 11, 27, 23, 0, 0));
  auto stats = read({live, gz});
  ASSERT_FALSE(stats.has_value());
  EXPECT_NE(stats.error().message.find("mail.log.1.gz"), std::string::npos)
      << stats.error().message;
  EXPECT_NE(stats.error().message.find("truncated"), std::string::npos) << stats.error().message;
  EXPECT_GT(mails_.size(), 100u);
  EXPECT_LT(mails_.size(), 2000u);
  EXPECT_EQ(mails_.front().queue_id, "0000010000");

  // Corrupt: bytes flipped in the middle of the deflate data.
  std::string corrupt = bytes;
  for (std::size_t i = corrupt.size() / 2; i < corrupt.size() / 2 + 64; ++i) corrupt[i] ^= 0x5a;
  write("mail.log.1.gz", corrupt, utc(2026, 11, 27, 23, 0, 0));
  stats = read({live, gz});
  ASSERT_FALSE(stats.has_value());
  EXPECT_NE(stats.error().message.find("mail.log.1.gz"), std::string::npos)
      << stats.error().message;
}

TEST_F(HistorySourcesTest, ReadingTheSameFilesTwiceGivesTheSameIdentities) {
  fs::path p1 = write_gzip(
      "mail.log.1.gz",
      relayed("Nov 27 10:00:00", "ABC123DEF", "a@corp.example", {{"x@one.example", "sent"}}),
      utc(2026, 11, 27, 23, 0, 0));
  fs::path p0 = write("mail.log", relayed("Nov 28 10:00:00", "ABC123DEF", "b@corp.example",
                                          {{"y@two.example", "sent"}}));
  ASSERT_TRUE(read({p0, p1}).has_value());
  std::vector<SentMail> first = mails_;
  ASSERT_TRUE(read({p1, p0}).has_value());
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(mails_.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(first[i].identity, mails_[i].identity);
    EXPECT_EQ(first[i].time, mails_[i].time);
  }
  EXPECT_NE(first[0].identity, first[1].identity);
}

TEST_F(HistorySourcesTest, TimeBoundsSkipAndCount) {
  std::string log =
      relayed("Nov 26 10:00:00", "AAAAA11111", "a@corp.example", {{"x@one.example", "sent"}});
  log += relayed("Nov 27 10:00:00", "BBBBB22222", "b@corp.example", {{"y@two.example", "sent"}});
  log += relayed("Nov 28 10:00:00", "CCCCC33333", "c@corp.example", {{"z@three.example", "sent"}});
  options_.since = utc(2026, 11, 27, 10, 0, 0);
  options_.until = utc(2026, 11, 28, 10, 0, 0);
  auto stats = read({write("mail.log", log)});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 1u);
  EXPECT_EQ(mails_[0].queue_id, "BBBBB22222");
  EXPECT_EQ(stats->messages, 1u);
  EXPECT_EQ(stats->outside_time_bounds, 2u);
}

TEST_F(HistorySourcesTest, LogLineParserCutsTheParts) {
  auto line = parse_postfix_log_line(
      "Nov  8 08:07:26 mx1 postfix/submission/smtp[99]: 4BC1D2E3F4: to=<x@y.example>, "
      "relay=r[192.0.2.1]:25, delay=1, dsn=4.4.1, status=deferred (timeout)");
  EXPECT_EQ(line.kind, LogLineKind::kDelivery);
  EXPECT_EQ(line.timestamp, "Nov  8 08:07:26");
  EXPECT_EQ(line.host, "mx1");
  EXPECT_EQ(line.queue_id, "4BC1D2E3F4");
  EXPECT_EQ(line.address, "x@y.example");
  EXPECT_EQ(line.status, "deferred");
  EXPECT_EQ(
      parse_postfix_log_line("Nov 28 08:07:26 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT").kind,
      LogLineKind::kIgnored);
  EXPECT_EQ(parse_postfix_log_line("Nov 28 08:07:26 mx1 postfix/qmgr[1]: ABCDEF123: removed").kind,
            LogLineKind::kRemoved);
  EXPECT_EQ(parse_postfix_log_line("Nov 28 08:07:26 mx1 postfix/qmgr[1]: ABCDEF123: from=<>, "
                                   "size=1, nrcpt=1 (queue active)")
                .kind,
            LogLineKind::kSender);
  EXPECT_EQ(parse_postfix_log_line("Nov 28 0").kind, LogLineKind::kMalformed);
}

// ---- detection and errors ------------------------------------------------------------------

TEST_F(HistorySourcesTest, KindsAreDetectedByContent) {
  EXPECT_EQ(detect_source_kind(write("a", "Nov 28 08:07:26 mx1 kernel: x\n")),
            SourceKind::kMailLog);
  EXPECT_EQ(detect_source_kind(write_gzip("b", "2026-11-28T08:07:26Z mx1 kernel: x\n",
                                          utc(2026, 11, 28, 9, 0, 0))),
            SourceKind::kMailLog);
  EXPECT_EQ(
      detect_source_kind(write("c.log", "From a@b Sat Nov 28 08:07:26 2026\nTo: x@y\n\nhi\n")),
      SourceKind::kMbox);
  EXPECT_EQ(detect_source_kind(write("d.txt", "From: a@b\nTo: x@y\n\nhi\n")), SourceKind::kEmlFile);
  EXPECT_EQ(detect_source_kind(write("empty.log", "")), SourceKind::kMailLog);
  fs::create_directories(dir_ / "md" / "cur");
  EXPECT_EQ(detect_source_kind(dir_ / "md"), SourceKind::kMaildir);
  fs::create_directories(dir_ / "emls");
  EXPECT_EQ(detect_source_kind(dir_ / "emls"), SourceKind::kEmlFolder);
  auto unknown = detect_source_kind(write("e.bin", "\x01\x02 nothing mail-like\n"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("e.bin"), std::string::npos);

  auto missing = read({dir_ / "no-such.log"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_NE(missing.error().message.find("no-such.log"), std::string::npos);
}

// ---- archives ------------------------------------------------------------------------------

std::string message(const std::string& headers, const std::string& body) {
  return headers + "\n" + body;
}

std::string to_crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const std::string kFirst = message(
    "From: Alice <alice@corp.example>\n"
    "To: Bob <bob@partner.example>, \"Doe, John\" <john@partner.example> (the boss)\n"
    "Cc: Team: carol@corp.example, dave@exmaple.org;\n"
    "Bcc: eve@army.ml\n"
    "Date: Fri, 27 Nov 2026 10:15:00 +0100\n"
    "Message-ID: <first@corp.example>\n"
    "Subject: plans\n",
    "Hello.\n>From here on, quoted.\n>>From twice.\nFrom the start of a line.\nBye.\n");
const std::string kNoMessageId = message(
    "From: alice@corp.example\n"
    "To:\n bob@partner.example,\n\tfrank@other.example\n"
    "Date: Sat, 28 Nov 2026 08:00:00 +0000\n",
    "No id.\n");
const std::string kNoDate = message(
    "From: alice@corp.example\n"
    "To: grace@third.example\n"
    "Message-ID: <nodate@corp.example>\n",
    "No date.\n");

std::string mbox_escape(const std::string& msg) {
  std::string out;
  std::size_t start = 0;
  while (start < msg.size()) {
    std::size_t end = msg.find('\n', start);
    std::string line =
        msg.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
    std::size_t q = line.find_first_not_of('>');
    if (q != std::string::npos && line.compare(q, 5, "From ") == 0) line = ">" + line;
    out += line;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string mbox_of(const std::vector<std::string>& messages) {
  std::string out;
  for (const auto& m : messages) {
    out += "From alice@corp.example Sat Nov 28 08:00:00 2026\n" + mbox_escape(m) + "\n";
  }
  return out;
}

TEST_F(HistorySourcesTest, MboxMessagesWithEscapesAndMissingHeaders) {
  const system_clock::time_point file_time = utc(2026, 11, 28, 11, 0, 0);
  fs::path path = write("sent.mbox", mbox_of({kFirst, kNoMessageId, kNoDate}), file_time);
  auto stats = read({path});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 3u);

  const SentMail& first = mails_[0];
  EXPECT_EQ(first.sender, "alice@corp.example");
  EXPECT_EQ(first.recipients, (Strings{"bob@partner.example", "john@partner.example",
                                       "carol@corp.example", "dave@exmaple.org", "eve@army.ml"}));
  EXPECT_EQ(first.time, utc(2026, 11, 27, 9, 15, 0));
  EXPECT_EQ(first.message_id, "first@corp.example");
  EXPECT_EQ(first.identity, "first@corp.example");
  EXPECT_EQ(first.origin, "sent.mbox:#1");
  EXPECT_EQ(first.raw, kFirst);  // unescaped, without the From_ line or the blank line after
  EXPECT_TRUE(first.queue_id.empty());

  const SentMail& second = mails_[1];
  EXPECT_EQ(second.recipients, (Strings{"bob@partner.example", "frank@other.example"}));
  EXPECT_EQ(second.message_id, "");
  EXPECT_EQ(second.identity.rfind("header-fnv1a64:", 0), 0u) << second.identity;
  EXPECT_EQ(second.identity.size(), 15u + 16u);
  EXPECT_EQ(second.origin, "sent.mbox:#2");
  EXPECT_EQ(second.raw, kNoMessageId);

  const SentMail& third = mails_[2];
  EXPECT_EQ(third.time, file_time);
  EXPECT_EQ(third.recipients, (Strings{"grace@third.example"}));
  EXPECT_EQ(third.raw, kNoDate);
  EXPECT_EQ(stats->messages, 3u);

  // The same mailbox with CRLF line ends: the same records, CRLF kept in raw, same digest.
  std::vector<SentMail> lf = mails_;
  stats = read({write("sent-crlf.mbox", to_crlf(mbox_of({kFirst, kNoMessageId, kNoDate})))});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(mails_[i].recipients, lf[i].recipients);
    EXPECT_EQ(mails_[i].identity, lf[i].identity);
    EXPECT_EQ(mails_[i].raw, to_crlf(i == 0 ? kFirst : i == 1 ? kNoMessageId : kNoDate));
  }
}

TEST_F(HistorySourcesTest, EnvelopesOnlyGiveTheSameRecordsWithoutBodies) {
  // LF and CRLF, with and without a Message-ID (whose identity digests the header block).
  std::string lf = mbox_of({kFirst, kNoMessageId, kNoDate});
  for (const std::string& content : {lf, to_crlf(lf)}) {
    fs::path path = write("sent.mbox", content, utc(2026, 11, 28, 11, 0, 0));
    ASSERT_TRUE(read({path}));
    std::vector<SentMail> whole = mails_;
    options_.archive.keep_bodies = false;
    ASSERT_TRUE(read({path}));
    options_.archive.keep_bodies = true;
    ASSERT_EQ(mails_.size(), whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(mails_[i].sender, whole[i].sender);
      EXPECT_EQ(mails_[i].recipients, whole[i].recipients);
      EXPECT_EQ(mails_[i].time, whole[i].time);
      EXPECT_EQ(mails_[i].identity, whole[i].identity);
      EXPECT_EQ(mails_[i].origin, whole[i].origin);
      EXPECT_FALSE(whole[i].raw.empty());
      EXPECT_TRUE(mails_[i].raw.empty());
    }
  }
}

TEST_F(HistorySourcesTest, MboxSplitsOnlyAfterBlankLines) {
  std::vector<std::string> seen;
  split_mbox(
      "preamble\n\nFrom a Sat\nTo: x@y\n\nbody\nFrom not a separator\n\nFrom b Sun\nTo: z@w\n",
      [&](std::string_view m, std::uint64_t n) {
        seen.push_back(std::to_string(n) + "|" + std::string(m));
        return true;
      });
  EXPECT_EQ(seen, (Strings{"1|To: x@y\n\nbody\nFrom not a separator\n", "2|To: z@w\n"}));
  seen.clear();
  split_mbox("\r\n\nFrom a Sat\nTo: x@y\n\nbody\n\n", [&](std::string_view m, std::uint64_t n) {
    seen.push_back(std::to_string(n) + "|" + std::string(m));
    return true;
  });
  EXPECT_EQ(seen, (Strings{"1|To: x@y\n\nbody\n"}));
  EXPECT_EQ(detect_source_kind(write("lead.mbox", "\nFrom a Sat\nTo: x@y\n\nbody\n")),
            SourceKind::kMbox);
  EXPECT_EQ(unescape_mbox_message("a\n>From b\n>>From c\n> From d\n"),
            "a\nFrom b\n>From c\n> From d\n");
  // Separators and escapes at every offset within and across eight-byte words, beside near
  // misses ("\nFrog", a lone 'F').
  for (std::size_t pad = 0; pad < 20; ++pad) {
    std::string body(pad, 'F');
    seen.clear();
    split_mbox("From a\nTo: x@y\n\n" + body + "\nFrog\n\nFrom b\nTo: z@w\n\nend" + body,
               [&](std::string_view m, std::uint64_t n) {
                 seen.push_back(std::to_string(n) + "|" + std::string(m));
                 return true;
               });
    EXPECT_EQ(seen, (Strings{"1|To: x@y\n\n" + body + "\nFrog\n", "2|To: z@w\n\nend" + body}))
        << pad;
    EXPECT_EQ(unescape_mbox_message(body + "\n>From c\n>" + body), body + "\nFrom c\n>" + body)
        << pad;
  }
}

TEST_F(HistorySourcesTest, MaildirAndEmlFolders) {
  write("Maildir/cur/1700000000.M1P2.host:2,S", kFirst);
  write("Maildir/new/1700000001.M1P3.host", kNoDate);
  write("Maildir/tmp/1700000002.M1P4.host", kNoMessageId);  // still being written
  auto stats = read({dir_ / "Maildir"});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 2u);
  EXPECT_EQ(mails_[0].origin, "Maildir/cur/1700000000.M1P2.host:2,S");
  EXPECT_EQ(mails_[0].identity, "first@corp.example");
  EXPECT_EQ(mails_[0].raw, kFirst);
  EXPECT_EQ(mails_[1].origin, "Maildir/new/1700000001.M1P3.host");
  EXPECT_EQ(stats->files, 2u);

  write("export/2026/a.eml", kFirst);
  write("export/2026/11/b.EML", to_crlf(kNoMessageId));
  write("export/notes.txt", kNoDate);  // not an .eml
  write("export/draft.eml", "From: alice@corp.example\nSubject: no recipients\n\n.\n");
  stats = read({dir_ / "export"});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 2u);
  EXPECT_EQ(mails_[0].origin, "export/2026/11/b.EML");
  EXPECT_EQ(mails_[0].recipients, (Strings{"bob@partner.example", "frank@other.example"}));
  EXPECT_EQ(mails_[1].origin, "export/2026/a.eml");
  EXPECT_EQ(stats->skipped_messages, 1u);  // the draft

  stats = read({dir_ / "export/2026/a.eml"});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  ASSERT_EQ(mails_.size(), 1u);
  EXPECT_EQ(mails_[0].origin, "a.eml");
  EXPECT_EQ(mails_[0].sender, "alice@corp.example");
}

TEST_F(HistorySourcesTest, ResentMessageIsTheResending) {
  std::string raw = message(
      "Resent-From: Harry <harry@corp.example>\n"
      "Resent-To: ivan@new.example\n"
      "Resent-Date: Sat, 28 Nov 2026 09:00:00 +0000\n"
      "Resent-Message-ID: <again@corp.example>\n" +
          kFirst.substr(0, kFirst.find("\n\n") + 1),
      "body\n");
  auto mail = sent_mail_from_message(raw, utc(2026, 1, 1, 0, 0, 0), "r.eml", MailArchiveOptions{});
  ASSERT_TRUE(mail.has_value());
  EXPECT_EQ(mail->sender, "harry@corp.example");
  EXPECT_EQ(mail->recipients, (Strings{"ivan@new.example"}));
  EXPECT_EQ(mail->time, utc(2026, 11, 28, 9, 0, 0));
  EXPECT_EQ(mail->message_id, "first@corp.example");
  EXPECT_EQ(mail->identity, "first@corp.example resent:again@corp.example");
}

TEST_F(HistorySourcesTest, OversizedArchiveMessagesAreSkippedAndCounted) {
  options_.archive.max_message_bytes = 200;
  std::string big = kNoDate + std::string(500, 'x') + "\n";
  auto stats = read({write("big.mbox", mbox_of({kNoDate, big, kNoDate}))});
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  EXPECT_EQ(mails_.size(), 2u);
  EXPECT_EQ(stats->skipped_messages, 1u);
  EXPECT_EQ(mails_[1].origin, "big.mbox:#3");
}

TEST_F(HistorySourcesTest, ProgressReachesTheTotal) {
  fs::path log = write("mail.log", relayed("Nov 28 08:00:00", "ABCDE12345", "a@corp.example",
                                           {{"b@two.example", "sent"}}));
  fs::path mbox = write("sent.mbox", mbox_of({kFirst}));
  std::uint64_t last_done = 0, last_total = 0;
  auto stats = read_mail_sources(
      {log, mbox}, options_, [](SentMail&&) {},
      [&](std::uint64_t done, std::uint64_t total) {
        EXPECT_GE(done, last_done);
        last_done = done;
        last_total = total;
      });
  ASSERT_TRUE(stats.has_value()) << stats.error().message;
  EXPECT_EQ(last_total, fs::file_size(log) + fs::file_size(mbox));
  EXPECT_EQ(last_done, last_total);
  EXPECT_EQ(stats->messages, 2u);
}

}  // namespace
}  // namespace sendguard
