// Rotated log files grouped into families, oldest first (history module internal).
//
// A family is one log under the names its rotator gives it, in one directory:
//   mail.log  mail.log.1  mail.log.2.gz ...         (logrotate, numbered: a higher number is older)
//   mail.log  mail.log-20261127  mail.log-20261126.gz  (logrotate dateext: an earlier date is
//   older)
// The live file, without a suffix, is the newest. Reading a family oldest first as one stream
// joins a message whose lines straddle a rotation.
//
// Thread-safety: pure functions.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sendguard::history_internal {

// The family's name ("mail.log") of a file name ("mail.log.2.gz").
std::string rotation_base_name(const std::string& file_name);

// Groups `paths` into families, each sorted oldest first; families keep the order in which
// their first member appears in `paths`. Duplicates (the same path given twice) are dropped.
std::vector<std::vector<std::filesystem::path>> group_rotation_families(
    const std::vector<std::filesystem::path>& paths);

}  // namespace sendguard::history_internal
