// Fuzzes the content scanner with arbitrary bytes as body text, subject and label headers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "content/content.h"

namespace {
std::shared_ptr<const sendguard::ContentScanner> scanner;
}

// The scanner is compiled once, before fuzzing starts: Hyperscan's compile takes seconds under
// the sanitizers, and inside the first input it would count against that input's time limit.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sendguard::ContentOptions options;
  options.custom_detectors.push_back({"org.falcon", {"project falcon"}, {R"(FAL-\d{4})"}, 0.5});
  auto built = sendguard::ContentScanner::build(options);
  if (!built) std::abort();
  scanner = *built;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<sendguard::Finding> out;
  scanner->scan_text(text, "body", out);
  scanner->scan_text(text, "subject", out);
  scanner->scan_header("X-Protective-Marking", text, out);
  scanner->scan_header("msip_labels", text, out);
  scanner->scan_header("x-titus-metadata-40", text, out);
  for (const auto& f : out) {
    // Excerpts are bounded: a finding never copies the input wholesale.
    if (f.excerpt.size() > 512 || f.count < 1) std::abort();
  }
  return 0;
}
