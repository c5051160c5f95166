// Times as people and logs read them: UTC, ISO 8601, to the second.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace sendguard {

// "2026-11-28T17:05:09Z".
std::string utc_time(std::chrono::system_clock::time_point t);

// Reads "2026-11-28T17:05:09Z", "2026-11-28T17:05:09", "2026-11-28 17:05" or "2026-11-28",
// all as UTC; std::nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc(const std::string& text);

}  // namespace sendguard
