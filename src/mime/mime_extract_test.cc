// Attachment extractors: each kind of file, and the damaged and hostile ones.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <string>

#include "mime/extract.h"
#include "mime/test_message_builder.h"

namespace sendguard::mime_internal {
namespace {

using mime_testing::read_fixture;

struct Extracted {
  ParsedMessage out;
  std::string text() const {
    std::string all;
    for (const auto& segment : out.texts) all += segment.where + "|" + segment.text + "\n";
    return all;
  }
  std::string unscannable() const {
    std::string all;
    for (const auto& u : out.unscannable) all += u.where + "|" + u.reason + "\n";
    return all;
  }
};

Extracted extract(std::string_view bytes, const std::string& name, MimeLimits limits = {}) {
  Extracted result;
  Budget budget(limits);
  Sink sink(result.out, budget);
  extract_file(sink, bytes, name, {}, 1);
  return result;
}

TEST(Extract, Pdf) {
  auto got = extract(read_fixture("sample.pdf"), "report.pdf");
  ASSERT_EQ(got.out.texts.size(), 1u) << got.unscannable();
  EXPECT_EQ(got.out.texts[0].where, "attachment:report.pdf");
  EXPECT_NE(got.out.texts[0].text.find("OFFICIAL-SENSITIVE"), std::string::npos);
  EXPECT_NE(got.out.texts[0].text.find("Quarterly report (draft)"), std::string::npos);
  EXPECT_NE(got.out.texts[0].text.find("Page two text"), std::string::npos);
  EXPECT_TRUE(got.out.unscannable.empty()) << got.unscannable();
  ASSERT_EQ(got.out.attachments.size(), 1u);
  EXPECT_EQ(got.out.attachments[0].detected_type, "pdf");
}

TEST(Extract, EncryptedPdfIsUnscannable) {
  auto got = extract(read_fixture("hostile/encrypted.pdf"), "locked.pdf");
  EXPECT_TRUE(got.out.texts.empty()) << got.text();
  EXPECT_EQ(got.unscannable(), "attachment:locked.pdf|encrypted PDF\n");
}

TEST(Extract, CorruptPdfIsUnscannable) {
  auto got = extract(read_fixture("hostile/corrupt.pdf"), "bad.pdf");
  ASSERT_EQ(got.out.unscannable.size(), 1u) << got.text();
  EXPECT_NE(got.out.unscannable[0].reason.find("corrupt PDF"), std::string::npos);
}

TEST(Extract, Docx) {
  auto got = extract(read_fixture("sample.docx"), "memo.docx");
  EXPECT_EQ(got.text(),
            "attachment:memo.docx|OFFICIAL-SENSITIVE\nPatient NHS number 943 476 5919\n"
            "\tCaf\xC3\xA9 & bar\ncell one\ncell two\nHEADER BANNER\nFOOTER BANNER\n");
  EXPECT_TRUE(got.out.unscannable.empty()) << got.unscannable();
}

TEST(Extract, XlsxResolvesSharedStringsAndReadsHiddenSheets) {
  auto got = extract(read_fixture("sample.xlsx"), "cards.xlsx");
  EXPECT_EQ(got.text(),
            "attachment:cards.xlsx|Name\tCard\nJane Doe\t4111111111111111\tinline text\t7\n"
            "hidden sheet text\n");
  EXPECT_TRUE(got.out.unscannable.empty()) << got.unscannable();
}

TEST(Extract, PptxSlidesInOrder) {
  auto got = extract(read_fixture("sample.pptx"), "deck.pptx");
  EXPECT_EQ(got.text(), "attachment:deck.pptx|Slide one title\nBudget 2024\nSlide two\nSlide ten\n");
}

TEST(Extract, Odt) {
  auto got = extract(read_fixture("sample.odt"), "doc.odt");
  EXPECT_EQ(got.text(),
            "attachment:doc.odt|ODT heading\nPara one two\nSecond span end\nODT HEADER BANNER\n");
  EXPECT_EQ(got.out.attachments.at(0).detected_type, "odt");
}

TEST(Extract, ZipRecursesIntoMembersByContent) {
  auto got = extract(read_fixture("nested.zip"), "outer.zip");
  EXPECT_EQ(got.text(),
            "attachment:outer.zip/docs/inner.docx|OFFICIAL-SENSITIVE\nPatient NHS number 943 476 "
            "5919\n\tCaf\xC3\xA9 & bar\ncell one\ncell two\nHEADER BANNER\nFOOTER BANNER\n"
            "attachment:outer.zip/notes.txt|zip notes text\n\n");
  ASSERT_EQ(got.out.attachments.size(), 3u);
  EXPECT_EQ(got.out.attachments[1].filename, "outer.zip/docs/inner.docx");
  EXPECT_EQ(got.out.attachments[1].detected_type, "docx");
}

TEST(Extract, CsvInWindows1252) {
  auto got = extract(read_fixture("people.csv"), "people.csv");
  EXPECT_EQ(got.text(), "attachment:people.csv|name,city\r\nJos\xC3\xA9,Z\xC3\xBCrich\r\n"
                        "\xE2\x82\xAC price,5\r\n\n");
  EXPECT_EQ(got.out.attachments.at(0).detected_type, "csv");
}

TEST(Extract, ImageIsRecordedButNotUnscannable) {
  auto got = extract("\x89PNG\r\n\x1a\nIHDR....", "logo.png");
  EXPECT_TRUE(got.out.texts.empty());
  EXPECT_TRUE(got.out.unscannable.empty());
  EXPECT_EQ(got.out.attachments.at(0).detected_type, "png");
}

TEST(Hostile, PasswordProtectedZip) {
  auto got = extract(read_fixture("hostile/encrypted.zip"), "secret.zip");
  EXPECT_TRUE(got.out.texts.empty()) << got.text();
  EXPECT_EQ(got.unscannable(), "attachment:secret.zip/secret.txt|password-protected ZIP\n");
}

TEST(Hostile, TruncatedDocx) {
  auto got = extract(read_fixture("hostile/truncated.docx"), "broken.docx");
  ASSERT_FALSE(got.out.unscannable.empty());
  EXPECT_NE(got.out.unscannable[0].reason.find("corrupt DOCX"), std::string::npos);
}

TEST(Hostile, EncryptedOfficePackage) {
  std::string ole = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
  ole += std::string(100, '\0') + std::string("E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0", 32);
  auto got = extract(ole, "locked.docx");
  EXPECT_EQ(got.unscannable(), "attachment:locked.docx|encrypted Office document\n");
}

// A ZIP of `zeros` bytes of zeros, made with libarchive (deflate squeezes 1 GiB to ~1 MiB).
std::string zip_of_zeros(std::size_t zeros) {
  std::string out;
  archive* writer = archive_write_new();
  archive_write_set_format_zip(writer);
  archive_write_set_bytes_in_last_block(writer, 1);
  archive_write_open(
      writer, &out, nullptr,
      [](archive*, void* client, const void* buffer, size_t length) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
        return static_cast<la_ssize_t>(length);
      },
      nullptr);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, "zeros.txt");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, static_cast<la_int64_t>(zeros));
  archive_write_header(writer, entry);
  std::string chunk(1 << 20, '\0');
  for (std::size_t written = 0; written < zeros; written += chunk.size()) {
    archive_write_data(writer, chunk.data(), std::min(chunk.size(), zeros - written));
  }
  archive_entry_free(entry);
  archive_write_close(writer);
  archive_write_free(writer);
  return out;
}

TEST(Hostile, ZipBombStopsAtTheByteCap) {
  std::string bomb = zip_of_zeros(std::size_t{1} << 30);
  ASSERT_LT(bomb.size(), 4u << 20);
  auto got = extract(bomb, "bomb.zip");
  ASSERT_EQ(got.out.unscannable.size(), 1u) << got.unscannable();
  EXPECT_EQ(got.out.unscannable[0].where, "attachment:bomb.zip/zeros.txt");
  EXPECT_NE(got.out.unscannable[0].reason.find("ZIP bomb"), std::string::npos);
}

TEST(Hostile, ZipBombWithLyingSizeIsCountedAsItInflates) {
  // 8 MiB of zeros whose headers claim 100 bytes: only the running count of inflated bytes
  // can stop it.
  MimeLimits limits;
  limits.max_decoded_bytes = 1u << 20;
  auto got = extract(read_fixture("hostile/lying_bomb.zip"), "bomb.zip", limits);
  ASSERT_FALSE(got.out.unscannable.empty());
  std::string u = got.unscannable();
  EXPECT_TRUE(u.find("more than 1048576 bytes") != std::string::npos ||
              u.find("corrupt ZIP") != std::string::npos) << u;
  for (const auto& t : got.out.texts) EXPECT_LE(t.text.size(), 1u << 20);
}

TEST(Hostile, ArchiveNestingDeeperThanTheLimit) {
  std::string nested = read_fixture("nested.zip");
  MimeLimits limits;
  limits.max_depth = 1;
  auto got = extract(nested, "outer.zip", limits);
  EXPECT_EQ(got.unscannable(), "attachment:outer.zip|nesting deeper than 1\n");
}

TEST(Hostile, TextBeyondTheLimitIsCutAndListed) {
  MimeLimits limits;
  limits.max_text_bytes = 10;
  auto got = extract("0123456789abcdef", "long.txt", limits);
  EXPECT_EQ(got.text(), "attachment:long.txt|0123456789\n");
  EXPECT_EQ(got.unscannable(), "attachment:long.txt|text beyond 10 bytes not kept\n");
}

}  // namespace
}  // namespace sendguard::mime_internal
