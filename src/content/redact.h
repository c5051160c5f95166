// Redacted excerpts: a little context before a match and the match with its sensitive part
// masked. Findings leave the module only with these, never the value itself. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sendguard::content {

// Up to `max_bytes` of text before `from` on the same line, cut at a word start, with digits
// masked (context may hold another number) and made valid, printable UTF-8.
std::string context_before(std::string_view text, std::size_t from, std::size_t max_bytes = 24);

// Keeps the first `keep_front` and last `keep_back` alphanumerics of `value`, masks the other
// alphanumerics with '*', and keeps separators: "4929 **** **** 1234".
std::string mask_middle(std::string_view value, std::size_t keep_front, std::size_t keep_back);

// The first `keep` bytes, then '*' for the rest, at most `max_stars` of them: "AKIA****...".
std::string mask_after(std::string_view value, std::size_t keep, std::size_t max_stars = 16);

// Printable, valid UTF-8: control bytes become spaces, invalid sequences '?'.
std::string printable(std::string_view s);

}  // namespace sendguard::content
