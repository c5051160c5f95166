// libFuzzer target: a milter session fed arbitrary bytes from the MTA, in arbitrary pieces,
// must answer, ask for decisions or close with a reason, never crash, hang or trip a
// sanitizer. Decisions are answered in turn (continue, reject, then a message outcome with
// every action) so the reply paths are exercised too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "frontends/milter/milter_session.h"

namespace {

const sendguard::MessageOutcome& every_action() {
  static const sendguard::MessageOutcome outcome = [] {
    sendguard::MessageOutcome o;
    o.add_headers = {{"X-Sendguard-Action", "tag"}};
    o.new_subject = "[tag] subject";
    o.remove_recipients = {"<a@example.org>", "b"};
    o.quarantine_reason = "held\r\n100%";
    return o;
  }();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  every_action();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using sendguard::milter::Session;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first byte chooses how the input is cut into reads (1 to 256 bytes each), as a socket
  // may deliver it.
  std::size_t piece = input.empty() ? 1 : static_cast<unsigned char>(input[0]) + 1;
  if (!input.empty()) input.remove_prefix(1);
  Session session(
      sendguard::milter::SessionOptions{.max_message_bytes = 4096, .max_packet_bytes = 8192});
  std::string out;
  unsigned decisions = 0;
  while (true) {
    Session::Step step = session.advance(out);
    if (step == Session::Step::kClose) break;
    if (step == Session::Step::kDecideRecipient) {
      sendguard::RcptOutcome r;
      if (decisions++ % 2) r = {sendguard::RcptOutcome::Verb::kReject, "no\n%"};
      session.finish_recipient(r, out);
      continue;
    }
    if (step == Session::Step::kDecideMessage) {
      if (session.message().size() > 4097) std::abort();  // the size limit holds
      session.finish_message(decisions++ % 2 ? every_action() : sendguard::MessageOutcome{}, out);
      continue;
    }
    if (input.empty()) break;
    std::size_t n = std::min(piece, input.size());
    session.receive(input.substr(0, n));
    input.remove_prefix(n);
    if (out.size() > (1u << 20)) out.clear();
  }
  return 0;
}
