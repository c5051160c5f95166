// What both message readers share once they know a message's structure: how a header, a part
// and an alternative become ParsedMessage entries, under the Budget. The GMime walk
// (message_parser.cc) and the reader of common messages (common_message_reader.cc) call the
// same functions, so that for a message both accept they cannot disagree on anything but the
// structure itself. Internal to mime/.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/extract.h"
#include "mime/limits.h"
#include "mime/mime.h"

namespace sendguard::mime_internal {

std::string lower(std::string_view s);

// A name fit for a where-string: no line breaks or other control characters.
std::string clean_name(std::string name);

// RFC 2045 6.8: only the alphabet, '=' padding at the end, and white space. GMime's decoder
// skips anything else silently, so damage is found by looking at the encoded text ourselves.
bool base64_is_broken(std::string_view encoded);

// Content-Type header lines in the raw message: an upper bound on the number of MIME entities
// GMime will build, and so on how deeply they nest. GMime has no nesting limit of its own and
// builds (and later frees) the whole tree before our walk can apply max_depth, so a 64 MiB
// message of a million nested multiparts is refused this way first. 20,000 levels were seen
// to parse and free within a 1 MiB thread stack under ASan; the cap is half that.
inline constexpr std::size_t kMaxContentTypeHeaders = 10'000;

// The number of lines starting "Content-Type" (any case) when there may be more than
// kMaxContentTypeHeaders of them, else 0: most mail is far too short to hold that many, and
// counting the lines of every message cost about 2% of inspecting it.
std::size_t content_type_lines_if_many(std::string_view raw);

struct Scope {
  std::string body_where;   // "body", or "attachment:fwd.eml" inside a nested message
  std::string path_prefix;  // "", or "fwd.eml/" inside a nested message
};

// One header field: records it in `out.headers`, its value cut to max_header_bytes (the cut
// listed), and notes a raw value that is not UTF-8. `value` is the decoded, unfolded value.
void record_header(Sink& sink, ParsedMessage& out, std::string name, std::string_view raw_value,
                   std::string value);

// The decoded Subject (the first one) as ParsedMessage::subject and as the "subject" text.
void record_subject(Sink& sink, ParsedMessage& out);

// Counts one entity (multipart or leaf) against the budget and numbers it; false when it must
// not be read (the message stopped, or it is nested too deep, which is listed).
bool enter_entity(Sink& sink, int depth, const Scope& scope, int& part_number);

// A leaf part as both readers describe it.
struct LeafPart {
  std::string mime_type;                // lower case; "text/plain" when undeclared
  std::string charset;                  // the charset parameter; empty when absent
  bool disposition_attachment = false;  // Content-Disposition: attachment (any case)
  std::optional<std::string> filename;  // the disposition's filename, else the type's name
};

// Whether a part of multipart/alternative is a plain text alternative, read whole.
bool is_plain_alternative(std::string_view mime_type, bool disposition_attachment);

// Reads a leaf's decoded bytes as body text or as an attachment. `base64_broken` lists the
// damage before the bytes are counted, as the encoded text was found.
void read_leaf(Sink& sink, const LeafPart& leaf, bool base64_broken, std::string bytes,
               int part_number, int depth, const Scope& scope);

// multipart/alternative, once its parts are read (plain ones first, from `plain_begin`, the
// others from `other_begin`): the other alternatives keep only the lines with words the plain
// text lacks, e.g. text hidden by CSS. Reading both whole would double every count.
void keep_what_alternatives_add(std::vector<TextSegment>& texts, std::size_t plain_begin,
                                std::size_t other_begin, const std::string& body_where);

// Reads the `count` parts of a multipart/alternative: the plain text ones whole and first, then
// the others, which keep only what they add. `is_plain(i)` tells the plain ones;
// `walk(i)` reads part i.
template <typename IsPlain, typename Walk>
void walk_alternative(Sink& sink, ParsedMessage& out, int count, IsPlain is_plain, Walk walk,
                      const std::string& body_where) {
  std::size_t plain_begin = out.texts.size();
  bool has_plain = false;
  for (int i = 0; i < count && !sink.budget().stopped(); ++i) {
    if (is_plain(i)) {
      has_plain = true;
      walk(i);
    }
  }
  std::size_t other_begin = out.texts.size();
  for (int i = 0; i < count && !sink.budget().stopped(); ++i) {
    if (!is_plain(i)) walk(i);
  }
  if (has_plain) keep_what_alternatives_add(out.texts, plain_begin, other_begin, body_where);
}

}  // namespace sendguard::mime_internal
