// Unit tests of the text helpers: charsets, HTML, iCalendar, file signatures.
#include <gtest/gtest.h>

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
