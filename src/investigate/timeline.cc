#include "investigate/timeline.h"

#include <array>
#include <cstdio>
#include <map>
#include <set>

#include "investigate/summary.h"

namespace sendguard::investigate_internal {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr std::array<std::string_view, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

unsigned month_index(const year_month_day& date) { return static_cast<unsigned>(date.month()) - 1; }

sys_days period_start(PeriodUnit unit, sys_days day) {
  switch (unit) {
    case PeriodUnit::kDay:
      return day;
    case PeriodUnit::kWeek: {
      const unsigned since_monday = std::chrono::weekday(day).iso_encoding() - 1;
      return day - days(since_monday);
    }
    case PeriodUnit::kMonth: {
      const year_month_day date(day);
      return sys_days(date.year() / date.month() / 1);
    }
  }
  return day;
}

sys_days next_period(PeriodUnit unit, sys_days start) {
  switch (unit) {
    case PeriodUnit::kDay:
      return start + days(1);
    case PeriodUnit::kWeek:
      return start + days(7);
    case PeriodUnit::kMonth: {
      const year_month_day date(start);
      return sys_days((date.year() / date.month() / 1) + std::chrono::months(1));
    }
  }
  return start + days(1);
}

}  // namespace

std::string_view to_string(PeriodUnit unit) {
  switch (unit) {
    case PeriodUnit::kDay:
      return "day";
    case PeriodUnit::kWeek:
      return "week";
    case PeriodUnit::kMonth:
      return "month";
  }
  return "day";
}

PeriodUnit period_unit_for(sys_days first, sys_days last) {
  const auto span = (last - first).count() + 1;
  if (span <= kMaxDaySpan) return PeriodUnit::kDay;
  if (span <= kMaxWeekSpan) return PeriodUnit::kWeek;
  return PeriodUnit::kMonth;
}

Timeline build_timeline(const std::vector<MisdirectedMessage>& messages) {
  Timeline timeline;
  if (messages.empty()) return timeline;
  sys_days first = std::chrono::floor<days>(messages.front().time), last = first;
  for (const MisdirectedMessage& m : messages) {
    const sys_days day = std::chrono::floor<days>(m.time);
    first = std::min(first, day);
    last = std::max(last, day);
  }
  timeline.unit = period_unit_for(first, last);

  // A message with several lookalike recipients counts once, in the period of its first one.
  std::map<sys_days, std::set<std::string>> messages_by_start, sensitive_by_start;
  std::map<std::string, sys_days> start_of_message;
  for (const MisdirectedMessage& m : messages) {
    const std::string key = message_key(m);
    const sys_days day = std::chrono::floor<days>(m.time);
    const sys_days start =
        start_of_message.try_emplace(key, period_start(timeline.unit, day)).first->second;
    messages_by_start[start].insert(key);
    if (is_sensitive(m)) sensitive_by_start[start].insert(key);
  }
  for (sys_days start = period_start(timeline.unit, first); start <= last;
       start = next_period(timeline.unit, start)) {
    Period period{start, next_period(timeline.unit, start) - days(1)};
    if (auto it = messages_by_start.find(start); it != messages_by_start.end()) {
      period.messages = it->second.size();
    }
    if (auto it = sensitive_by_start.find(start); it != sensitive_by_start.end()) {
      period.sensitive_messages = it->second.size();
    }
    timeline.periods.push_back(period);
  }
  return timeline;
}

std::string iso_date(sys_days day) {
  const year_month_day date(day);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

std::string period_label(PeriodUnit unit, const Period& period) {
  switch (unit) {
    case PeriodUnit::kDay:
      return iso_date(period.start);
    case PeriodUnit::kWeek:
      return "week of " + iso_date(period.start);
    case PeriodUnit::kMonth: {
      const year_month_day date(period.start);
      return std::string(kMonthNames[month_index(date)]) + " " +
             std::to_string(static_cast<int>(date.year()));
    }
  }
  return iso_date(period.start);
}

std::string period_tick(PeriodUnit unit, const Period& period) {
  const year_month_day date(period.start);
  const std::string month(kMonthNames[month_index(date)].substr(0, 3));
  if (unit == PeriodUnit::kMonth)
    return month + " " + std::to_string(static_cast<int>(date.year()));
  return std::to_string(static_cast<unsigned>(date.day())) + " " + month;
}

}  // namespace sendguard::investigate_internal
