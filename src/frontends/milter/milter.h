// The milter front-end: speaks the milter protocol (version 6, through libmilter) to Postfix
// or Sendmail and translates each stage to the gateway and back. No detection or policy logic
// lives here.
//
// Why libmilter rather than a native implementation on an event loop: libmilter is the
// reference implementation both MTAs are tested against, it negotiates protocol version 6 and
// every action we need (add and change headers, delete recipients, quarantine), and its
// thread per connection costs nothing measurable beside the work of inspecting a message (see
// docs/BENCHMARKS.md, "Gateway throughput").
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
