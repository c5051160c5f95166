// Writing report files so that no reader ever sees half of one (investigate module internal).
//
// Errors: kIo with the path and strerror(). Thread-safety: one StagedFiles per thread.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace sendguard::investigate_internal {

// Creates `dir` and its missing parents with `mode` (less the umask); fails when `dir` or a
// parent exists and is not a directory.
Result<void> make_directories(const std::string& dir, unsigned mode);

// Files written first under temporary names beside their final ones, then renamed into place
// together by commit(). Whatever was not committed is removed when the object goes away.
class StagedFiles {
 public:
  StagedFiles() = default;
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;
  ~StagedFiles();

  // Writes `content` to a new temporary file in the directory of `path`, flushed to disk,
  // with `mode`.
  Result<void> stage(const std::string& path, const std::string& content, unsigned mode);

  // Renames every staged file to its final path, in the order staged.
  Result<void> commit();

 private:
  struct Staged {
    std::string temporary, path;
  };
  std::vector<Staged> staged_;
};

}  // namespace sendguard::investigate_internal
