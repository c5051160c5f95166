// libFuzzer target: the reader of common messages against GMime. Whenever the reader accepts
// an input, its ParsedMessage must equal the GMime walk's in every field; any difference is a
// way to hide content from one of the two, and aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "mime/message_readers.h"
#include "mime/parsed_message_diff.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  sendguard::MimeLimits limits;
  limits.max_decoded_bytes = 8u << 20;
  limits.max_text_bytes = 64u << 10;
  auto common = sendguard::mime_internal::read_common_message(raw, limits);
  if (!common) return 0;
  auto gmime = sendguard::mime_internal::parse_message_with_gmime(raw, limits);
  if (!gmime) {
    std::fprintf(stderr, "accepted a message GMime refuses: %s\n", gmime.error().message.c_str());
    std::abort();
  }
  std::string difference = sendguard::mime_testing::first_difference(*common, *gmime);
  if (!difference.empty()) {
    std::fprintf(stderr, "fast path differs from GMime: %s\n", difference.c_str());
    std::abort();
  }
  return 0;
}
