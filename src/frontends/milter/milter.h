// The milter front-end: speaks the milter protocol (version 6) to Postfix or Sendmail and
// translates each stage to the gateway and back. No detection or policy logic lives here.
//
// The protocol is implemented here rather than through libmilter, chosen by measurement
// (docs/ARCHITECTURE.md, "The gateway"): milter_protocol (the wire format), milter_session (one
// connection's state and the translation of the gateway's outcomes into replies) and
// milter_server (an epoll loop over every connection, led in turn by a small pool of threads
// that also make the decisions).
//
// Listening on unix:PATH, the socket gets gateway.socket_mode so that the MTA's user can write
// to it.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace sendguard::milter {

struct MilterOptions {
  std::vector<std::string> known_domains;  // --known-domains files
  std::string listen;                      // empty: gateway.listen
  std::string state_dir;                   // empty: gateway.state_dir
};

// Runs until SIGTERM or SIGINT, then lets the messages in flight finish; returns the process exit
// status (0 on a clean stop, 2 when it could not start, with the reason on standard error).
int run(const Config& config, const MilterOptions& options);

}  // namespace sendguard::milter
