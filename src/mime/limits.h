// The resource budget of one parse_message() call: nesting depth, parts, decoded bytes, kept
// text and wall time (MimeLimits). Internal to the mime module.
//
// Parts, bytes and time are message-wide: once one is spent the whole message stops, because
// whatever follows could only be read by spending more of it. Depth is local: a too-deep
// subtree is skipped and its siblings are still read. Text beyond max_text_bytes is dropped but
// reading goes on, so that unscannable parts further on are still found and listed.
//
// Thread-safety: one Budget per message; not shared between threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "mime/mime.h"

namespace sendguard::mime_internal {

class Budget {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Budget(const MimeLimits& limits, Clock::time_point start = Clock::now());

  const MimeLimits& limits() const { return limits_; }

  // Why the whole message stopped, if it did ("time budget of 10000 ms spent", ...).
  const std::optional<std::string>& stop_reason() const { return stop_reason_; }
  bool stopped() const { return stop_reason_.has_value(); }

  // Each returns false once the message must stop; the first failure sets stop_reason().
  bool check_time();
  bool take_part();
  bool take_bytes(std::size_t bytes);

  // Local limit: true if something at `depth` (0 = the message itself) may be read.
  bool depth_allowed(int depth) const { return depth <= limits_.max_depth; }

  std::size_t bytes_left() const { return limits_.max_decoded_bytes - bytes_used_; }
  std::size_t text_left() const { return limits_.max_text_bytes - text_used_; }

  // Trims `text` to the text still allowed (at a UTF-8 boundary) and counts it; returns true if
  // anything had to be cut.
  bool take_text(std::string& text);

 private:
  bool stop(std::string reason);

  MimeLimits limits_;
  Clock::time_point deadline_;
  int parts_used_ = 0;
  std::size_t bytes_used_ = 0;
  std::size_t text_used_ = 0;
  std::optional<std::string> stop_reason_;
};

}  // namespace sendguard::mime_internal
