// libFuzzer target: the Postfix log line parser and the join behind it must survive any bytes
// without crashing, hanging or tripping a sanitizer, and every part they cut must lie inside
// the line they were given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "history/postfix_log.h"

namespace {

bool inside(std::string_view part, std::string_view line) {
  return part.empty() ||
         (part.data() >= line.data() && part.data() + part.size() <= line.data() + line.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  sendguard::PostfixLogOptions options;
  options.utc_offset = std::chrono::minutes(0);
  options.max_queue_lifetime = std::chrono::hours(1);  // reach the stale-entry paths quickly
  std::size_t records = 0;
  sendguard::PostfixLogJoiner joiner(options, [&](sendguard::SentMail&& mail) {
    if (mail.recipients.empty()) std::abort();  // only delivered messages are records
    ++records;
  });
  joiner.begin_file("fuzz.log", options.now);
  std::uint64_t number = 0;
  while (!input.empty()) {
    std::size_t newline = input.find('\n');
    std::string_view line = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    auto cut = sendguard::parse_postfix_log_line(line);
    if (!inside(cut.timestamp, line) || !inside(cut.host, line) || !inside(cut.instance, line) ||
        !inside(cut.queue_id, line) || !inside(cut.address, line) || !inside(cut.status, line)) {
      std::abort();
    }
    joiner.add_line(line, ++number);
  }
  joiner.finish();
  if (joiner.messages() != records) std::abort();
  return 0;
}
