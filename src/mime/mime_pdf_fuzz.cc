// libFuzzer target: the PDF extractor (poppler-cpp) on any bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mime/extract.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sendguard::mime_internal;
  sendguard::ParsedMessage out;
  sendguard::MimeLimits limits;
  limits.max_text_bytes = 64u << 10;
  Budget budget(limits);
  Sink sink(out, budget);
  extract_pdf(sink, std::string_view(reinterpret_cast<const char*>(data), size),
              "attachment:fuzz.pdf");
  return 0;
}
