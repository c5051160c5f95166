// Zero-copy line splitting over a ByteStream (see line_reader.h).
#include "history/line_reader.h"

#include <algorithm>
#include <cstring>

namespace sendguard::history_internal {
namespace {
// Large reads keep the per-read cost (a syscall, an inflate call) far below the per-line cost.
constexpr std::size_t kMinBufferBytes = 4u << 20;
}  // namespace

LineReader::LineReader(ByteStream& stream, std::size_t max_line_bytes)
    : stream_(stream),
      max_line_bytes_(max_line_bytes),
      buffer_(std::max(kMinBufferBytes, 2 * max_line_bytes + 2)) {}

Result<bool> LineReader::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    // No newline in a whole buffer: the line is overlong; drop what we hold of it.
    if (!skipping_) ++overlong_lines_, ++line_number_;
    skipping_ = true;
    end_ = 0;
  }
  auto n = stream_.read(std::span<char>(buffer_.data() + end_, buffer_.size() - end_));
  if (!n) return std::unexpected(n.error());
  if (*n == 0) eof_ = true;
  end_ += *n;
  return true;
}

Result<bool> LineReader::next(std::string_view& line) {
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const char* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline == nullptr && eof_) {
      if (begin_ == end_ || skipping_) return false;
      newline = buffer_.data() + end_;  // a last line without a newline
    }
    if (newline == nullptr) {
      if (auto ok = fill(); !ok) return std::unexpected(ok.error());
      continue;
    }
    std::size_t length = static_cast<std::size_t>(newline - start);
    begin_ = std::min(end_, begin_ + length + 1);
    if (skipping_) {  // the tail of an overlong line
      skipping_ = false;
      continue;
    }
    ++line_number_;
    if (length > max_line_bytes_) {
      ++overlong_lines_;
      continue;
    }
    if (length > 0 && start[length - 1] == '\r') --length;
    line = std::string_view(start, length);
    return true;
  }
}

}  // namespace sendguard::history_internal
