#include "mime/limits.h"

#include <utility>

#include "mime/charset.h"

namespace sendguard::mime_internal {

Budget::Budget(const MimeLimits& limits, Clock::time_point start)
    : limits_(limits), deadline_(start + limits.time_budget) {}

bool Budget::stop(std::string reason) {
  if (!stop_reason_) stop_reason_ = std::move(reason);
  return false;
}

bool Budget::check_time() {
  if (stopped()) return false;
  // The clock is read between parts, members and pages only: a library call that runs long
  // (one huge PDF page) is not interrupted, but nothing new starts after the deadline.
  if (Clock::now() >= deadline_) {
    return stop("time budget of " + std::to_string(limits_.time_budget.count()) + " ms spent");
  }
  return true;
}

bool Budget::take_part() {
  if (stopped()) return false;
  if (parts_used_ >= limits_.max_parts) {
    return stop("more than " + std::to_string(limits_.max_parts) + " parts and archive members");
  }
  ++parts_used_;
  return check_time();
}

bool Budget::take_bytes(std::size_t bytes) {
  if (stopped()) return false;
  if (bytes > limits_.max_decoded_bytes - bytes_used_) {
    bytes_used_ = limits_.max_decoded_bytes;
    return stop("more than " + std::to_string(limits_.max_decoded_bytes) +
                " bytes of decoded or decompressed data (a ZIP bomb?)");
  }
  bytes_used_ += bytes;
  return true;
}

bool Budget::take_text(std::string& text) {
  std::size_t left = limits_.max_text_bytes - text_used_;
  bool cut = false;
  if (text.size() > left) {
    cut_utf8(text, left);
    cut = true;
  }
  text_used_ += text.size();
  return cut;
}

}  // namespace sendguard::mime_internal
