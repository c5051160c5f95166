// Header blocks and structured header values (Content-Type, Content-Disposition) as the reader
// of common messages understands them: strictly. Every function answers nullopt for anything
// outside the plain, well-formed forms, so that the caller leaves the message to GMime rather
// than guess at what GMime would make of it. Internal to mime/.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace sendguard::mime_internal {

// A line's end: LF or CRLF. GMime takes either anywhere, and so does this reader; a CR that
// ends no line is text to both (and never valid in a header field or a delimiter line here).
struct Line {
  std::string_view text;  // without its line break
  std::size_t next = 0;   // where the next line starts (the end of the text if none)
  bool ends_in_crlf = false;
  bool has_line_break = false;
};

// The line starting at `pos` (< text.size()).
Line line_at(std::string_view text, std::size_t pos);

struct HeaderField {
  std::string_view name;
  std::string_view raw_value;  // after the colon, folds and the final line break included, as
                               // GMime keeps it
};

struct HeaderBlock {
  std::vector<HeaderField> fields;
  std::size_t body_offset = 0;  // where the body starts, after the empty line
};

// The header block at the start of `text`: fields of printable ASCII (names of letters,
// digits and "-_.", values with tabs allowed), folded lines that carry text, ended by an empty
// line. Fields of more than `max_value_bytes` are refused, as are more than `max_fields`.
std::optional<HeaderBlock> split_header_block(std::string_view text, std::size_t max_value_bytes,
                                              std::size_t max_fields);

// "text/plain; charset=utf-8" or "attachment; filename=\"a.pdf\"": a name (or type/subtype),
// then parameters whose values are tokens or quoted strings without escapes, encoded words, or
// spaces at either end or in pairs. Names, types and subtypes are letters, digits and "-_."
// alone (so never RFC 2231's "name*0*"). A name given twice is refused.
struct StructuredValue {
  std::string_view value;  // "text/plain", "attachment", as written
  std::vector<std::pair<std::string_view, std::string_view>> parameters;  // unquoted values

  // The value of the parameter `name` (any case), if given.
  std::optional<std::string_view> parameter(std::string_view name) const;
};

// `with_subtype`: the value is type "/" subtype (Content-Type), else one token.
std::optional<StructuredValue> parse_structured_value(std::string_view raw_value,
                                                      bool with_subtype);

bool equals_ascii_ignoring_case(std::string_view a, std::string_view b);

}  // namespace sendguard::mime_internal
