// The reader of common messages (read_common_message): the shapes it takes, the ones it
// leaves to GMime, and equality with the GMime walk on realistic messages.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mime/message_readers.h"
#include "mime/mime.h"
#include "mime/parsed_message_diff.h"
#include "mime/test_message_builder.h"

namespace sendguard {
namespace {

using namespace mime_testing;
using mime_internal::parse_message_with_gmime;
using mime_internal::read_common_message;

// The fast path takes `raw` and reads it exactly as GMime does.
void expect_accepted_and_equal(const std::string& raw, const MimeLimits& limits = {}) {
  auto common = read_common_message(raw, limits);
  ASSERT_TRUE(common.has_value()) << "declined:\n" << raw;
  auto gmime = parse_message_with_gmime(raw, limits);
  ASSERT_TRUE(gmime.has_value()) << gmime.error().message;
  EXPECT_EQ(first_difference(*common, *gmime), "") << raw;
  auto public_path = parse_message(raw, limits);
  ASSERT_TRUE(public_path.has_value());
  EXPECT_EQ(first_difference(*public_path, *gmime), "");
}

void expect_declined(const std::string& raw, const MimeLimits& limits = {}) {
  EXPECT_FALSE(read_common_message(raw, limits).has_value()) << "accepted:\n" << raw;
  // The public path still reads it, through GMime.
  EXPECT_TRUE(parse_message(raw, limits).has_value());
}

std::string plain(std::string_view body) { return text_part("text/plain", "utf-8", "7bit", body); }

std::string html(std::string_view body) { return text_part("text/html", "utf-8", "7bit", body); }

std::string to_lf(std::string text) {
  std::string out;
  for (char c : text) {
    if (c != '\r') out += c;
  }
  return out;
}

// --- the shapes it takes ----------------------------------------------------------------------

TEST(FastPathAccepts, SinglePlainPart) {
  expect_accepted_and_equal(message("Subject: hello", plain("Hello,\r\nsee you.\r\n")));
}

TEST(FastPathAccepts, NoContentTypeAtAll) {
  expect_accepted_and_equal("From: a@example.com\r\nSubject: bare\r\n\r\nJust text.\r\n");
}

TEST(FastPathAccepts, SingleHtmlPart) {
  expect_accepted_and_equal(
      message("Subject: html", html("<p>Dear all,</p><div style=\"display:none\">x</div>")));
}

TEST(FastPathAccepts, AlternativeOfPlainAndHtml) {
  expect_accepted_and_equal(message(
      "Subject: alt", multipart("alternative", {plain("Hello team,\r\nSee the report.\r\n"),
                                                html("<p>Hello team,</p><p>See the report.</p>"
                                                     "<span>OFFICIAL-SENSITIVE hidden</span>")})));
}

TEST(FastPathAccepts, MixedWithAttachments) {
  expect_accepted_and_equal(message(
      "Subject: attachments",
      multipart(
          "mixed",
          {plain("body"), attachment("report.pdf", "application/pdf", read_fixture("sample.pdf")),
           attachment("memo.docx", "application/octet-stream", read_fixture("sample.docx")),
           attachment("outer.zip", "application/zip", read_fixture("nested.zip")),
           attachment("people.csv", "text/csv", read_fixture("people.csv")),
           attachment("invite.ics", "text/calendar", read_fixture("invite.ics"))})));
}

TEST(FastPathAccepts, MixedWithAlternativeAndAttachment) {
  expect_accepted_and_equal(message(
      "Subject: both",
      multipart("mixed", {multipart("alternative", {plain("Card 4111 1111 1111 1111"),
                                                    html("<p>Card 4111 1111 1111 1111</p>")}),
                          attachment("people.csv", "text/csv", read_fixture("people.csv"))})));
}

TEST(FastPathAccepts, QuotedPrintableAndBase64) {
  expect_accepted_and_equal(message(
      "Subject: parts",
      multipart("mixed", {text_part("text/plain", "utf-8", "quoted-printable",
                                    "Caf=C3=A9 soft=\r\nbreak =3D equals =\r\n"),
                          text_part("text/plain", "utf-8", "base64", base64("base64 body"))})));
}

TEST(FastPathAccepts, LatinAndWindowsCharsets) {
  expect_accepted_and_equal(message(
      "Subject: charsets",
      multipart("mixed", {text_part("text/plain", "iso-8859-1", "quoted-printable", "Z=FCrich"),
                          text_part("text/plain", "windows-1252", "8bit", "\x93q\x94 \x80"),
                          text_part("text/plain", "us-ascii", "7bit", "ascii"),
                          text_part("text/plain", "utf-8", "8bit", "na\xEFve")})));
}

TEST(FastPathAccepts, EncodedWordsAndAddressLists) {
  expect_accepted_and_equal(
      "From: =?UTF-8?B?SsO2cmc=?= <jorg@example.de>\r\n"
      "To: \"Doe, Jane\" <jane@example.com>, bob@example.org,\r\n team: a@x.com, b@y.com;\r\n"
      "Cc: =?ISO-8859-1?Q?Fran=E7ois?= <f@example.fr>\r\nBcc: hidden@example.net\r\n"
      "Subject: =?UTF-8?Q?OFFICIAL-SENSITIVE:_caf=C3=A9?=\r\n =?UTF-8?B?IHJlcG9ydA==?=\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"utf-8\"; format=flowed\r\n"
      "\r\nHello.\r\n");
}

TEST(FastPathAccepts, LineFeedsOnly) {
  expect_accepted_and_equal(to_lf(message(
      "Subject: lf",
      multipart("mixed", {plain("one\r\n\r\n"), attachment("a.csv", "text/csv", "x,y\n1,2\n")}))));
}

TEST(FastPathAccepts, MixedLineBreaksAsGMimeReadsThem) {
  // The line break GMime gives to a delimiter is as long as the delimiter line's own.
  expect_accepted_and_equal(
      "From: a@example.com\r\nSubject: mixed\r\nContent-Type: multipart/mixed; boundary=b\r\n"
      "\r\n--b\nContent-Type: text/plain\n\nlf body\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\ncrlf body\n\n--b\nContent-Type: text/plain\n\n"
      "bare\rcr\n--b--");
  expect_accepted_and_equal("From: a@example.com\r\nSubject: mixed\n\nbody\r\nmore\n");
}

// --- the ones it leaves to GMime --------------------------------------------------------------

TEST(FastPathDeclines, NestedMessage) {
  expect_declined(message(
      "Subject: fwd",
      multipart("mixed", {plain("see below"),
                          entity("Content-Type: message/rfc822",
                                 "From: c@example.com\r\nSubject: inner\r\n\r\ninner body")})));
}

TEST(FastPathDeclines, MixedInsideMixed) {
  expect_declined(
      message("Subject: deep", multipart("mixed", {multipart("mixed", {plain("a"), plain("b")})})));
}

TEST(FastPathDeclines, MixedInsideAlternative) {
  expect_declined(message(
      "Subject: deep", multipart("alternative", {multipart("mixed", {plain("a"), plain("b")})})));
}

TEST(FastPathDeclines, SignedAndRelatedMultiparts) {
  expect_declined(message("Subject: s", multipart("signed", {plain("a"), plain("sig")})));
  expect_declined(message("Subject: r", multipart("related", {html("<p>a</p>")})));
}

TEST(FastPathDeclines, MissingCloseDelimiter) {
  expect_declined(
      message("Subject: open", entity("Content-Type: multipart/mixed; boundary=b",
                                      "--b\r\nContent-Type: text/plain\r\n\r\ntext\r\n")));
}

TEST(FastPathDeclines, MissingBoundaryParameter) {
  expect_declined(message("Subject: nob", entity("Content-Type: multipart/mixed",
                                                 "--b\r\n" + plain("x") + "\r\n--b--\r\n")));
}

TEST(FastPathDeclines, DelimiterWithTrailingWhiteSpace) {
  expect_declined(message("Subject: ws", entity("Content-Type: multipart/mixed; boundary=b",
                                                "--b \r\n" + plain("x") + "\r\n--b--\r\n")));
}

TEST(FastPathDeclines, OuterDelimiterBeforeInnerClose) {
  expect_declined(message(
      "Subject: unclosed",
      entity("Content-Type: multipart/mixed; boundary=outer",
             "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\n" +
                 plain("a") + "\r\n--outer\r\n" + plain("b") + "\r\n--outer--\r\n")));
}

TEST(FastPathDeclines, BoundaryThatBeginsAnother) {
  expect_declined(
      message("Subject: prefix",
              entity("Content-Type: multipart/mixed; boundary=b",
                     "--b\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n" +
                         plain("a") + "\r\n--b2--\r\n\r\n--b--\r\n")));
}

TEST(FastPathDeclines, DuplicateContentType) {
  expect_declined(message("Subject: two",
                          "Content-Type: text/plain\r\nContent-Type: text/html"
                          "\r\n\r\n<p>x</p>"));
}

TEST(FastPathDeclines, Rfc2231Parameter) {
  expect_declined(
      message("Subject: 2231",
              multipart("mixed", {plain("a"), entity("Content-Type: application/pdf\r\n"
                                                     "Content-Disposition: attachment; "
                                                     "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
                                                     "x")})));
}

TEST(FastPathDeclines, EncodedWordInParameter) {
  expect_declined(
      message("Subject: 2047",
              multipart("mixed", {plain("a"), entity("Content-Type: application/pdf; "
                                                     "name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.pdf?=\"",
                                                     "x")})));
}

TEST(FastPathDeclines, EscapeInQuotedParameter) {
  expect_declined(
      message("Subject: esc", entity("Content-Type: text/plain; name=\"a\\\"b\"", "x")));
}

TEST(FastPathDeclines, NulByte) {
  expect_declined(message("Subject: nul", plain(std::string("a\0b", 3))));
}

TEST(FastPathDeclines, UnknownTransferEncoding) {
  expect_declined(message("Subject: uu", text_part("text/plain", "utf-8", "x-uuencode", "x")));
}

TEST(FastPathDeclines, UnknownCharset) {
  expect_declined(message("Subject: koi", text_part("text/plain", "koi8-r", "8bit", "\xC1")));
}

TEST(FastPathDeclines, LoneLineFeedBeforeCrlfDelimiter) {
  // GMime would take two bytes from a one-byte content.
  expect_declined(
      "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=b\n\n"
      "--b\nContent-Type: text/plain\n\n\n--b\r\n"
      "Content-Type: text/plain\n\ny\n--b--\n");
}

TEST(FastPathDeclines, CarriageReturnAtTheEnd) {
  expect_declined("From: a@example.com\r\nSubject: x\r\n\r\nbody\r");
}

TEST(FastPathDeclines, ObsoleteHeaderSyntax) {
  expect_declined("From: a@example.com\r\nSubject : spaced\r\n\r\nbody\r\n");
  expect_declined("From a@example.com Mon Jan  1 00:00:00 2024\r\nSubject: x\r\n\r\nbody\r\n");
}

TEST(FastPathDeclines, EightBitHeader) {
  expect_declined("From: J\xF6rg <j@example.de>\r\nSubject: x\r\n\r\nbody\r\n");
}

TEST(FastPathDeclines, FoldOfWhiteSpaceOnly) {
  expect_declined("From: a@example.com\r\nSubject: x\r\n \r\n\r\nbody\r\n");
}

TEST(FastPathDeclines, PartWithoutHeaders) {
  expect_declined(message("Subject: bare", entity("Content-Type: multipart/mixed; boundary=b",
                                                  "--b\r\n\r\ntext\r\n--b--\r\n")));
}

TEST(FastPathDeclines, AddressHeaderTwice) {
  expect_declined("From: a@example.com\r\nTo: b@example.com\r\nTo: c@example.com\r\n\r\nx\r\n");
}

TEST(FastPathDeclines, AddressListGMimeReadsOnlyInPart) {
  // GMime's message keeps "a@b.c" of this list; parsing the list alone gives nothing.
  expect_declined("From: a@example.com\nCc: a@b.c,(x\nSubject: x\n\nbody\n");
}

TEST(FastPathDeclines, LimitsThatTheWalkCouldReach) {
  MimeLimits few_parts;
  few_parts.max_parts = 5;
  expect_declined(message("Subject: x", plain("x")), few_parts);
  MimeLimits shallow;
  shallow.max_depth = 2;
  expect_declined(message("Subject: x", plain("x")), shallow);
}

// --- equality on realistic messages -----------------------------------------------------------

TEST(FastPathEqualsGMime, OutlookStyleAlternativeInMixed) {
  std::string boundary_mixed = "----=_NextPart_000_0012_01DA1B2C.3D4E5F60";
  std::string boundary_alt = "----=_NextPart_001_0013_01DA1B2C.3D4E5F60";
  std::string alt = multipart(
      "alternative",
      {text_part("text/plain", "us-ascii", "quoted-printable",
                 "Hi Bob,=0D=0A=0D=0APlease find attached the figures for Q3. The account =\r\n"
                 "is GB82 WEST 1234 5698 7654 32.=0D=0A=0D=0AThanks"),
       text_part(
           "text/html", "us-ascii", "quoted-printable",
           "<html><body><p>Hi Bob,</p><p>Please find attached the figures for Q3. The acc=\r\n"
           "ount is GB82 WEST 1234 5698 7654 32.</p><p>Thanks</p></body></html>")},
      boundary_alt);
  std::string raw =
      "Received: from mail.example.com (mail.example.com [192.0.2.1])\r\n"
      "\tby mx.example.org with ESMTPS id 123\r\n\tfor <bob@example.org>; Mon, 1 Jan 2024\r\n"
      "From: \"Alice Example\" <alice@example.com>\r\nTo: \"Bob\" <bob@example.org>\r\n"
      "Cc: finance@example.com\r\nSubject: RE: Q3 figures\r\nThread-Topic: Q3 figures\r\n"
      "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <abc@example.com>\r\n"
      "MIME-Version: 1.0\r\nX-Mailer: Microsoft Outlook 16.0\r\n" +
      entity("Content-Type: multipart/mixed;\r\n\tboundary=\"" + boundary_mixed + "\"",
             "This is a multipart message in MIME format.\r\n\r\n--" + boundary_mixed + "\r\n" +
                 alt + "\r\n--" + boundary_mixed + "\r\n" +
                 attachment("Q3 figures.xlsx",
                            "application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet",
                            read_fixture("sample.xlsx")) +
                 "\r\n--" + boundary_mixed + "--\r\n");
  expect_accepted_and_equal(raw);
}

TEST(FastPathEqualsGMime, ThunderbirdPlainWithPdf) {
  std::string raw =
      "Message-ID: <1@example.com>\nDate: Tue, 2 Jan 2024 09:00:00 +0100\nMIME-Version: 1.0\n"
      "User-Agent: Mozilla Thunderbird\nContent-Language: en-GB\n"
      "To: Carol <carol@example.net>\nFrom: Dave <dave@example.com>\n"
      "Subject: =?UTF-8?Q?Minutes_=E2=80=93_OFFICIAL?=\n"
      "Content-Type: multipart/mixed; boundary=\"------------0123456789abcdef\"\n\n"
      "This is a multi-part message in MIME format.\n--------------0123456789abcdef\n"
      "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
      "Content-Transfer-Encoding: 8bit\n\nMinutes attached \xE2\x80\x93 NHS 943 476 5919.\n\n"
      "--------------0123456789abcdef\nContent-Type: application/pdf; name=\"minutes.pdf\"\n"
      "Content-Disposition: attachment; filename=\"minutes.pdf\"\n"
      "Content-Transfer-Encoding: base64\n\n" +
      to_lf(base64(read_fixture("sample.pdf"))) + "\n--------------0123456789abcdef--\n";
  expect_accepted_and_equal(raw);
}

TEST(FastPathEqualsGMime, HtmlOnlyLatin1WithInlineImage) {
  expect_accepted_and_equal(message(
      "Subject: =?iso-8859-1?Q?R=E9sum=E9?=",
      multipart("mixed", {text_part("text/html", "iso-8859-1", "quoted-printable",
                                    "<p>Caf=E9 cr=E8me, SSN 078-05-1120</p>"),
                          entity("Content-Type: image/png\r\nContent-Disposition: inline\r\n"
                                 "Content-Transfer-Encoding: base64",
                                 base64("\x89PNG\r\n\x1a\n0000"))})));
}

TEST(FastPathEqualsGMime, BrokenBase64AndCharsetMismatch) {
  expect_accepted_and_equal(
      message("Subject: damaged",
              multipart("mixed", {text_part("text/plain", "utf-8", "8bit", "bad \xC3\x28 utf8"),
                                  entity("Content-Type: application/pdf; name=x.pdf\r\n"
                                         "Content-Transfer-Encoding: base64",
                                         "JVBERi0xLjQK!!!!not*base64~~~\r\nA")})));
}

TEST(FastPathEqualsGMime, TextAttachmentsByDispositionOrName) {
  expect_accepted_and_equal(message(
      "Subject: names",
      multipart("mixed",
                {plain("body"), entity("Content-Type: text/plain; name=notes.txt", "named text"),
                 entity("Content-Type: text/plain\r\nContent-Disposition: attachment",
                        "unnamed attachment"),
                 entity("Content-Type: text/plain\r\nContent-Disposition: inline; "
                        "filename=inline.txt",
                        "inline with a name")})));
}

TEST(FastPathEqualsGMime, LargeEncodedPartsThatGMimeDecodesInChunks) {
  // GMime decodes through a stream filter a buffer at a time; the reader in one call. Escapes
  // and soft breaks fall on every offset, so some straddle GMime's buffers.
  std::string quoted;
  for (int i = 0; quoted.size() < 300'000; ++i) {
    quoted += "line " + std::to_string(i) + " caf=C3=A9 " + std::string(i % 13, 'x') +
              (i % 3 == 0 ? "=\r\n" : "\r\n");
  }
  std::string bytes;
  for (int i = 0; i < 200'000; ++i) bytes += static_cast<char>(i * 31 % 251);
  expect_accepted_and_equal(
      message("Subject: large",
              multipart("mixed", {text_part("text/plain", "utf-8", "quoted-printable", quoted),
                                  attachment("data.bin", "application/octet-stream", bytes)})));
}

TEST(FastPathEqualsGMime, LinesLongerThanGMimesBuffer) {
  // GMime scans content a buffer at a time; a line longer than its buffer, and one that starts
  // like a delimiter without being one, must not end a part early in one reader only.
  std::string long_line(100'000, 'a');
  std::string dashes = "--b" + std::string(70'000, '-');
  expect_declined(message("Subject: long", multipart("mixed", {plain(dashes + "\r\nx")}, "b")));
  expect_accepted_and_equal(message(
      "Subject: long",
      multipart("mixed", {plain(long_line + "\r\n--c" + long_line), plain(long_line + long_line)},
                "b")));
  expect_accepted_and_equal(message("Subject: long", plain(long_line)));
  expect_accepted_and_equal(message("Subject: " + std::string(30'000, 's') +
                                        "\r\nX-Folded: " + std::string(20'000, 'f') + "\r\n " +
                                        std::string(9'000, 'g'),
                                    plain("x")));
}

TEST(FastPathEqualsGMime, LimitsReachedInTheWalk) {
  MimeLimits small_text;
  small_text.max_text_bytes = 10;
  expect_accepted_and_equal(message("Subject: long text", plain(std::string(100, 'x'))),
                            small_text);
  MimeLimits no_time;
  no_time.time_budget = std::chrono::milliseconds(0);
  expect_accepted_and_equal(message("Subject: slow", plain("x")), no_time);
}

TEST(FastPathEqualsGMime, EmptyPartsAndPreambles) {
  expect_accepted_and_equal(message(
      "Subject: empty", entity("Content-Type: multipart/alternative; boundary=\"b\"",
                               "preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\n--b\r\n"
                               "Content-Type: text/html\r\n\r\n\r\n--b--\r\nepilogue\r\n")));
}

}  // namespace
}  // namespace sendguard
