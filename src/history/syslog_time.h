// Syslog timestamps to UTC (history module internal).
//
// Two forms are read at the start of a line:
//   "Nov 28 08:07:26 host ..."                    traditional (RFC 3164): local time, no year
//   "2026-11-28T08:07:26.123456+00:00 host ..."   RFC 3339, as rsyslog's high-precision format
//
// The year of a traditional timestamp is inferred from a reference time the line cannot be
// later than: the modification time of the file it was read from (a log file is last written
// when its last line is), clamped to "now". The line gets the latest year that does not put it
// more than one day after the reference (the day absorbs a file touched just before midnight
// in another time zone, or a clock slightly off). So in a file modified on 3 January 2027,
// "Dec 31" lines are 2026 and "Jan  2" lines are 2027: a December→January rollover inside one
// file comes out right, and each file of a rotated chain uses its own modification time. What
// this cannot tell apart is a file that spans more than a year, or one whose modification time
// was reset long after it was written (a copy without -p): such lines land up to a year late.
//
// Thread-safety: SyslogClock is a plain value; use one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sendguard::history_internal {

struct SyslogTimestamp {
  int year = 0;  // 0: not written (traditional form)
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int microsecond = 0;
  std::optional<int> utc_offset_minutes;  // written in the line (RFC 3339 only)
};

// Parses the timestamp at the start of `line` and the space after it. Returns the number of
// bytes consumed, or 0 when the line does not start with a timestamp of either form.
std::size_t parse_syslog_timestamp(std::string_view line, SyslogTimestamp& out);

class SyslogClock {
 public:
  // `utc_offset`: the offset of traditional timestamps; none: this machine's time zone (TZ).
  explicit SyslogClock(std::optional<std::chrono::minutes> utc_offset);

  // The file the next lines come from was last modified at `reference` (see above).
  void set_reference(std::chrono::system_clock::time_point reference);

  // UTC; none for an impossible date (30 February, month 13).
  std::optional<std::chrono::system_clock::time_point> to_utc(const SyslogTimestamp& t);

 private:
  std::int64_t local_offset_seconds(std::int64_t local_seconds);

  std::optional<std::chrono::minutes> utc_offset_;
  std::int64_t reference_local_seconds_ = 0;  // the reference as local wall time, epoch-based
  int reference_year_ = 1970;
  // One-entry caches: consecutive lines nearly always share their day and hour.
  int cached_month_ = 0, cached_day_ = 0, cached_year_ = 0;
  std::int64_t cached_hour_ = -1, cached_hour_offset_ = 0;
};

}  // namespace sendguard::history_internal
