#include "mime/extract.h"

#include <utility>

#include "mime/charset.h"
#include "mime/html_text.h"

namespace sendguard::mime_internal {

void Sink::add_text(std::string where, std::string text) {
  if (text.empty()) return;
  if (budget_.take_text(text) && !text_cut_reported_) {
    text_cut_reported_ = true;
    add_unscannable(where, "text beyond " + std::to_string(budget_.limits().max_text_bytes) +
                               " bytes not kept");
  }
  if (!text.empty()) out_.texts.push_back({std::move(where), std::move(text)});
}

void Sink::add_charset_note(std::string where, std::string reason) {
  out_.unscannable.push_back({std::move(where), std::move(reason), true});
}

void Sink::add_unscannable(std::string where, std::string reason) {
  out_.unscannable.push_back({std::move(where), std::move(reason)});
}

void Sink::add_attachment(Attachment attachment) {
  out_.attachments.push_back(std::move(attachment));
}

bool Sink::report_stop(const std::string& where) {
  if (!stop_reported_ && budget_.stop_reason()) {
    stop_reported_ = true;
    add_unscannable(where, *budget_.stop_reason() + "; the rest of the message was not read");
  }
  return false;
}

namespace {

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace

void extract_file(Sink& sink, std::string_view bytes, const std::string& path,
                  const FileHints& hints, int depth) {
  const std::string where = "attachment:" + path;
  FileType type = detect_file_type(bytes, path, hints.content_type);
  sink.add_attachment({path, std::string(hints.content_type), type.name, bytes.size()});
  if (!sink.budget().check_time()) {
    sink.report_stop(where);
    return;
  }
  switch (type.kind) {
    case FileKind::kEmpty:
    case FileKind::kImage:
    case FileKind::kBinary:
      // No text to read (we do no OCR). Listing every image as unscannable would mark most
      // mail so and teach people to ignore the signal; the attachment list, with its detected
      // type, still lets a policy act on such files.
      return;
    case FileKind::kPdf:
      extract_pdf(sink, bytes, where);
      return;
    case FileKind::kOoxml:
    case FileKind::kOdf:
      extract_office(sink, bytes, type, where);
      return;
    case FileKind::kArchive:
      extract_archive(sink, bytes, type, path, depth);
      return;
    case FileKind::kOle: {
      // An encrypted OOXML package is an OLE file holding "EncryptedPackage" (MS-OFFCRYPTO);
      // anything else in OLE is a legacy binary Office file, which we do not read.
      constexpr std::string_view kEncrypted{
          "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0", 32};
      sink.add_unscannable(where, contains(bytes, kEncrypted)
                                      ? "encrypted Office document"
                                      : "legacy Office document (OLE compound file) not read");
      return;
    }
    case FileKind::kCalendar:
      sink.add_text(where, calendar_to_text(decode_to_utf8(bytes, hints.charset).text));
      return;
    case FileKind::kHtml:
      sink.add_text(where, html_to_text(decode_to_utf8(bytes, hints.charset).text));
      return;
    case FileKind::kText: {
      DecodedText text = decode_to_utf8(bytes, hints.charset);
      if (text.charset_mismatch) {
        sink.add_charset_note(where, "text is not valid " + std::string(hints.charset) +
                                        "; read as Windows-1252");
      }
      sink.add_text(where, std::move(text.text));
      return;
    }
  }
}

}  // namespace sendguard::mime_internal
