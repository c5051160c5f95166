// Bytes in some charset to UTF-8, never failing: text whose declared charset is missing,
// unknown or wrong is read as Windows-1252 (a superset of the printable ISO-8859-1), because
// a guard that drops badly labelled text would let it through unread. Internal to mime/.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sendguard::mime_internal {

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view bytes);

// Appends a code point as UTF-8; NUL, surrogates and values past U+10FFFF become U+FFFD.
void append_utf8(std::string& out, std::uint32_t cp);

// Every byte is a character; the five bytes Windows-1252 leaves undefined become U+FFFD.
std::string windows1252_to_utf8(std::string_view bytes);

// Valid UTF-8 as it is, anything else as Windows-1252.
std::string utf8_or_windows1252(std::string_view bytes);

// Cuts `text` to at most `max_bytes` at a character boundary (valid UTF-8 stays valid).
void cut_utf8(std::string& text, std::size_t max_bytes);

struct DecodedText {
  std::string text;           // UTF-8
  bool charset_mismatch = false;  // a charset was declared but the bytes are not valid in it
};

// `declared` is the MIME charset parameter, possibly empty. A byte-order mark wins over it.
DecodedText decode_to_utf8(std::string_view bytes, std::string_view declared);

}  // namespace sendguard::mime_internal
