// A progress line on standard error for long reads ("reading 45% (450 of 1,000 MB)"), drawn
// only when standard error is a terminal and at most ten times a second, so that logs and
// pipes stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sendguard::cli {

class ProgressLine {
 public:
  explicit ProgressLine(std::string label);
  ~ProgressLine();  // clears the line
  void update(std::uint64_t done, std::uint64_t total);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace sendguard::cli
