// Splitting a ByteStream into lines without copying them (history module internal).
//
// Lines are views into one large buffer, valid until the next call. A line longer than
// max_line_bytes is skipped whole and counted, so one runaway line cannot make the reader
// buffer a whole file. The line terminator ("\n", and a "\r" before it) is not part of the line.
//
// Thread-safety: one LineReader per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "history/byte_stream.h"

namespace sendguard::history_internal {

class LineReader {
 public:
  LineReader(ByteStream& stream, std::size_t max_line_bytes);

  // The next line in `line`; false at the end of the stream.
  Result<bool> next(std::string_view& line);

  std::uint64_t line_number() const { return line_number_; }  // of the line last returned
  std::uint64_t overlong_lines() const { return overlong_lines_; }

 private:
  Result<bool> fill();

  ByteStream& stream_;
  std::size_t max_line_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // inside an overlong line, discarding up to its newline
  std::uint64_t line_number_ = 0;
  std::uint64_t overlong_lines_ = 0;
};

}  // namespace sendguard::history_internal
