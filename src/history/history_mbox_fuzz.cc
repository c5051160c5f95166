// libFuzzer target: mbox splitting, unescaping and the header reading of archived messages
// must survive any bytes without crashing, hanging or tripping a sanitizer; a message's raw
// bytes must be what the mbox held for it, unescaped.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "history/mail_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  sendguard::MailArchiveOptions options;
  options.max_header_bytes = 2048;  // small limits reach the limit paths with small inputs
  auto file_time = std::chrono::system_clock::time_point{};
  sendguard::split_mbox(input, [&](std::string_view message, std::uint64_t number) {
    if (message.data() < input.data() || message.data() + message.size() > input.data() + size) {
      std::abort();
    }
    std::string raw = sendguard::unescape_mbox_message(message);
    if (raw.size() > message.size()) std::abort();
    auto mail =
        sendguard::sent_mail_from_message(raw, file_time, "f:#" + std::to_string(number), options);
    if (mail && (mail->recipients.empty() || mail->identity.empty() || mail->raw != raw)) {
      std::abort();
    }
    return true;
  });
  // The whole input as one message (an .eml file or a Maildir entry).
  auto mail = sendguard::sent_mail_from_message(std::string(input), file_time, "f", options);
  if (mail && mail->identity.empty()) std::abort();
  return 0;
}
