#include "history/sent_mail.h"

#include <cstdio>

namespace sendguard {

std::string postfix_identity(std::string_view mta, std::string_view queue_id,
                             std::chrono::system_clock::time_point first_seen) {
  std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(first_seen)};
  char date[16];
  std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return "postfix:" + std::string(mta) + "/" + std::string(queue_id) + ":" + date;
}

}  // namespace sendguard
