// libFuzzer target: the text extractors (charset decoding, HTML, iCalendar, CSV/plain text) and
// the file-type detector. Every output must be valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/charset.h"
#include "mime/extract.h"
#include "mime/file_type.h"
#include "mime/html_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sendguard::mime_internal;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const char* const kCharsets[] = {"", "utf-8", "iso-8859-1", "windows-1252", "koi8-r",
                                          "shift_jis", "iso-2022-jp", "utf-16", "x-bogus"};
  const char* charset = size == 0 ? "" : kCharsets[data[0] % 9];
  DecodedText decoded = decode_to_utf8(bytes, charset);
  if (!is_valid_utf8(decoded.text)) std::abort();
  if (!is_valid_utf8(html_to_text(decoded.text))) std::abort();
  if (!is_valid_utf8(calendar_to_text(decoded.text))) std::abort();
  if (!is_valid_utf8(utf8_or_windows1252(bytes))) std::abort();
  (void)detect_file_type(bytes, "x.csv", "text/csv");

  sendguard::ParsedMessage out;
  sendguard::MimeLimits limits;
  limits.max_text_bytes = 64u << 10;
  Budget budget(limits);
  Sink sink(out, budget);
  extract_file(sink, bytes, "fuzz.txt", {"text/plain", charset}, 1);
  for (const auto& segment : out.texts) {
    if (!is_valid_utf8(segment.text)) std::abort();
  }
  return 0;
}
