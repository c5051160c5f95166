// PDF text with poppler-cpp, page by page.
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <climits>
#include <memory>
#include <mutex>
#include <string>

#include "mime/extract.h"

namespace sendguard::mime_internal {
namespace {

void ignore_poppler_message(const std::string&, void*) {}

void quiet_poppler() {
  // Poppler prints every syntax error in a damaged PDF to stderr; we report damage as a
  // finding instead, so its messages would only flood the log with attacker-chosen noise.
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(ignore_poppler_message, nullptr); });
}

}  // namespace

void extract_pdf(Sink& sink, std::string_view bytes, const std::string& where) {
  quiet_poppler();
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    sink.add_unscannable(where, "PDF too large to read");
    return;
  }
  // load_from_raw_data does not copy: `bytes` outlives the document.
  std::unique_ptr<poppler::document> document(poppler::document::load_from_raw_data(
      bytes.data(), static_cast<int>(bytes.size())));
  if (!document) {
    sink.add_unscannable(where, "corrupt PDF");
    return;
  }
  // Locked means a user password is needed to open it. A PDF encrypted with an empty user
  // password (permissions only) opens, and its text is read like any other.
  if (document->is_locked()) {
    sink.add_unscannable(where, "encrypted PDF");
    return;
  }
  const int pages = document->pages();
  if (pages <= 0) {
    sink.add_unscannable(where, "corrupt PDF (no pages)");
    return;
  }
  std::string text;
  for (int i = 0; i < pages; ++i) {
    if (!sink.budget().check_time()) {
      sink.add_text(where, std::move(text));
      sink.report_stop(where);
      return;
    }
    if (text.size() > sink.budget().text_left()) break;  // add_text cuts and reports it
    std::unique_ptr<poppler::page> page(document->create_page(i));
    if (!page) {
      sink.add_unscannable(where, "corrupt PDF (page " + std::to_string(i + 1) + ")");
      continue;
    }
    poppler::byte_array utf8 = page->text().to_utf8();
    if (!text.empty()) text += '\n';
    text.append(utf8.data(), utf8.size());
  }
  sink.add_text(where, std::move(text));
}

}  // namespace sendguard::mime_internal
