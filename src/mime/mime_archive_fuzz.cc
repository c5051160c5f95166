// libFuzzer target: the archive extractor (libarchive) and, through it, extract_file() on
// every member.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mime/extract.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sendguard::mime_internal;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  sendguard::ParsedMessage out;
  sendguard::MimeLimits limits;
  limits.max_depth = 4;
  limits.max_parts = 64;
  limits.max_decoded_bytes = 16u << 20;
  limits.max_text_bytes = 64u << 10;
  Budget budget(limits);
  Sink sink(out, budget);
  FileType type = detect_file_type(bytes);
  if (type.kind != FileKind::kArchive) type = {FileKind::kArchive, "zip"};
  extract_archive(sink, bytes, type, "fuzz.zip", 1);
  return 0;
}
