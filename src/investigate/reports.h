// The files `sendguard investigate` leaves for people and programs: report.html (for the
// security officer), misdirected.csv (for a spreadsheet) and investigation.json (for programs),
// all three written from one Investigation into one directory.
//
// Errors: Result values with ErrorCode::kIo naming the path and the system's reason (the
// directory is a file, no permission, the disk is full). Each file is written to a temporary
// file beside it and renamed into place only once all three are complete, so a reader sees
// either the previous report or the new one, never a half-written file, and a failure leaves
// no temporary files behind.
// Thread-safety: concurrent calls must use different directories.
#pragma once

#include <string>

#include "core/error.h"
#include "investigate/investigation.h"

namespace sendguard {

struct ReportPaths {
  std::string html;  // <out_dir>/report.html
  std::string csv;   // <out_dir>/misdirected.csv
  std::string json;  // <out_dir>/investigation.json
};

// Creates `out_dir` (and its missing parents) with mode 0750 when needed and writes the three
// reports into it with mode 0640: they name people and may quote sensitive subjects.
Result<ReportPaths> write_investigation_reports(const Investigation& investigation,
                                                const std::string& out_dir);

}  // namespace sendguard
