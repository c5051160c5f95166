#include "mime/file_type.h"

#include <algorithm>
#include <cctype>

namespace sendguard::mime_internal {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A ZIP package's kind, from the member names stored uncompressed in its headers. Reading the
// names from the bytes (rather than opening the archive) also classifies a truncated or damaged
// package, which the extractor then reports as corrupt instead of it passing as "binary".
FileType classify_zip(std::string_view bytes) {
  // OpenDocument stores an uncompressed "mimetype" member first (ODF 1.2, part 3, 3.3).
  std::string_view head = bytes.substr(0, 200);
  std::size_t odf = head.find("application/vnd.oasis.opendocument.");
  if (contains(head, "mimetype") && odf != std::string_view::npos) {
    std::string_view sub = head.substr(odf + 35);
    if (starts_with(sub, "text")) return {FileKind::kOdf, "odt"};
    if (starts_with(sub, "spreadsheet")) return {FileKind::kOdf, "ods"};
    if (starts_with(sub, "presentation")) return {FileKind::kOdf, "odp"};
    return {FileKind::kOdf, "odf"};
  }
  if (contains(bytes, "[Content_Types].xml")) {
    if (contains(bytes, "word/document.xml")) return {FileKind::kOoxml, "docx"};
    if (contains(bytes, "xl/workbook.xml")) return {FileKind::kOoxml, "xlsx"};
    if (contains(bytes, "ppt/presentation.xml")) return {FileKind::kOoxml, "pptx"};
    return {FileKind::kOoxml, "ooxml"};
  }
  return {FileKind::kArchive, "zip"};
}

bool looks_like_text(std::string_view sample) {
  std::size_t controls = 0;
  for (char ch : sample) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0) return false;
    // ESC belongs to ISO-2022 text; other C0 controls are rare in text and common in binary.
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1B) || c == 0x7F) {
      ++controls;
    }
  }
  return controls * 100 <= sample.size();
}

}  // namespace

FileType detect_file_type(std::string_view bytes, std::string_view filename_hint,
                          std::string_view content_type_hint) {
  if (bytes.empty()) return {FileKind::kEmpty, "empty"};
  // PDF readers accept the header anywhere in the first KiB (ISO 32000-1, implementation note).
  if (contains(bytes.substr(0, 1024), "%PDF-")) return {FileKind::kPdf, "pdf"};
  if (starts_with(bytes, "PK\x03\x04") || starts_with(bytes, "PK\x05\x06") ||
      starts_with(bytes, "PK\x07\x08")) {
    return classify_zip(bytes);
  }
  if (starts_with(bytes, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return {FileKind::kOle, "ole"};
  if (starts_with(bytes, "7z\xBC\xAF\x27\x1C")) return {FileKind::kArchive, "7z"};
  if (starts_with(bytes, "Rar!\x1A\x07")) return {FileKind::kArchive, "rar"};
  if (starts_with(bytes, "\x1F\x8B")) return {FileKind::kArchive, "gzip"};
  if (starts_with(bytes, "BZh")) return {FileKind::kArchive, "bzip2"};
  if (starts_with(bytes, "\xFD" "7zXZ\x00")) return {FileKind::kArchive, "xz"};
  if (bytes.size() > 262 && bytes.substr(257, 5) == "ustar") return {FileKind::kArchive, "tar"};

  if (starts_with(bytes, "\x89PNG")) return {FileKind::kImage, "png"};
  if (starts_with(bytes, "\xFF\xD8\xFF")) return {FileKind::kImage, "jpeg"};
  if (starts_with(bytes, "GIF87a") || starts_with(bytes, "GIF89a")) return {FileKind::kImage, "gif"};
  if (starts_with(bytes, "RIFF") && bytes.size() >= 12 && bytes.substr(8, 4) == "WEBP") return {FileKind::kImage, "webp"};
  if (starts_with(bytes, "II*\0") || starts_with(bytes, std::string_view("MM\0*", 4))) {
    return {FileKind::kImage, "tiff"};
  }
  if (starts_with(bytes, "BM") && bytes.size() > 26 && bytes[14] != 0 && bytes[6] == 0) {
    return {FileKind::kImage, "bmp"};
  }

  bool utf16 = starts_with(bytes, "\xFF\xFE") || starts_with(bytes, "\xFE\xFF");
  std::string_view sample = bytes.substr(0, 64 * 1024);
  if (!utf16 && !looks_like_text(sample)) return {FileKind::kBinary, "binary"};

  std::string head = lower(bytes.substr(starts_with(bytes, "\xEF\xBB\xBF") ? 3 : 0, 1024));
  std::size_t first = head.find_first_not_of(" \t\r\n");
  std::string_view start = first == std::string::npos ? std::string_view{}
                                                      : std::string_view(head).substr(first);
  if (starts_with(start, "begin:vcalendar")) return {FileKind::kCalendar, "ics"};
  if (starts_with(start, "{\\rtf")) return {FileKind::kText, "rtf"};
  if (contains(head, "<html") || contains(head, "<!doctype html") || contains(head, "<body")) {
    return {FileKind::kHtml, "html"};
  }
  std::string name = lower(filename_hint), type = lower(content_type_hint);
  if (ends_with(name, ".csv") || type == "text/csv") return {FileKind::kText, "csv"};
  if (type == "text/html" || ends_with(name, ".html") || ends_with(name, ".htm")) {
    return {FileKind::kHtml, "html"};
  }
  return {FileKind::kText, "text"};
}

}  // namespace sendguard::mime_internal
