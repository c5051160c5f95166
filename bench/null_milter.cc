// A milter that reads every message and changes nothing: sendguard's own protocol server, the
// same negotiation and event loop, with a decider that accepts each recipient at once and each
// message as it came, without inspecting, storing or logging anything. In the gateway benchmark
// (bench/postfix_benchmark, set-up "null") it measures what talking to any milter costs Postfix
// on the machine at hand: the floor under sendguard's figures, measured in the same run.
//
// usage: null_milter --listen SPEC      (SPEC as for `sendguard milter`; stops on SIGTERM)
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "frontends/milter/milter_server.h"

namespace {

using sendguard::MessageOutcome;
using sendguard::RcptOutcome;
using sendguard::Transaction;

class AcceptEverything : public sendguard::milter::Decider {
 public:
  std::optional<RcptOutcome> quick_recipient(const Transaction&, std::string_view) override {
    return RcptOutcome{};
  }
  RcptOutcome on_recipient(const Transaction&, std::string_view) override { return {}; }
  MessageOutcome on_message(const Transaction&, std::string_view) override { return {}; }
};

sendguard::milter::Server* running = nullptr;

void on_signal(int) {
  if (running) running->stop();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string_view(argv[1]) != "--listen") {
    std::fprintf(stderr, "usage: null_milter --listen SPEC\n");
    return 2;
  }
  sendguard::milter::ServerOptions options;
  options.listen = argv[2];
  AcceptEverything decider;
  auto server = sendguard::milter::Server::listen(options, decider);
  if (!server) {
    std::fprintf(stderr, "null_milter: %s\n", server.error().message.c_str());
    return 2;
  }
  running = server->get();
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  (*server)->run();
  return 0;
}
