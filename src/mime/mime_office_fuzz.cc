// libFuzzer target: the Office Open XML / OpenDocument extractor (libzip, pugixml). The first
// byte picks the package kind, so every kind is reached whatever the rest looks like.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mime/extract.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sendguard::mime_internal;
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  FileType type = detect_file_type(bytes);
  if (type.kind != FileKind::kOoxml && type.kind != FileKind::kOdf) {
    static const FileType kKinds[] = {{FileKind::kOoxml, "docx"}, {FileKind::kOoxml, "xlsx"},
                                      {FileKind::kOoxml, "pptx"}, {FileKind::kOoxml, "ooxml"},
                                      {FileKind::kOdf, "odt"}};
    type = kKinds[data[0] % 5];
  }
  sendguard::ParsedMessage out;
  sendguard::MimeLimits limits;
  limits.max_decoded_bytes = 16u << 20;
  limits.max_text_bytes = 64u << 10;
  Budget budget(limits);
  Sink sink(out, budget);
  extract_office(sink, bytes, type, "attachment:fuzz");
  return 0;
}
