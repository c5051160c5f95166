// Unit tests of the text helpers: charsets, HTML, iCalendar, file signatures.
#include <gtest/gtest.h>

#include "mime/alternative_text.h"
#include "mime/charset.h"
#include "mime/extract.h"
#include "mime/file_type.h"
#include "mime/html_text.h"
#include "mime/test_message_builder.h"

namespace sendguard::mime_internal {
namespace {

TEST(Charset, ValidatesUtf8Strictly) {
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("caf\xE9"));           // Latin-1 byte
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
}

TEST(Charset, Windows1252MapsTheC1Range) {
  EXPECT_EQ(windows1252_to_utf8("\x80 \x93quoted\x94 caf\xE9"),
            "\xE2\x82\xAC \xE2\x80\x9Cquoted\xE2\x80\x9D caf\xC3\xA9");
  EXPECT_EQ(windows1252_to_utf8("\x81"), "\xEF\xBF\xBD");
}

// Found by the fuzzer: iconv takes "utf-8\x0f" for UTF-8 and passes invalid bytes through its
// UTF-8 "conversion"; the text must still come out valid.
TEST(Charset, AConversionThatGivesInvalidUtf8IsAFailedOne) {
  auto odd_name = decode_to_utf8("a\xF6\xB7\x9A\x9C b", "utf-8\x0f");
  EXPECT_TRUE(is_valid_utf8(odd_name.text));
  EXPECT_TRUE(odd_name.charset_mismatch);
  EXPECT_EQ(odd_name.text, "a\xC3\xB6\xC2\xB7\xC5\xA1\xC5\x93 b");  // read as Windows-1252
}

TEST(Charset, DeclaredCharsetsAndFallbacks) {
  EXPECT_EQ(decode_to_utf8("caf\xE9", "ISO-8859-1").text, "caf\xC3\xA9");
  EXPECT_EQ(decode_to_utf8("\x80", "iso-8859-1").text, "\xE2\x82\xAC");  // read as 1252
  EXPECT_EQ(decode_to_utf8("\xE0\xE1", "koi8-r").text, "\xD0\xAE\xD0\x90");
  auto wrong = decode_to_utf8("caf\xE9", "utf-8");
  EXPECT_TRUE(wrong.charset_mismatch);
  EXPECT_EQ(wrong.text, "caf\xC3\xA9");
  auto unknown = decode_to_utf8("caf\xE9", "x-no-such-charset");
  EXPECT_TRUE(unknown.charset_mismatch);
  EXPECT_EQ(unknown.text, "caf\xC3\xA9");
  auto undeclared = decode_to_utf8("caf\xE9", "");
  EXPECT_FALSE(undeclared.charset_mismatch);
  EXPECT_EQ(undeclared.text, "caf\xC3\xA9");
  EXPECT_EQ(decode_to_utf8("caf\xC3\xA9", "").text, "caf\xC3\xA9");
  EXPECT_EQ(decode_to_utf8(std::string_view("\xFF\xFEh\0i\0", 6), "").text, "hi");
  EXPECT_EQ(decode_to_utf8("\xEF\xBB\xBFhi", "windows-1252").text, "hi");
}

TEST(Charset, CutKeepsWholeCharacters) {
  std::string text = "ab\xC3\xA9";
  cut_utf8(text, 3);
  EXPECT_EQ(text, "ab");
}

TEST(HtmlText, StripsTagsDecodesEntitiesKeepsHiddenText) {
  std::string html =
      "<html><head><title>T</title><style>p { color: red }</style>"
      "<script>document.write('<p>no</p>')</script></head><body>"
      "<p>Caf&eacute; &amp; bar&nbsp;&#8364;5 &#x41;&lt;b&gt; &bogus; a < b</p>"
      "<div style=\"display:none\">HIDDEN MARKING</div>"
      "<div>OFFICIAL-SENSITIVE</div>line<br>break<!-- a comment -->"
      "<table><tr><td>one</td><td>two</td></tr><tr><td>three</td></tr></table>"
      "<a href=\"x>y\">link   text</a></body></html>";
  EXPECT_EQ(html_to_text(html),
            "T\nCaf\xC3\xA9 & bar \xE2\x82\xAC" "5 A<b> &bogus; a < b\nHIDDEN MARKING\n"
            "OFFICIAL-SENSITIVE\nline\nbreak\none\ttwo\nthree\nlink text");
}

TEST(HtmlText, UnterminatedConstructsEndTheText) {
  EXPECT_EQ(html_to_text("a<script>never closed"), "a");
  EXPECT_EQ(html_to_text("a<!-- never closed"), "a");
  EXPECT_EQ(html_to_text("a<p"), "a");
  EXPECT_EQ(html_to_text("x &#0; &#x110000; &#99999999999;"), "x \xEF\xBF\xBD \xEF\xBF\xBD &#99999999999;");
}

TEST(AlternativeText, RepeatedWordsAreFoundInOnePass) {
  // Case, white space and punctuation between words do not matter; the words and their order do.
  EXPECT_TRUE(repeats_plain_words("Hello Team, see the REPORT.", "hello team\r\nsee the report"));
  EXPECT_TRUE(repeats_plain_words("Hello team", "Hello team, and more the HTML left out"));
  EXPECT_TRUE(repeats_plain_words("", "anything"));
  EXPECT_FALSE(repeats_plain_words("Hello team", "Hello teams"));
  EXPECT_FALSE(repeats_plain_words("Hello teams", "Hello team"));
  EXPECT_FALSE(repeats_plain_words("Hello team SECRET", "Hello team"));
  EXPECT_FALSE(repeats_plain_words("team hello", "hello team"));
  EXPECT_TRUE(repeats_plain_words("caf\xC3\xA9 ok", "CAF\xC3\xA9, ok"));
  EXPECT_FALSE(repeats_plain_words("caf\xC3\x89", "caf\xC3\xA9"));  // only ASCII folds case
}

TEST(AlternativeText, KeepsOnlyLinesWithWordsThePlainTextLacks) {
  PlainAlternative plain({"Hello team,\r\nthe quarterly-reconciliation report", "is attached."});
  // Reordered, so the one-pass check fails and the word table answers.
  EXPECT_EQ(plain.lines_not_in("REPORT attached hello\nhidden OFFICIAL-SENSITIVE\nteam is the\n"
                               "quarterly reconciliations\nquarterly reconciliation"),
            "hidden OFFICIAL-SENSITIVE\nquarterly reconciliations");
  // The last word of one plain text does not run into the first of the next.
  EXPECT_EQ(plain.lines_not_in("reportis"), "reportis");
  EXPECT_EQ(plain.lines_not_in("Hello team, the quarterly reconciliation report is attached."), "");
}

TEST(AlternativeText, LongAndNonAsciiWordsCompareWhole) {
  // Words longer than the eight bytes read at once differ only in their tails here.
  PlainAlternative plain(
      {"internationalisation \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"
       "\xE3\x81\xA7\xE3\x81\x99"});
  EXPECT_EQ(plain.lines_not_in("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xA7"
                               "\xE3\x81\x99\nInternationalisation"),
            "");
  EXPECT_EQ(plain.lines_not_in("x\ninternationalisatioN\ninternationalization\n"
                               "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xA7\xE3\x81\x98"),
            "x\ninternationalization\n"
            "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xA7\xE3\x81\x98");
}

TEST(AlternativeText, WordTableHoldsManyDistinctWords) {
  // Enough words to make the table grow several times; every one is found again afterwards.
  std::string plain_text, html_text;
  for (int i = 0; i < 5000; ++i) plain_text += "w" + std::to_string(i * 7919) + " ";
  for (int i = 4999; i >= 0; --i) html_text += "W" + std::to_string(i * 7919) + "\n";
  PlainAlternative plain({plain_text});
  EXPECT_EQ(plain.lines_not_in(html_text), "");
  EXPECT_EQ(plain.lines_not_in(html_text + "w1"), "w1");
}

TEST(Calendar, UnfoldsAndKeepsPeopleFacingProperties) {
  std::string text = calendar_to_text(mime_testing::read_fixture("invite.ics"));
  EXPECT_EQ(text,
            "Project Falcon review\nAgenda: budget, staffing\nSecond line that is folded here\n"
            "Room 4\nDoe: Jane <mailto:jane@example.com>");
}

TEST(FileType, BySignatureNotByName) {
  using mime_testing::read_fixture;
  EXPECT_EQ(detect_file_type(read_fixture("sample.pdf"), "notes.txt").name, "pdf");
  EXPECT_EQ(detect_file_type(read_fixture("sample.docx"), "x.bin").name, "docx");
  EXPECT_EQ(detect_file_type(read_fixture("sample.xlsx")).name, "xlsx");
  EXPECT_EQ(detect_file_type(read_fixture("sample.pptx")).name, "pptx");
  EXPECT_EQ(detect_file_type(read_fixture("sample.odt")).name, "odt");
  EXPECT_EQ(detect_file_type(read_fixture("nested.zip")).name, "zip");
  EXPECT_EQ(detect_file_type(read_fixture("hostile/truncated.docx")).name, "docx");
  EXPECT_EQ(detect_file_type(read_fixture("invite.ics")).name, "ics");
  EXPECT_EQ(detect_file_type(read_fixture("people.csv"), "people.csv").name, "csv");
  EXPECT_EQ(detect_file_type("plain words\n").name, "text");
  EXPECT_EQ(detect_file_type("<!DOCTYPE html><p>x").name, "html");
  EXPECT_EQ(detect_file_type("\x89PNG\r\n\x1a\n....").name, "png");
  EXPECT_EQ(detect_file_type(std::string_view("\x01\x02\x03\0\x05", 5)).kind, FileKind::kBinary);
  EXPECT_EQ(detect_file_type("").kind, FileKind::kEmpty);
  EXPECT_EQ(detect_file_type("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest").kind, FileKind::kOle);
}

}  // namespace
}  // namespace sendguard::mime_internal
