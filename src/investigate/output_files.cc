#include "investigate/output_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace sendguard::investigate_internal {
namespace {

std::unexpected<Error> io_error(const std::string& what, const std::string& path, int error) {
  return make_error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(error));
}

Result<void> write_all(int fd, const std::string& content, const std::string& path) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot write", path, errno);
    written += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

Result<void> make_directories(const std::string& dir, unsigned mode) {
  if (dir.empty()) return make_error(ErrorCode::kIo, "no output directory given");
  // Each prefix in turn, so that every directory created gets `mode`, not the 0777 that
  // std::filesystem::create_directories would use.
  std::string prefix;
  for (const auto& part : std::filesystem::path(dir)) {
    prefix = prefix.empty() ? part.string() : (std::filesystem::path(prefix) / part).string();
    if (part.empty() || part == "/") continue;
    if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      return io_error("cannot create directory", prefix, errno);
    }
  }
  struct stat status {};
  if (::stat(dir.c_str(), &status) != 0) return io_error("cannot use directory", dir, errno);
  if (!S_ISDIR(status.st_mode)) return io_error("cannot use directory", dir, ENOTDIR);
  return {};
}

StagedFiles::~StagedFiles() {
  for (const Staged& file : staged_) ::unlink(file.temporary.c_str());
}

Result<void> StagedFiles::stage(const std::string& path, const std::string& content,
                                unsigned mode) {
  const std::filesystem::path final_path(path);
  std::string temporary =
      (final_path.parent_path() / ("." + final_path.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) return io_error("cannot create a temporary file for", path, errno);
  staged_.push_back({temporary, path});  // removed by the destructor unless committed
  Result<void> written = write_all(fd, content, temporary);
  if (written && ::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    written = io_error("cannot set the mode of", temporary, errno);
  }
  if (written && ::fsync(fd) != 0) written = io_error("cannot flush", temporary, errno);
  if (::close(fd) != 0 && written) written = io_error("cannot close", temporary, errno);
  return written;
}

Result<void> StagedFiles::commit() {
  // A directory in the way would fail its rename after others had succeeded: find it first.
  for (const Staged& file : staged_) {
    struct stat status {};
    if (::stat(file.path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
      return io_error("cannot write", file.path, EISDIR);
    }
  }
  while (!staged_.empty()) {
    const Staged& file = staged_.front();
    if (::rename(file.temporary.c_str(), file.path.c_str()) != 0) {
      return io_error("cannot write", file.path, errno);
    }
    staged_.erase(staged_.begin());
  }
  return {};
}

}  // namespace sendguard::investigate_internal
