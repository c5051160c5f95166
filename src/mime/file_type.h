// What a file is, by its content signature. The file name and the declared content type are
// only hints (used to tell CSV from other text): a sender can name a PDF "notes.txt" and a
// mail client can call anything application/octet-stream. Internal to mime/.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace sendguard::mime_internal {

enum class FileKind {
  kEmpty,
  kPdf,
  kOoxml,     // DOCX, XLSX, PPTX (ZIP with [Content_Types].xml)
  kOdf,       // OpenDocument (ZIP whose first member is "mimetype")
  kArchive,   // ZIP, tar, 7z, RAR, gzip/bzip2/xz streams
  kOle,       // OLE compound file: legacy Office or an encrypted OOXML package
  kCalendar,  // iCalendar
  kHtml,
  kText,      // plain text, CSV, RTF, vCard and other text
  kImage,
  kBinary,    // anything else
};

struct FileType {
  FileKind kind = FileKind::kBinary;
  std::string name;  // Attachment::detected_type: "pdf", "docx", "zip", "csv", "png", ...
};

FileType detect_file_type(std::string_view bytes, std::string_view filename_hint = {},
                          std::string_view content_type_hint = {});

}  // namespace sendguard::mime_internal
