// HTML to the text a recipient receives. Internal to mime/.
//
// Tags are dropped and entities decoded. Text hidden by CSS (display:none, white on white,
// zero-size fonts) is KEPT: it is still delivered, and hiding a marking or a card number is
// exactly what a careless or hostile sender might do. Script and style contents are dropped
// (code, not text). Block elements (<br>, <p>, <div>, <tr>, <li>, headings...) start new lines so
// that a banner such as "OFFICIAL-SENSITIVE" stays on a line of its own; table cells are
// separated by tabs. Runs of white space collapse to one space, as a browser shows them.
//
// The scanner is a single pass over the input with no recursion, so any input is linear time.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace sendguard::mime_internal {

// `html` must be UTF-8; the result is UTF-8.
std::string html_to_text(std::string_view html);

// Decodes one entity body (without '&' and ';'): "amp", "#233", "#x20AC". Empty if unknown.
std::string decode_html_entity(std::string_view name);

}  // namespace sendguard::mime_internal
