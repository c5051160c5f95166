#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "investigate/report_csv.h"
#include "investigate/report_html.h"
#include "investigate/report_json.h"
#include "investigate/reports.h"
#include "investigate/summary.h"
#include "investigate/text_escape.h"
#include "investigate/timeline.h"

namespace sendguard {
namespace {

using namespace std::chrono;
namespace fs = std::filesystem;
using investigate_internal::PeriodUnit;

constexpr const char* kHostileRecipient = "\"<script>alert(1)</script>\"@army.ml";
constexpr const char* kHostileMessageId = "x</script><script>alert(2)</script>@evil";

system_clock::time_point at(year_month_day date, int hour = 12, int minute = 0) {
  return sys_days(date) + hours(hour) + minutes(minute);
}

MisdirectedMessage misdirected(system_clock::time_point time, std::string recipient,
                               std::string message_id) {
  MisdirectedMessage m;
  m.time = time;
  m.sender = "duty@army.mil";
  m.recipient = std::move(recipient);
  m.domain = m.recipient.substr(m.recipient.rfind('@') + 1);
  m.intended = "army.mil";
  m.kind = "omission";
  m.score = 0.9734;
  m.explanation = m.domain + " looks like army.mil with a letter left out";
  m.message_id = std::move(message_id);
  m.origin = "Sent.mbox:#1";
  m.body_inspected = true;
  return m;
}

Investigation two_messages() {
  Investigation investigation;
  investigation.generated_at = at(2026y / November / 28, 9, 30) + milliseconds(750);
  investigation.since = at(2026y / November / 1, 0);
  investigation.sources = {"/var/log/mail.log", "Sent.mbox"};
  investigation.messages_read = 120;
  investigation.recipients_checked = 300;
  investigation.known_domains = 12;
  MisdirectedMessage first = misdirected(at(2026y / November / 3, 9, 15), "a@army.ml", "m1@x");
  first.findings = {
      {"marking.uk", Confidence::kHigh, "subject", 1, "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE",
       3},
      {"pii.uk-nhs", Confidence::kMedium, "body", 2, "NHS number 943 *** ****", "", 0}};
  MisdirectedMessage second = misdirected(at(2026y / November / 5, 17), "b@arrny.mil", "");
  second.queue_id = "4QABC";
  second.origin = "mail.log:77";
  second.body_inspected = false;
  investigation.misdirected = {first, second};
  return investigation;
}

Investigation hostile() {
  Investigation investigation = two_messages();
  MisdirectedMessage m =
      misdirected(at(2026y / November / 6), kHostileRecipient, kHostileMessageId);
  m.explanation = "<img src=x onerror=alert(3)> & \"quoted\" 'single'";
  m.findings = {{"pii.uk-nhs", Confidence::kLow, "body", 1,
                 "</SCRIPT><!-- \xE2\x80\xA8 line separator", "", 0}};
  investigation.misdirected.push_back(m);
  return investigation;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The text of the data element, where a browser's HTML parser ends it.
std::string embedded_text(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const auto begin = html.find(open);
  EXPECT_NE(begin, std::string::npos);
  const auto end = html.find("</script>", begin);
  return html.substr(begin + open.size(), end - begin - open.size());
}

// The embedded data, as the page's JSON.parse() sees it.
nlohmann::json embedded_data(const std::string& html) {
  return nlohmann::json::parse(embedded_text(html));
}

// A small RFC 4180 reader, to check the writer by reading its output back.
std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      rows.emplace_back(1);
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back().front().empty()) rows.pop_back();
  return rows;
}

// --- JSON -----------------------------------------------------------------------------------

TEST(ReportJson, TimesAreRfc3339UtcToTheSecond) {
  EXPECT_EQ(rfc3339_utc(at(2026y / November / 3, 9, 15) + seconds(7) + milliseconds(999)),
            "2026-11-03T09:15:07Z");
  EXPECT_EQ(rfc3339_utc(system_clock::time_point{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(sys_days(1969y / December / 31) + hours(23)), "1969-12-31T23:00:00Z");
}

TEST(ReportJson, EveryValueComesBack) {
  const Investigation investigation = two_messages();
  const nlohmann::json j = nlohmann::json::parse(render_investigation_json(investigation));
  EXPECT_EQ(j["generated_at"], "2026-11-28T09:30:00Z");
  EXPECT_EQ(j["since"], "2026-11-01T00:00:00Z");
  EXPECT_TRUE(j["until"].is_null());
  EXPECT_EQ(j["sources"], nlohmann::json({"/var/log/mail.log", "Sent.mbox"}));
  EXPECT_EQ(j["messages_read"], 120);
  EXPECT_EQ(j["recipients_checked"], 300);
  EXPECT_EQ(j["known_domains"], 12);
  ASSERT_EQ(j["misdirected"].size(), 2u);

  const nlohmann::json& first = j["misdirected"][0];
  EXPECT_EQ(first["time"], "2026-11-03T09:15:00Z");
  EXPECT_EQ(first["sender"], "duty@army.mil");
  EXPECT_EQ(first["recipient"], "a@army.ml");
  EXPECT_EQ(first["domain"], "army.ml");
  EXPECT_EQ(first["intended"], "army.mil");
  EXPECT_EQ(first["kind"], "omission");
  EXPECT_DOUBLE_EQ(first["score"].get<double>(), 0.973);
  EXPECT_EQ(first["explanation"], "army.ml looks like army.mil with a letter left out");
  EXPECT_TRUE(first["queue_id"].is_null());
  EXPECT_EQ(first["message_id"], "m1@x");
  EXPECT_EQ(first["origin"], "Sent.mbox:#1");
  EXPECT_EQ(first["body_inspected"], true);
  ASSERT_EQ(first["findings"].size(), 2u);
  EXPECT_EQ(first["findings"][0], nlohmann::json({{"detector", "marking.uk"},
                                                  {"confidence", "high"},
                                                  {"where", "subject"},
                                                  {"count", 1},
                                                  {"excerpt", "OFFICIAL-SENSITIVE"},
                                                  {"level", "OFFICIAL-SENSITIVE"}}));
  EXPECT_EQ(first["findings"][1]["count"], 2);
  EXPECT_FALSE(first["findings"][1].contains("level"));

  const nlohmann::json& second = j["misdirected"][1];
  EXPECT_EQ(second["queue_id"], "4QABC");
  EXPECT_TRUE(second["message_id"].is_null());
  EXPECT_EQ(second["body_inspected"], false);
  EXPECT_TRUE(second["findings"].empty());

  EXPECT_EQ(j["summary"]["messages"], 2);
  EXPECT_EQ(j["summary"]["sensitive_messages"], 1);
  EXPECT_EQ(j["summary"]["first"], "2026-11-03T09:15:00Z");
  EXPECT_EQ(j["summary"]["last"], "2026-11-05T17:00:00Z");
}

TEST(ReportJson, InvalidUtf8IsReplacedNotFatal) {
  Investigation investigation = two_messages();
  investigation.misdirected[0].recipient = "a\xFF\xC0@army.ml";
  const nlohmann::json j = nlohmann::json::parse(render_investigation_json(investigation));
  EXPECT_EQ(j["misdirected"][0]["recipient"], "a\xEF\xBF\xBD\xEF\xBF\xBD@army.ml");
}

// --- CSV ------------------------------------------------------------------------------------

TEST(ReportCsv, HeaderRowsAndFindingsSummary) {
  const std::string csv = render_misdirected_csv(two_messages());
  ASSERT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  const auto rows = parse_csv(std::string_view(csv).substr(3));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"time", "sender", "recipient", "domain", "intended", "kind",
                                      "score", "queue_id", "message_id", "origin", "findings"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2026-11-03T09:15:00Z", "duty@army.mil", "a@army.ml",
                                               "army.ml", "army.mil", "omission", "0.973", "",
                                               "m1@x", "Sent.mbox:#1",
                                               "marking.uk\xC3\x97"
                                               "1; pii.uk-nhs\xC3\x97"
                                               "2"}));
  EXPECT_EQ(rows[2][7], "4QABC");
  EXPECT_EQ(rows[2][10], "");
  EXPECT_NE(csv.find("\r\n"), std::string::npos);
  EXPECT_EQ(occurrences(csv, "\n"), occurrences(csv, "\r\n"));
}

TEST(ReportCsv, QuotesWhatRfc4180Requires) {
  EXPECT_EQ(csv_field("plain@army.ml"), "plain@army.ml");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(""), "");
}

TEST(ReportCsv, FormulaLookingCellsBecomeText) {
  EXPECT_EQ(csv_field("=1+1"), "'=1+1");
  EXPECT_EQ(csv_field("+44 20 7946 0000"), "'+44 20 7946 0000");
  EXPECT_EQ(csv_field("-2+3"), "'-2+3");
  EXPECT_EQ(csv_field("@SUM(A1:A2)"), "'@SUM(A1:A2)");
  EXPECT_EQ(csv_field("\tcmd"), "'\tcmd");
  EXPECT_EQ(csv_field("\r=cmd"), "\"'\r=cmd\"");
  EXPECT_EQ(csv_field("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
  EXPECT_EQ(csv_field("a=b"), "a=b");  // only the first character makes a formula

  Investigation investigation = two_messages();
  investigation.misdirected[0].sender = "=cmd|' /C calc'!A0@army.mil";
  const auto rows = parse_csv(std::string_view(render_misdirected_csv(investigation)).substr(3));
  EXPECT_EQ(rows[1][1], "'=cmd|' /C calc'!A0@army.mil");
}

// --- HTML -----------------------------------------------------------------------------------

TEST(ReportHtml, EscapesTextAndAttributes) {
  EXPECT_EQ(investigate_internal::html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(investigate_internal::to_valid_utf8("ok\x01\x7F\xED\xA0\x80\xF4\x90\x80\x80 é"),
            "ok\xEF\xBF\xBD\xEF\xBF\xBD"                            // two controls
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"                  // a surrogate, byte by byte
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD é");  // past U+10FFFF
}

TEST(ReportHtml, HostileValuesStayText) {
  const std::string html = render_report_html(hostile());
  // Only the page's own two script elements: the data and the code.
  EXPECT_EQ(occurrences(html, "<script"), 2u);
  EXPECT_EQ(occurrences(html, "</script>"), 2u);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  EXPECT_EQ(html.find("</SCRIPT>"), std::string::npos);
  // Shown as text, escaped.
  EXPECT_NE(html.find("&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;@army.ml"),
            std::string::npos);
  EXPECT_NE(html.find("x&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;@evil"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(3)&gt; &amp; &quot;quoted&quot; &#39;"),
            std::string::npos);
  // The embedded data gives the hostile values back unchanged, and holds no raw U+2028.
  const nlohmann::json data = embedded_data(html);
  const nlohmann::json& m = data["investigation"]["misdirected"][2];
  EXPECT_EQ(m["recipient"], kHostileRecipient);
  EXPECT_EQ(m["message_id"], kHostileMessageId);
  EXPECT_EQ(m["findings"][0]["excerpt"], "</SCRIPT><!-- \xE2\x80\xA8 line separator");
  EXPECT_EQ(embedded_text(html).find("\xE2\x80\xA8"), std::string::npos);
}

TEST(ReportHtml, ScriptSafeJsonEscapesOnlyInsideStrings) {
  const nlohmann::ordered_json j = {{"a", "</script>&\xE2\x80\xA9"}, {"n", 1}};
  EXPECT_EQ(investigate_internal::script_safe_json(j),
            R"({"a":"\u003c/script\u003e\u0026\u2029","n":1})");
}

TEST(ReportHtml, SelfContainedWithAPolicyThatLoadsNothing) {
  const std::string html = render_report_html(two_messages());
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
}

TEST(ReportHtml, HeadlineTablesAndSensitiveRows) {
  const std::string html = render_report_html(two_messages());
  EXPECT_NE(html.find("<strong>2 messages</strong> went to lookalike domains between "
                      "2026-11-03 09:15 UTC and 2026-11-05 17:00 UTC: 2 recipients, sent by 1 "
                      "sender."),
            std::string::npos);
  EXPECT_NE(html.find("1 message carried sensitive content."), std::string::npos);
  EXPECT_NE(html.find("<title id=\"timeline-title\">Misdirected messages per day</title>"),
            std::string::npos);
  // The fallback table: three days, the quiet one included.
  EXPECT_NE(html.find("<tr><td>2026-11-04</td><td class=\"num\">0</td>"), std::string::npos);
  EXPECT_NE(html.find("&larr; <span class=\"domain lookalike\">army.ml</span>, <span "
                      "class=\"domain lookalike\">arrny.mil</span>"),
            std::string::npos);
  EXPECT_EQ(occurrences(html, "<tr class=\"sensitive\">"), 1u + 2u);  // message, domain, sender
  EXPECT_NE(html.find("not known (log)"), std::string::npos);
  const nlohmann::json data = embedded_data(html);
  EXPECT_EQ(data["timeline"]["unit"], "day");
  EXPECT_EQ(data["timeline"]["periods"].size(), 3u);
}

TEST(ReportHtml, EmptyInvestigationSaysSoWithoutAChart) {
  Investigation investigation = two_messages();
  investigation.misdirected.clear();
  const std::string html = render_report_html(investigation);
  EXPECT_NE(html.find("No misdirected messages found"), std::string::npos);
  EXPECT_NE(html.find("None of the 120 messages read went to a lookalike of the 12 known domains"),
            std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("id=\"message-table\""), std::string::npos);
  EXPECT_EQ(html.find("went to lookalike domains"), std::string::npos);
  const nlohmann::json data = embedded_data(html);
  EXPECT_TRUE(data["timeline"]["periods"].empty());
  EXPECT_TRUE(data["investigation"]["misdirected"].empty());
  EXPECT_TRUE(data["investigation"]["summary"]["first"].is_null());

  const std::string csv = render_misdirected_csv(investigation);
  EXPECT_EQ(parse_csv(std::string_view(csv).substr(3)).size(), 1u);  // the header only
}

// --- Timeline and summary --------------------------------------------------------------------

Investigation spread_over(int days_apart) {
  Investigation investigation;
  const auto first = at(2026y / January / 7);  // a Wednesday
  investigation.misdirected = {
      misdirected(first, "a@army.ml", "m1"),
      misdirected(first + days(days_apart), "b@army.ml", "m2"),
  };
  return investigation;
}

TEST(ReportTimeline, PeriodGrowsWithTheSpan) {
  EXPECT_EQ(investigate_internal::build_timeline(spread_over(9).misdirected).unit,
            PeriodUnit::kDay);
  EXPECT_EQ(investigate_internal::build_timeline(spread_over(44).misdirected).unit,
            PeriodUnit::kDay);  // 45 days
  EXPECT_EQ(investigate_internal::build_timeline(spread_over(45).misdirected).unit,
            PeriodUnit::kWeek);
  EXPECT_EQ(investigate_internal::build_timeline(spread_over(365).misdirected).unit,
            PeriodUnit::kWeek);  // 366 days
  EXPECT_EQ(investigate_internal::build_timeline(spread_over(366).misdirected).unit,
            PeriodUnit::kMonth);
}

TEST(ReportTimeline, DaysRunWithoutGaps) {
  const auto timeline = investigate_internal::build_timeline(spread_over(9).misdirected);
  ASSERT_EQ(timeline.periods.size(), 10u);
  EXPECT_EQ(investigate_internal::iso_date(timeline.periods[0].start), "2026-01-07");
  EXPECT_EQ(timeline.periods[0].messages, 1u);
  EXPECT_EQ(timeline.periods[1].messages, 0u);
  EXPECT_EQ(timeline.periods[9].messages, 1u);
  EXPECT_EQ(period_label(timeline.unit, timeline.periods[0]), "2026-01-07");
  EXPECT_EQ(period_tick(timeline.unit, timeline.periods[0]), "7 Jan");
}

TEST(ReportTimeline, WeeksStartOnMonday) {
  const auto timeline = investigate_internal::build_timeline(spread_over(100).misdirected);
  ASSERT_EQ(timeline.unit, PeriodUnit::kWeek);
  EXPECT_EQ(investigate_internal::iso_date(timeline.periods.front().start), "2026-01-05");
  EXPECT_EQ(investigate_internal::iso_date(timeline.periods.front().end), "2026-01-11");
  // 2026-04-17 is a Friday in the week of Monday 2026-04-13.
  EXPECT_EQ(investigate_internal::iso_date(timeline.periods.back().start), "2026-04-13");
  EXPECT_EQ(timeline.periods.size(), 15u);
  EXPECT_EQ(period_label(timeline.unit, timeline.periods.front()), "week of 2026-01-05");
}

TEST(ReportTimeline, MonthsForLongSpans) {
  const auto timeline = investigate_internal::build_timeline(spread_over(400).misdirected);
  ASSERT_EQ(timeline.unit, PeriodUnit::kMonth);
  ASSERT_EQ(timeline.periods.size(), 14u);  // January 2026 to February 2027
  EXPECT_EQ(investigate_internal::iso_date(timeline.periods[1].start), "2026-02-01");
  EXPECT_EQ(investigate_internal::iso_date(timeline.periods[1].end), "2026-02-28");
  EXPECT_EQ(period_label(timeline.unit, timeline.periods.back()), "February 2027");
  EXPECT_EQ(period_tick(timeline.unit, timeline.periods.back()), "Feb 2027");
  EXPECT_EQ(timeline.periods.front().messages + timeline.periods.back().messages, 2u);
}

TEST(ReportTimeline, AMessageWithTwoLookalikeRecipientsCountsOnce) {
  Investigation investigation = two_messages();
  MisdirectedMessage again = investigation.misdirected[0];
  again.recipient = "c@army.ml";
  investigation.misdirected.insert(investigation.misdirected.begin() + 1, again);
  const auto timeline = investigate_internal::build_timeline(investigation.misdirected);
  EXPECT_EQ(timeline.periods[0].messages, 1u);
  EXPECT_EQ(timeline.periods[0].sensitive_messages, 1u);
  const auto summary = investigate_internal::summarize(investigation);
  EXPECT_EQ(summary.entries, 3u);
  EXPECT_EQ(summary.messages, 2u);
  EXPECT_EQ(summary.recipients, 3u);
}

TEST(ReportSummary, DomainsAndSendersMostAffectedFirst) {
  Investigation investigation = two_messages();
  MisdirectedMessage nhs = misdirected(at(2026y / November / 4), "x@nhs.co", "m9");
  nhs.intended = "nhs.uk";
  nhs.sender = "Ward@NHS.uk";
  investigation.misdirected.push_back(nhs);
  nhs.sender = "ward@nhs.uk";
  nhs.message_id = "m10";
  investigation.misdirected.push_back(nhs);
  const auto summary = investigate_internal::summarize(investigation);
  ASSERT_EQ(summary.intended_domains.size(), 2u);
  EXPECT_EQ(summary.intended_domains[0].name, "army.mil");
  EXPECT_EQ(summary.intended_domains[0].messages, 2u);
  EXPECT_EQ(summary.intended_domains[0].lookalikes,
            (std::vector<std::string>{"army.ml", "arrny.mil"}));
  EXPECT_EQ(summary.intended_domains[0].sensitive_messages, 1u);
  EXPECT_EQ(summary.intended_domains[1].name, "nhs.uk");
  EXPECT_EQ(summary.intended_domains[1].messages, 2u);
  EXPECT_EQ(summary.intended_domains[1].recipients, 1u);
  // Senders are grouped whatever their case, and shown as first written.
  ASSERT_EQ(summary.senders_by_messages.size(), 2u);
  EXPECT_EQ(summary.senders_by_messages[0].name, "duty@army.mil");
  EXPECT_EQ(summary.senders_by_messages[1].name, "Ward@NHS.uk");
  EXPECT_EQ(summary.senders_by_messages[1].messages, 2u);
  EXPECT_EQ(summary.uninspected_messages, 1u);
}

// --- Writing the files ------------------------------------------------------------------------

class ReportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/report_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    old_umask_ = ::umask(022);
  }
  void TearDown() override {
    ::umask(old_umask_);
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(root_);
  }
  std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  fs::path root_;
  mode_t old_umask_ = 022;
};

TEST_F(ReportFiles, WritesThreeFilesIntoANewDirectory) {
  const fs::path out = root_ / "a" / "b";
  const auto paths = write_investigation_reports(two_messages(), out.string());
  ASSERT_TRUE(paths) << paths.error().message;
  EXPECT_EQ(paths->html, (out / "report.html").string());
  EXPECT_EQ(paths->csv, (out / "misdirected.csv").string());
  EXPECT_EQ(paths->json, (out / "investigation.json").string());
  EXPECT_EQ(entries(out),
            (std::vector<std::string>{"investigation.json", "misdirected.csv", "report.html"}));
  EXPECT_EQ(read_file(paths->json), render_investigation_json(two_messages()));
  EXPECT_EQ(read_file(paths->csv), render_misdirected_csv(two_messages()));
  EXPECT_NE(read_file(paths->html).find("</html>"), std::string::npos);

  struct stat status {};
  ASSERT_EQ(::stat(out.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0750u);
  ASSERT_EQ(::stat((root_ / "a").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0750u);
  ASSERT_EQ(::stat(paths->html.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0640u);
}

TEST_F(ReportFiles, ReplacesAnEarlierReport) {
  ASSERT_TRUE(write_investigation_reports(two_messages(), root_.string()));
  Investigation empty = two_messages();
  empty.misdirected.clear();
  const auto paths = write_investigation_reports(empty, root_.string());
  ASSERT_TRUE(paths) << paths.error().message;
  EXPECT_NE(read_file(paths->html).find("No misdirected messages found"), std::string::npos);
  EXPECT_EQ(entries(root_).size(), 3u);
}

TEST_F(ReportFiles, OutputDirectoryIsAFile) {
  const fs::path file = root_ / "not-a-dir";
  std::ofstream(file) << "x";
  auto result = write_investigation_reports(two_messages(), file.string());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kIo);
  EXPECT_NE(result.error().message.find(file.string()), std::string::npos)
      << result.error().message;

  result = write_investigation_reports(two_messages(), (file / "sub").string());
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find((file / "sub").string()), std::string::npos)
      << result.error().message;
}

TEST_F(ReportFiles, AFailedWriteLeavesNoHalfReport) {
  ASSERT_TRUE(write_investigation_reports(two_messages(), root_.string()));
  const std::string json_before = read_file(root_ / "investigation.json");
  fs::remove(root_ / "report.html");
  fs::create_directory(root_ / "report.html");  // in the way of the last file

  Investigation other = hostile();
  const auto result = write_investigation_reports(other, root_.string());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kIo);
  EXPECT_NE(result.error().message.find((root_ / "report.html").string()), std::string::npos)
      << result.error().message;
  // Nothing was replaced and no temporary file is left.
  EXPECT_EQ(read_file(root_ / "investigation.json"), json_before);
  EXPECT_EQ(entries(root_),
            (std::vector<std::string>{"investigation.json", "misdirected.csv", "report.html"}));
}

// Runs as another user when run as root, since root may write anywhere.
TEST_F(ReportFiles, NoPermission) {
  fs::permissions(root_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  const fs::path locked = root_ / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    const auto result = write_investigation_reports(two_messages(), (locked / "out").string());
    const std::string message = result ? "" : result.error().message;
    if (::write(pipe_fds[1], message.data(), message.size()) < 0) ::_exit(4);
    ::_exit(result ? 1 : 0);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the write did not fail";
  EXPECT_NE(message.find((locked / "out").string()), std::string::npos) << message;
  EXPECT_NE(message.find("Permission denied"), std::string::npos) << message;
}

}  // namespace
}  // namespace sendguard
