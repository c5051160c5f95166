// Running the MTA's own tools (postsuper, postqueue, sendmail) without a shell: the arguments go
// to the program as given, so nothing in them is ever interpreted.
//
// Thread-safety: run_program may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace sendguard {

struct ProgramResult {
  int status = 0;          // the exit status; 128 + the signal's number when a signal ended it
  std::string output;      // what it wrote to standard output and standard error, interleaved
  bool timed_out = false;  // killed for running over the time limit
};

// Runs argv[0] (a path; PATH is not searched) with `input` on its standard input and waits for
// it. With a time limit above zero the program is killed (SIGKILL) once it runs over, so that a
// stuck MTA tool cannot stall the caller. The child inherits no descriptor but its standard
// streams, and default signal handling. Fails (kIo) only when the program could not be started.
Result<ProgramResult> run_program(const std::vector<std::string>& argv, std::string_view input = {},
                                  std::chrono::milliseconds time_limit = {});

}  // namespace sendguard
