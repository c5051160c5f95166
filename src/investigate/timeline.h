// Misdirected messages per period, for the report's timeline chart (investigate module
// internal). The period grows with the span so that the chart keeps a readable number of bars:
// days up to kMaxDaySpan days, ISO weeks (Monday to Sunday) up to kMaxWeekSpan days, months
// beyond. Periods run without gaps from the first message's to the last one's, so that quiet
// days show as quiet. Times are UTC. Pure functions: thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "investigate/investigation.h"

namespace sendguard::investigate_internal {

enum class PeriodUnit { kDay, kWeek, kMonth };
std::string_view to_string(PeriodUnit unit);  // "day", "week", "month"

inline constexpr int kMaxDaySpan = 45;    // days: at most 45 bars
inline constexpr int kMaxWeekSpan = 366;  // days: at most 53 bars

// The unit for messages spread from `first` to `last`, both days included.
PeriodUnit period_unit_for(std::chrono::sys_days first, std::chrono::sys_days last);

struct Period {
  std::chrono::sys_days start;  // the first day of the period
  std::chrono::sys_days end;    // the last day of the period, included
  std::size_t messages = 0;     // distinct messages (see message_key())
  std::size_t sensitive_messages = 0;
};

struct Timeline {
  PeriodUnit unit = PeriodUnit::kDay;
  std::vector<Period> periods;  // oldest first; empty when nothing was found
};

Timeline build_timeline(const std::vector<MisdirectedMessage>& messages);

// "2026-11-03", "week of 2026-11-02", "November 2026": the period's name for a title.
std::string period_label(PeriodUnit unit, const Period& period);
// "3 Nov", "2 Nov", "Nov 2026": short enough for an axis.
std::string period_tick(PeriodUnit unit, const Period& period);

// "2026-11-03".
std::string iso_date(std::chrono::sys_days day);

}  // namespace sendguard::investigate_internal
