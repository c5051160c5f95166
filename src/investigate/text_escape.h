// Making attacker-controlled text safe for the reports (investigate module internal).
//
// Every string in an Investigation came from someone else's mail: addresses, message ids,
// excerpts. These functions turn such text into well-formed UTF-8 that can only ever be
// text where it is placed: HTML text and quoted attribute values, or JSON inside a <script>
// element. Pure functions: thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace sendguard::investigate_internal {

// `text` with every ill-formed UTF-8 sequence (overlong, surrogate, past U+10FFFF, truncated)
// and every C0 control other than tab, line feed and carriage return replaced by U+FFFD, so
// that a report stays valid UTF-8 and valid HTML whatever bytes the source held.
std::string to_valid_utf8(std::string_view text);

// Text for an HTML element or a double-quoted attribute value: valid UTF-8, with & < > " '
// written as character references.
std::string html_escape(std::string_view text);

// `json` for a <script type="application/json"> element: "<", ">" and "&" are written as
// \u003c, \u003e, \u0026 so that no "</script>" or "<!--" can end or change the element, and
// U+2028 and U+2029 as \u2028, \u2029 so that the text is also a valid JavaScript literal.
// Invalid UTF-8 becomes U+FFFD. JSON.parse() of the element's text gives `json` back.
std::string script_safe_json(const nlohmann::ordered_json& json);

}  // namespace sendguard::investigate_internal
