// The milter server: an epoll loop over the listening socket and every MTA connection
// (non-blocking; each readable connection is read in full into its session, every complete
// packet is handled, and the replies leave in one write). A small pool of threads takes turns
// at the loop: a decision at RCPT or at the end of the message, which may take milliseconds, is
// made by the thread that read its packet while the next thread leads the loop, so that one
// slow message does not hold up the other connections and no reply waits for a hand-off
// between threads (milter_server.cc says more).
//
// Why not libmilter: it reads each command's length and body separately, each after a poll
// (about 100 poll and 60 read calls a message), and starts a thread per connection; on a
// CPU-bound gateway that was a third of the milter's CPU (docs/ARCHITECTURE.md, "The gateway").
//
// Thread-safety: run() on one thread; stop() from any thread or a signal handler.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "frontends/milter/milter_session.h"
#include "gateway/gateway.h"

namespace sendguard::milter {

// Answers at RCPT and at the end of the message; called on the deciding threads, concurrently.
class Decider {
 public:
  virtual ~Decider() = default;
  virtual RcptOutcome on_recipient(const Transaction& transaction, std::string_view recipient) = 0;
  virtual MessageOutcome on_message(const Transaction& transaction, std::string_view message) = 0;
  // The answer to a recipient when it can be given at once, in memory, without the store (the
  // usual acceptance); std::nullopt sends the recipient to on_recipient() on a deciding thread.
  // Called on the event loop, so it must take microseconds and never wait: handing the loop to
  // another thread costs a thread wake-up, milliseconds when other work keeps the cores busy.
  virtual std::optional<RcptOutcome> quick_recipient(const Transaction& /*transaction*/,
                                                     std::string_view /*recipient*/) {
    return std::nullopt;
  }
};

// The TCP segment size the listener advertises: an Ethernet frame's (milter_server.cc says why).
inline constexpr int kAdvertisedSegmentBytes = 1460;

struct ServerOptions {
  // inet:PORT@HOST, inet6:PORT@HOST (HOST may be omitted: every address; PORT 0: any free
  // port, see Server::port), or unix:PATH (local:PATH), as libmilter and the MTAs write it.
  std::string listen;
  int socket_mode = 0660;  // unix:PATH: the socket's permission bits
  // Decisions at RCPT and end of message made at once (one thread more serves the loop); 0:
  // twice the cores, at least 4. More than the cores pay off when decisions wait on the store
  // rather than the CPU.
  std::size_t workers = 0;
  // Seconds of silence from the MTA, outside a pending decision, before a connection is closed
  // (gateway.mta_timeout_s).
  int idle_timeout_s = 60;
  // After stop(): seconds that connections with a message in flight get to finish it before they
  // are closed (the MTA then keeps the message and retries: milter_default_action = tempfail). A
  // decision already running is always waited for and answered.
  int shutdown_grace_s = 30;
  SessionOptions session;
};

class Server {
 public:
  // Opens the listening socket (a port in use or a bad spec is reported here, at start).
  static Result<std::unique_ptr<Server>> listen(const ServerOptions& options, Decider& decider);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until stop(), then lets the messages in flight finish (see shutdown_grace_s), closes
  // the listener (removing a unix socket) and returns.
  void run();
  // Async-signal-safe: sets a flag and wakes the loop.
  void stop();
  // The TCP port listened on (0 for a unix socket).
  int port() const { return port_; }

  struct Impl;

 private:
  Server(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace sendguard::milter
