// Syslog timestamp parsing and year inference (see syslog_time.h).
#include "history/syslog_time.h"

#include <ctime>

#include "history/unix_time.h"

namespace sendguard::history_internal {
namespace {

using std::chrono::system_clock;

bool digits(std::string_view s, std::size_t at, std::size_t count, int& out) {
  if (at + count > s.size()) return false;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    value = value * 10 + static_cast<int>(d);
  }
  out = value;
  return true;
}

int month_from_name(std::string_view name) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) return i + 1;
  }
  return 0;
}

bool valid_clock(const SyslogTimestamp& t) {
  return t.hour < 24 && t.minute < 60 && t.second <= 60 && t.month >= 1 && t.month <= 12 &&
         t.day >= 1 && t.day <= 31;
}

// Seconds since the epoch of a civil date and time read as UTC; none for an impossible date.
std::optional<std::int64_t> civil_seconds(int year, const SyslogTimestamp& t) {
  using namespace std::chrono;
  year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(t.month)},
                      std::chrono::day{static_cast<unsigned>(t.day)}};
  if (!date.ok()) return std::nullopt;
  std::int64_t days = sys_days(date).time_since_epoch().count();
  return days * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

std::size_t parse_rfc3339(std::string_view s, SyslogTimestamp& t) {
  // 2026-11-28T08:07:26[.ffffff](Z|+hh:mm|-hh:mm)
  if (!digits(s, 0, 4, t.year) || s[4] != '-' || !digits(s, 5, 2, t.month) || s[7] != '-' ||
      !digits(s, 8, 2, t.day) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, t.hour) ||
      s[13] != ':' || !digits(s, 14, 2, t.minute) || s[16] != ':' || !digits(s, 17, 2, t.second)) {
    return 0;
  }
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int scale = 100000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      t.microsecond += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  if (i >= s.size()) return 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    t.utc_offset_minutes = 0;
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    int hours = 0, minutes = 0;
    if (!digits(s, i + 1, 2, hours) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, minutes)) {
      return 0;
    }
    int offset = hours * 60 + minutes;
    t.utc_offset_minutes = s[i] == '-' ? -offset : offset;
    i += 6;
  } else {
    return 0;
  }
  if (i >= s.size() || s[i] != ' ' || !valid_clock(t)) return 0;
  return i + 1;
}

}  // namespace

std::size_t parse_syslog_timestamp(std::string_view s, SyslogTimestamp& t) {
  t = SyslogTimestamp{};
  if (s.size() < 16) return 0;
  if (s[0] >= '0' && s[0] <= '9') return s.size() >= 21 ? parse_rfc3339(s, t) : 0;
  // "Nov 28 08:07:26 " or "Nov  8 08:07:26 "
  t.month = month_from_name(s.substr(0, 3));
  if (t.month == 0 || s[3] != ' ') return 0;
  if (s[4] == ' ') {
    if (!digits(s, 5, 1, t.day)) return 0;
  } else if (!digits(s, 4, 2, t.day)) {
    return 0;
  }
  if (s[6] != ' ' || !digits(s, 7, 2, t.hour) || s[9] != ':' || !digits(s, 10, 2, t.minute) ||
      s[12] != ':' || !digits(s, 13, 2, t.second) || s[15] != ' ' || !valid_clock(t)) {
    return 0;
  }
  return 16;
}

SyslogClock::SyslogClock(std::optional<std::chrono::minutes> utc_offset)
    : utc_offset_(utc_offset) {}

std::int64_t SyslogClock::local_offset_seconds(std::int64_t local_seconds) {
  if (utc_offset_) return utc_offset_->count() * 60;
  std::int64_t hour = local_seconds / 3600;
  if (hour != cached_hour_) {
    // mktime() consults the time zone rules (and takes a lock): once per hour of log is enough.
    std::time_t as_utc = static_cast<std::time_t>(hour * 3600);
    std::tm civil{};
    gmtime_r(&as_utc, &civil);
    civil.tm_isdst = -1;
    std::time_t actual = std::mktime(&civil);
    cached_hour_ = hour;
    cached_hour_offset_ = actual == static_cast<std::time_t>(-1) ? 0 : hour * 3600 - actual;
  }
  return cached_hour_offset_;
}

void SyslogClock::set_reference(system_clock::time_point reference) {
  std::int64_t utc =
      std::chrono::duration_cast<std::chrono::seconds>(reference.time_since_epoch()).count();
  std::int64_t offset;
  if (utc_offset_) {
    offset = utc_offset_->count() * 60;
  } else {
    std::time_t t = static_cast<std::time_t>(utc);
    std::tm local{};
    localtime_r(&t, &local);
    offset = local.tm_gmtoff;
  }
  reference_local_seconds_ = utc + offset;
  std::time_t local_as_utc = static_cast<std::time_t>(reference_local_seconds_);
  std::tm civil{};
  gmtime_r(&local_as_utc, &civil);
  reference_year_ = civil.tm_year + 1900;
  cached_month_ = cached_day_ = 0;
}

std::optional<system_clock::time_point> SyslogClock::to_utc(const SyslogTimestamp& t) {
  std::int64_t local;
  if (t.year != 0) {
    auto seconds = civil_seconds(t.year, t);
    if (!seconds) return std::nullopt;
    local = *seconds;
  } else {
    int year = t.month == cached_month_ && t.day == cached_day_ ? cached_year_ : 0;
    std::optional<std::int64_t> seconds;
    if (year != 0) {
      seconds = civil_seconds(year, t);
    } else {
      // The latest year that does not put the line more than a day after the reference; a
      // 29 February looks back to the last leap year.
      for (int y = reference_year_ + 1; y > reference_year_ - 8 && !seconds; --y) {
        auto candidate = civil_seconds(y, t);
        if (candidate && *candidate <= reference_local_seconds_ + 86400) {
          seconds = candidate;
          year = y;
        }
      }
      if (!seconds) return std::nullopt;
      cached_month_ = t.month;
      cached_day_ = t.day;
      cached_year_ = year;
    }
    local = *seconds;
  }
  std::int64_t offset =
      t.utc_offset_minutes ? std::int64_t{*t.utc_offset_minutes} * 60 : local_offset_seconds(local);
  return from_unix_seconds(local - offset, t.microsecond);
}

}  // namespace sendguard::history_internal
