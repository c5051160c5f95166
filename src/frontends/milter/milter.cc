#include "frontends/milter/milter.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "core/config.h"
#include "frontends/milter/milter_server.h"
#include "gateway/gateway.h"

namespace sendguard::milter {
namespace {

// The gateway answers the server's questions as they are; the translation into the protocol's
// replies is the session's (milter_session.cc).
class GatewayDecider final : public Decider {
 public:
  explicit GatewayDecider(Gateway& gateway) : gateway_(gateway) {}
  RcptOutcome on_recipient(const Transaction& transaction, std::string_view recipient) override {
    return gateway_.on_recipient(transaction, recipient);
  }
  MessageOutcome on_message(const Transaction& transaction, std::string_view message) override {
    return gateway_.on_message(transaction, message);
  }
  std::optional<RcptOutcome> quick_recipient(const Transaction& transaction,
                                             std::string_view recipient) override {
    return gateway_.quick_recipient(transaction, recipient);
  }

 private:
  Gateway& gateway_;
};

// The server a signal stops. Server::stop only sets a flag and writes to an eventfd, both safe
// in a signal handler.
Server* g_server = nullptr;

void on_stop_signal(int) {
  if (g_server) g_server->stop();
}

void log_counters(const GatewayCounters& c) {
  spdlog::info(
      "counters: messages {}, recipients rejected at RCPT {}, tagged {}, held {}, rejected {}, "
      "recipients dropped "
      "{}, sender notices {} (failed {}), overrides {}, monitor-mode would-act {}, failed open {}, "
      "failed closed {}",
      c.messages.load(), c.recipients_rejected.load(), c.tagged.load(), c.held.load(),
      c.rejected.load(), c.recipients_dropped.load(), c.sender_notices.load(),
      c.sender_notices_failed.load(), c.overrides.load(), c.monitored.load(), c.failed_open.load(),
      c.failed_closed.load());
}

}  // namespace

int run(const Config& config, const MilterOptions& options) {
  auto gateway = Gateway::open(config, options.known_domains, options.state_dir);
  if (!gateway) {
    std::cerr << "sendguard: " << gateway.error().message << '\n';
    return 2;
  }
  GatewayDecider decider(**gateway);
  ServerOptions server_options;
  server_options.listen = options.listen.empty() ? config.gateway.listen : options.listen;
  server_options.socket_mode = config.gateway.socket_mode;
  server_options.idle_timeout_s = config.gateway.mta_timeout_s;
  // A message being inspected when the stop came gets its full time limit, and a little more
  // for the MTA to send the rest of one whose transfer was under way.
  server_options.shutdown_grace_s = config.gateway.message_time_limit_ms / 1000 + 5;
  server_options.session.max_message_bytes = config.content.limits.max_message_bytes;
  auto server = Server::listen(server_options, decider);
  if (!server) {
    std::cerr << "sendguard: " << server.error().message << '\n';
    return 2;
  }
  g_server = server->get();
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  spdlog::info("sendguard milter listening on {} (policy mode {}, on failure {}, state in {})",
               server_options.listen, config.policy.mode, config.gateway.on_failure,
               effective_state_dir(config, options.state_dir));
  (*server)->run();
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  g_server = nullptr;
  server->reset();
  log_counters((*gateway)->counters());
  spdlog::info("sendguard milter stopped");
  return 0;
}

}  // namespace sendguard::milter
