// parse_message(): headers, bodies, charsets, nested messages, attachments, and the hostile
// corpus (every hostile message must list something unscannable and must not crash).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "mime/mime.h"
#include "mime/test_message_builder.h"

namespace sendguard {
namespace {

using namespace mime_testing;

ParsedMessage parse(const std::string& raw, const MimeLimits& limits = {}) {
  auto parsed = parse_message(raw, limits);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message);
  return parsed ? std::move(*parsed) : ParsedMessage{};
}

std::string texts_of(const ParsedMessage& m) {
  std::string all;
  for (const auto& segment : m.texts) all += segment.where + "|" + segment.text + "\n";
  return all;
}

std::string unscannable_of(const ParsedMessage& m) {
  std::string all;
  for (const auto& u : m.unscannable) all += u.where + "|" + u.reason + "\n";
  return all;
}

std::string header(const ParsedMessage& m, std::string_view name) {
  for (const auto& [n, v] : m.headers) {
    if (n == name) return v;
  }
  return "<missing>";
}

TEST(ParseMessage, HeadersSubjectAndMailboxes) {
  std::string raw =
      "From: =?UTF-8?B?SsO2cmc=?= <jorg@example.de>\r\n"
      "To: \"Doe, Jane\" <jane@example.com>, bob@example.org,\r\n team: a@x.com, b@y.com;\r\n"
      "Cc: =?ISO-8859-1?Q?Fran=E7ois?= <f@example.fr>\r\n"
      "Bcc: hidden@example.net\r\n"
      "Subject: =?UTF-8?Q?OFFICIAL-SENSITIVE:_caf=C3=A9?= =?UTF-8?B?IHJlcG9ydA==?=\r\n"
      "X-Custom: plain value\r\n"
      "\r\nHello.\r\n";
  ParsedMessage m = parse(raw);
  EXPECT_EQ(m.subject, "OFFICIAL-SENSITIVE: caf\xC3\xA9 report");
  EXPECT_EQ(header(m, "Subject"), m.subject);
  EXPECT_EQ(header(m, "X-Custom"), "plain value");
  EXPECT_EQ(m.from, "J\xC3\xB6rg <jorg@example.de>");
  EXPECT_EQ(m.to, (std::vector<std::string>{"\"Doe, Jane\" <jane@example.com>", "bob@example.org",
                                            "a@x.com", "b@y.com"}));
  EXPECT_EQ(m.cc, std::vector<std::string>{"Fran\xC3\xA7ois <f@example.fr>"});
  EXPECT_EQ(m.bcc, std::vector<std::string>{"hidden@example.net"});
  EXPECT_EQ(texts_of(m), "subject|OFFICIAL-SENSITIVE: caf\xC3\xA9 report\nbody|Hello.\r\n\n");
  EXPECT_TRUE(m.unscannable.empty()) << unscannable_of(m);
}

TEST(ParseMessage, QuotedPrintableAndBase64Parts) {
  std::string raw = message(
      "Subject: parts",
      multipart("mixed", {text_part("text/plain", "utf-8", "quoted-printable",
                                    "Caf=C3=A9 soft=\r\nbreak =3D equals"),
                          text_part("text/plain", "utf-8", "base64", base64("base64 body text"))}));
  ParsedMessage m = parse(raw);
  EXPECT_EQ(texts_of(m), "subject|parts\nbody|Caf\xC3\xA9 softbreak = equals\nbody|base64 body text\n");
  EXPECT_TRUE(m.unscannable.empty()) << unscannable_of(m);
}

TEST(ParseMessage, Latin1AndWindows1252Bodies) {
  std::string raw = message(
      "Subject: charsets",
      multipart("mixed", {text_part("text/plain", "iso-8859-1", "quoted-printable", "Z=FCrich"),
                          text_part("text/plain", "windows-1252", "8bit", "\x93quoted\x94 \x80"),
                          // Declared UTF-8, written in Latin-1: read anyway, and listed.
                          text_part("text/plain", "utf-8", "8bit", "na\xEFve")}));
  ParsedMessage m = parse(raw);
  EXPECT_EQ(texts_of(m),
            "subject|charsets\nbody|Z\xC3\xBCrich\nbody|\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC\n"
            "body|na\xC3\xAFve\n");
  EXPECT_EQ(unscannable_of(m), "body|text is not valid utf-8; read as Windows-1252\n");
}

TEST(ParseMessage, HtmlOnlyBody) {
  std::string raw = message(
      "Subject: html",
      text_part("text/html", "utf-8", "7bit",
                "<p>Dear &amp; all,</p><div style=\"display:none\">SECRET</div>"
                "<style>.x{}</style><div>OFFICIAL</div>"));
  EXPECT_EQ(texts_of(parse(raw)), "subject|html\nbody|Dear & all,\nSECRET\nOFFICIAL\n");
}

TEST(ParseMessage, AlternativeKeepsPlainAndAddsOnlyWhatHtmlHidesBeyondIt) {
  std::string raw = message(
      "Subject: alt",
      multipart("alternative",
                {text_part("text/html", "utf-8", "7bit",
                           "<p>Hello team,</p><p>See the report.</p>"
                           "<span style=\"display:none\">OFFICIAL-SENSITIVE hidden</span>"),
                 text_part("text/plain", "utf-8", "7bit", "Hello team,\r\nSee the report.\r\n")}));
  EXPECT_EQ(texts_of(parse(raw)),
            "subject|alt\nbody|Hello team,\r\nSee the report.\r\n\nbody|OFFICIAL-SENSITIVE hidden\n");
}

TEST(ParseMessage, NestedMessageHeadersAndBodyAreAttachmentText) {
  std::string inner =
      "From: Carol <carol@example.com>\r\nTo: dave@example.com\r\n"
      "Subject: =?UTF-8?Q?inner_subject?=\r\nReceived: from somewhere\r\nMIME-Version: 1.0\r\n" +
      multipart("mixed", {text_part("text/plain", "utf-8", "7bit", "inner body"),
                          attachment("inner.csv", "text/csv", "a,b\n1,2\n")});
  std::string raw = message(
      "Subject: fwd",
      multipart("mixed", {text_part("text/plain", "utf-8", "7bit", "see below"),
                          entity("Content-Type: message/rfc822\r\n"
                                 "Content-Disposition: attachment; filename=\"fwd.eml\"",
                                 inner)}));
  ParsedMessage m = parse(raw);
  EXPECT_EQ(texts_of(m),
            "subject|fwd\nbody|see below\nattachment:fwd.eml|From: Carol <carol@example.com>\n"
            "To: dave@example.com\nSubject: inner subject\n\nattachment:fwd.eml|inner body\n"
            "attachment:fwd.eml/inner.csv|a,b\n1,2\n\n");
  ASSERT_EQ(m.attachments.size(), 2u);
  EXPECT_EQ(m.attachments[0].detected_type, "message");
  EXPECT_EQ(m.attachments[1].filename, "fwd.eml/inner.csv");
  EXPECT_TRUE(m.unscannable.empty()) << unscannable_of(m);
  EXPECT_EQ(m.subject, "fwd");  // the nested subject is text, not the message's subject
}

TEST(ParseMessage, MixedWithEveryAttachmentKind) {
  std::string raw = message(
      "Subject: attachments",
      multipart("mixed",
                {text_part("text/plain", "utf-8", "7bit", "body"),
                 attachment("memo.docx", "application/octet-stream", read_fixture("sample.docx")),
                 attachment("cards.xlsx", "application/vnd.ms-excel", read_fixture("sample.xlsx")),
                 attachment("deck.pptx", "application/octet-stream", read_fixture("sample.pptx")),
                 attachment("doc.odt", "application/vnd.oasis.opendocument.text",
                            read_fixture("sample.odt")),
                 attachment("report.pdf", "application/pdf", read_fixture("sample.pdf")),
                 attachment("outer.zip", "application/zip", read_fixture("nested.zip")),
                 attachment("invite.ics", "text/calendar", read_fixture("invite.ics")),
                 attachment("people.csv", "text/csv", read_fixture("people.csv")),
                 attachment("logo.png", "image/png", "\x89PNG\r\n\x1a\n0000")}));
  ParsedMessage m = parse(raw);
  EXPECT_TRUE(m.unscannable.empty()) << unscannable_of(m);
  std::vector<std::string> wheres;
  for (const auto& t : m.texts) wheres.push_back(t.where);
  EXPECT_EQ(wheres, (std::vector<std::string>{
                        "subject", "body", "attachment:memo.docx", "attachment:cards.xlsx",
                        "attachment:deck.pptx", "attachment:doc.odt", "attachment:report.pdf",
                        "attachment:outer.zip/docs/inner.docx", "attachment:outer.zip/notes.txt",
                        "attachment:invite.ics", "attachment:people.csv"}));
  std::string all = texts_of(m);
  for (const char* expected : {"HEADER BANNER", "4111111111111111", "Slide ten", "ODT HEADER BANNER",
                               "Quarterly report", "zip notes text", "Project Falcon review",
                               "Z\xC3\xBCrich"}) {
    EXPECT_NE(all.find(expected), std::string::npos) << expected;
  }
  std::vector<std::string> types;
  for (const auto& a : m.attachments) types.push_back(a.detected_type);
  EXPECT_EQ(types, (std::vector<std::string>{"docx", "xlsx", "pptx", "odt", "pdf", "zip", "docx",
                                             "text", "ics", "csv", "png"}));
  EXPECT_EQ(m.attachments[0].bytes, read_fixture("sample.docx").size());
}

TEST(ParseMessage, ManyThreadsAtOnce) {
  std::string raw = message(
      "Subject: threads",
      multipart("mixed", {text_part("text/html", "utf-8", "7bit", "<p>x</p>"),
                          attachment("report.pdf", "application/pdf", read_fixture("sample.pdf")),
                          attachment("memo.docx", "application/octet-stream",
                                     read_fixture("sample.docx")),
                          attachment("outer.zip", "application/zip", read_fixture("nested.zip"))}));
  std::vector<std::thread> threads;
  std::vector<std::size_t> counts(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto parsed = parse_message(raw);
        counts[t] = parsed ? parsed->texts.size() : 0;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t count : counts) EXPECT_EQ(count, 6u);
}

TEST(ParseMessage, InlineCalendarInvitation) {
  std::string raw = message("Subject: meet", text_part("text/calendar", "utf-8", "7bit",
                                                      read_fixture("invite.ics")));
  std::string text = texts_of(parse(raw));
  EXPECT_NE(text.find("body|Project Falcon review\n"), std::string::npos) << text;
}

TEST(ParseMessage, Errors) {
  EXPECT_EQ(parse_message("").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(parse_message(" \r\n").error().code, ErrorCode::kInvalidInput);
  MimeLimits small;
  small.max_message_bytes = 10;
  EXPECT_EQ(parse_message("Subject: too long for the limit\r\n\r\n", small).error().code,
            ErrorCode::kLimitExceeded);
}

// --- hostile corpus ---------------------------------------------------------------------------

TEST(HostileMessage, MultipartNested100Levels) {
  std::string body = text_part("text/plain", "utf-8", "7bit", "deepest text");
  for (int i = 0; i < 100; ++i) {
    std::string b = "lvl" + std::to_string(i);
    body = entity("Content-Type: multipart/mixed; boundary=" + b,
                  "--" + b + "\r\n" + body + "\r\n--" + b + "--\r\n");
  }
  ParsedMessage m = parse(message("Subject: deep", body));
  EXPECT_EQ(unscannable_of(m), "body|nesting deeper than 12\n");
  EXPECT_EQ(texts_of(m), "subject|deep\n");
}

TEST(HostileMessage, HundredThousandNestedMultipartsSkipTheStructure) {
  // GMime has no nesting limit; 100,000 levels are refused before it builds the tree.
  std::string open, close;
  for (int i = 0; i < 100000; ++i) {
    open += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
            std::to_string(i) + "\r\n";
  }
  std::string raw = "From: a@example.com\r\nSubject: bomb\r\n" + open + "x\r\n";
  ParsedMessage m = parse(raw);
  ASSERT_EQ(m.unscannable.size(), 1u);
  EXPECT_NE(m.unscannable[0].reason.find("MIME structure not read"), std::string::npos);
  EXPECT_EQ(m.subject, "bomb");
}

TEST(HostileMessage, ShortestMessageOverTheContentTypeCapIsCaught) {
  // A header and 10,001 bare "content-type" lines, the shortest that can be over the cap: the
  // size below which the lines are not counted at all must not reach past it.
  std::string raw = "Subject: bomb\n\n";
  for (int i = 0; i < 10'000; ++i) raw += "content-type\n";
  raw += "content-type";
  ParsedMessage m = parse(raw);
  ASSERT_EQ(m.unscannable.size(), 1u);
  EXPECT_NE(m.unscannable[0].reason.find("10001 Content-Type headers"), std::string::npos)
      << m.unscannable[0].reason;
}

TEST(HostileMessage, TooManyParts) {
  MimeLimits limits;
  limits.max_parts = 5;
  std::string raw = message(
      "Subject: many",
      multipart("mixed", {text_part("text/plain", "utf-8", "7bit", "1"),
                          text_part("text/plain", "utf-8", "7bit", "2"),
                          text_part("text/plain", "utf-8", "7bit", "3"),
                          text_part("text/plain", "utf-8", "7bit", "4"),
                          text_part("text/plain", "utf-8", "7bit", "5")}));
  ParsedMessage m = parse(raw, limits);
  EXPECT_EQ(texts_of(m), "subject|many\nbody|1\nbody|2\nbody|3\nbody|4\n");
  EXPECT_EQ(unscannable_of(m),
            "body|more than 5 parts and archive members; the rest of the message was not read\n");
}

TEST(HostileMessage, BrokenBase64) {
  std::string raw = message(
      "Subject: b64",
      multipart("mixed", {text_part("text/plain", "utf-8", "7bit", "ok"),
                          entity("Content-Type: application/pdf; name=x.pdf\r\n"
                                 "Content-Transfer-Encoding: base64",
                                 "JVBERi0xLjQK!!!!not*base64~~~\r\nA")}));
  ParsedMessage m = parse(raw);
  ASSERT_FALSE(m.unscannable.empty());
  EXPECT_EQ(m.unscannable[0].where, "attachment:x.pdf");
  EXPECT_EQ(m.unscannable[0].reason, "broken base64 encoding; only the readable part was read");
}

TEST(HostileMessage, OneMegabyteHeaderLine) {
  std::string raw = "From: a@example.com\r\nX-Long: " + std::string(1 << 20, 'A') +
                    "\r\nSubject: long\r\n\r\nbody\r\n";
  ParsedMessage m = parse(raw);
  EXPECT_EQ(unscannable_of(m), "header:X-Long|header longer than 65536 bytes; the rest was not read\n");
  EXPECT_EQ(header(m, "X-Long").size(), 65536u);
  EXPECT_EQ(m.subject, "long");
}

TEST(HostileMessage, InvalidUtf8InHeadersAndBody) {
  std::string raw =
      "From: J\xF6rg <j@example.de>\r\nTo: b@example.org\r\nSubject: caf\xE9 \xFF\xFE\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody \xC3\x28 bad\r\n";
  ParsedMessage m = parse(raw);
  EXPECT_EQ(m.subject, "caf\xC3\xA9 \xC3\xBF\xC3\xBE");
  EXPECT_EQ(m.from, "J\xC3\xB6rg <j@example.de>");
  EXPECT_EQ(unscannable_of(m),
            "header:From|header is not valid UTF-8; read as Windows-1252\n"
            "header:Subject|header is not valid UTF-8; read as Windows-1252\n"
            "body|text is not valid utf-8; read as Windows-1252\n");
  // The text was read all the same: a note, not a reason to stop the mail.
  for (const auto& u : m.unscannable) EXPECT_TRUE(u.text_was_read) << u.where;
  for (const auto& t : m.texts) {
    EXPECT_EQ(t.text.find('\xFF'), std::string::npos);
  }
}

TEST(HostileMessage, PasswordProtectedZipAndEncryptedPdfAndCorruptDocx) {
  std::string raw = message(
      "Subject: locked",
      multipart("mixed", {attachment("secret.zip", "application/zip",
                                     read_fixture("hostile/encrypted.zip")),
                          attachment("locked.pdf", "application/pdf",
                                     read_fixture("hostile/encrypted.pdf")),
                          attachment("broken.docx", "application/octet-stream",
                                     read_fixture("hostile/truncated.docx"))}));
  ParsedMessage m = parse(raw);
  std::string u = unscannable_of(m);
  EXPECT_NE(u.find("attachment:secret.zip/secret.txt|password-protected ZIP\n"), std::string::npos) << u;
  EXPECT_NE(u.find("attachment:locked.pdf|encrypted PDF\n"), std::string::npos) << u;
  EXPECT_NE(u.find("attachment:broken.docx|corrupt DOCX"), std::string::npos) << u;
}

TEST(HostileMessage, TimeBudgetSpent) {
  MimeLimits limits;
  limits.time_budget = std::chrono::milliseconds(0);
  ParsedMessage m = parse(message("Subject: slow", text_part("text/plain", "utf-8", "7bit", "x")),
                          limits);
  EXPECT_EQ(unscannable_of(m),
            "body|time budget of 0 ms spent; the rest of the message was not read\n");
}

TEST(HostileMessage, GarbageIsNotAMessageOrParsesWithoutCrashing) {
  std::string garbage(4096, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 7919 % 251);
  auto parsed = parse_message(garbage);
  if (!parsed) {
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidInput);
  }
}

}  // namespace
}  // namespace sendguard
