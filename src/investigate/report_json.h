// investigation.json: the whole Investigation as JSON, for programs (a SIEM, a ticket, a later
// comparison). Times are RFC 3339 in UTC to the second ("2026-11-03T09:15:00Z"); findings have
// the same form as in every other sendguard output (guard/report_json.h); empty queue ids and
// message ids are null. A "summary" object repeats the report's headline figures.
//
// Pure functions: thread-safe. They do not fail: invalid UTF-8 in a value is replaced.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "investigate/investigation.h"

namespace sendguard {

// "2026-11-03T09:15:00Z": UTC, truncated to the second.
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

nlohmann::ordered_json to_json(const MisdirectedMessage& message);
nlohmann::ordered_json to_json(const Investigation& investigation);

// The text of investigation.json: to_json(investigation), indented, ending in a newline.
std::string render_investigation_json(const Investigation& investigation);

}  // namespace sendguard
