// UTF-8 validation for untrusted bytes (address module internal).
#pragma once

#include <string_view>

namespace sendguard::address_internal {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace sendguard::address_internal
