// libFuzzer target: parse_message() must survive any bytes, within its limits, without
// crashing, hanging or tripping a sanitizer; what it returns must be valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/charset.h"
#include "mime/mime.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  sendguard::MimeLimits limits;
  limits.max_depth = 6;  // small limits reach the limit paths with small inputs
  limits.max_parts = 40;
  limits.max_decoded_bytes = 8u << 20;
  limits.max_text_bytes = 64u << 10;
  auto parsed = sendguard::parse_message(raw, limits);
  if (!parsed) return 0;
  using sendguard::mime_internal::is_valid_utf8;
  for (const auto& segment : parsed->texts) {
    if (!is_valid_utf8(segment.text) || !is_valid_utf8(segment.where)) std::abort();
  }
  for (const auto& [name, value] : parsed->headers) {
    if (!is_valid_utf8(name) || !is_valid_utf8(value)) std::abort();
  }
  return 0;
}
