// The attachment extractors and the sink they report to. Internal to mime/: the message parser
// and the fuzz targets call these; other modules use mime.h.
//
// Every extractor reads untrusted bytes under the message's Budget, adds what text it finds to
// the Sink, and lists in the Sink whatever it cannot read and why. None throws; none returns an
// error: a file that cannot be read is a finding (Unscannable), not a failure of the parse.
// Thread-safety: a Sink belongs to one parse; the functions are reentrant.
#pragma once

#include <string>
#include <string_view>

#include "mime/file_type.h"
#include "mime/limits.h"
#include "mime/mime.h"

namespace sendguard::mime_internal {

class Sink {
 public:
  Sink(ParsedMessage& out, Budget& budget) : out_(out), budget_(budget) {}

  Budget& budget() { return budget_; }

  // Empty text is dropped; text beyond max_text_bytes is cut, and the cut listed once.
  void add_text(std::string where, std::string text);
  void add_unscannable(std::string where, std::string reason);
  // The text was read, but only by guessing its charset: recorded, at low severity.
  void add_charset_note(std::string where, std::string reason);
  void add_attachment(Attachment attachment);
  // Lists the budget's stop reason against `where`, once per message. Returns false, so that
  // `if (!budget.take_part()) return sink.report_stop(where);` reads naturally.
  bool report_stop(const std::string& where);

 private:
  ParsedMessage& out_;
  Budget& budget_;
  bool text_cut_reported_ = false;
  bool stop_reported_ = false;
};

struct FileHints {
  std::string_view content_type;  // as declared, lower case: "application/pdf"
  std::string_view charset;       // the MIME charset parameter, if any
};

// Reads one file (an attachment or an archive member) by its content signature. `path` is its
// name as the where-string shows it ("report.pdf", "outer.zip/inner.docx"); `depth` is its
// nesting level (the message is 0). Records it in ParsedMessage::attachments.
void extract_file(Sink& sink, std::string_view bytes, const std::string& path,
                  const FileHints& hints, int depth);

// One extractor per kind; `where` is the complete where-string ("attachment:report.pdf").
void extract_pdf(Sink& sink, std::string_view bytes, const std::string& where);
void extract_office(Sink& sink, std::string_view bytes, const FileType& type,
                    const std::string& where);
void extract_archive(Sink& sink, std::string_view bytes, const FileType& type,
                     const std::string& path, int depth);

// iCalendar (already UTF-8) to the text of its people-facing properties.
std::string calendar_to_text(std::string_view ics);

}  // namespace sendguard::mime_internal
