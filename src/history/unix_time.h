// Seconds since the epoch to system_clock, within what it can hold (history module internal).
//
// system_clock counts nanoseconds in 64 bits, so it spans only about 1678 to 2262; a year
// 0000 in a log line or a Date header of year 9999 would overflow it, and so would the
// difference of two times 300 years apart. Times outside 1970 to 2200 are refused
// (the caller falls back or reports), since no real message was sent then.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace sendguard::history_internal {

inline constexpr std::int64_t kEarliestUnixSeconds = 0;         // 1970-01-01T00:00:00Z
inline constexpr std::int64_t kLatestUnixSeconds = 7258118400;  // 2200-01-01T00:00:00Z

inline std::optional<std::chrono::system_clock::time_point> from_unix_seconds(
    std::int64_t seconds, std::int64_t microseconds = 0) {
  if (seconds < kEarliestUnixSeconds || seconds > kLatestUnixSeconds) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds) +
                                               std::chrono::microseconds(microseconds));
}

}  // namespace sendguard::history_internal
