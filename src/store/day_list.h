// The distinct days of one history row as SQLite keeps them, in the row itself
// (history_counts.day_list), so that an import updates one row per key instead of a row per key and
// day. The first day is zigzag-encoded, then each gap to the next day follows, all as LEB128
// varints: a key mailed every day for five years takes under 2 KB, and a row with one stray
// far-off date (a forged Date header) only a few bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sendguard::store_internal {

// `days`: UTC days since 1970-01-01, ascending, each once.
std::string encode_day_list(std::span<const std::int64_t> days);
// The same into `out` (replacing what it held), so that a loop over many rows reuses one buffer.
void encode_day_list(std::span<const std::int64_t> days, std::string& out);
// The days, ascending; nullopt when `encoded` is not such a list.
std::optional<std::vector<std::int64_t>> decode_day_list(std::string_view encoded);
// The days of both lists, each once; nullopt when either is not a list.
std::optional<std::string> merge_day_lists(std::string_view a, std::string_view b);

}  // namespace sendguard::store_internal
