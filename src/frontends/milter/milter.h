// The milter front-end: speaks the milter protocol (version 6, through libmilter) to Postfix
// or Sendmail and translates each stage to the gateway and back. No detection or policy logic
// lives here.
//
// Why libmilter rather than a native implementation on an event loop: libmilter is the
// reference implementation both MTAs are tested against and negotiates protocol version 6 and
// every action we need (add and change headers, delete recipients, quarantine). The latency a
// milter adds came from which protocol steps were negotiated, not from libmilter (see
// milter.cc, kProtocol); libmilter's cost is CPU, about a third of the milter's, in a poll and
// a read per command part and a thread per connection (docs/ARCHITECTURE.md, "The gateway";
// figures in docs/BENCHMARKS.md, "Gateway throughput").
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

// Runs until SIGTERM or SIGINT; returns the process exit status (0 on a clean stop, 2 when it
// could not start, with the reason on standard error).
int run(const Config& config, const MilterOptions& options);

}  // namespace sendguard::milter
