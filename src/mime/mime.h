// Message parsing: every piece of text a message carries, from its headers, its text and HTML
// parts, nested messages and its attachments (PDF, Office Open XML, OpenDocument, ZIP, calendar,
// CSV, plain text), with GMime and the extractors below it.
//
// Messages are untrusted. parse_message() enforces MimeLimits; anything it cannot read in full
// (a limit reached, an encrypted PDF, a password-protected or corrupt archive, a broken
// encoding) is reported in ParsedMessage::unscannable, never silently skipped, never a crash.
//
// Thread-safety: parse_message() may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace sendguard {

struct MimeLimits {
  std::size_t max_message_bytes = 64u << 20;     // bytes of raw message accepted
  int max_depth = 12;                             // nesting: multipart, message/rfc822, archives
  int max_parts = 500;                            // MIME parts and archive members, all told
  std::size_t max_decoded_bytes = 256u << 20;     // decoded + decompressed bytes, all told
  std::size_t max_text_bytes = 16u << 20;         // extracted text kept per message
  std::size_t max_header_bytes = 64u << 10;       // bytes kept of one decoded header value
  std::chrono::milliseconds time_budget{10'000};  // wall time for one message
};

// Where-strings:
//   "subject"                        the decoded Subject
//   "body"                           the message's own text parts (see below)
//   "header:<name>"                  a header field (unscannable entries only; the scanner
//                                    reads ParsedMessage::headers itself)
//   "attachment:<name>"              an attachment's text; unnamed ones are "part-N"
//   "attachment:<outer>/<inner>"     inside an archive or a forwarded message, e.g.
//                                    "attachment:outer.zip/inner.docx",
//                                    "attachment:fwd.eml/report.pdf"; a forwarded message's
//                                    own headers and body text are "attachment:fwd.eml"
//                                    ("part-N.eml" when it has no name).
// In multipart/alternative the text/plain part is read whole and the other alternatives (HTML)
// add, as a second "body" segment, only the lines with words the plain text lacks (text
// hidden by CSS, say): reading both whole would count every match twice.
struct TextSegment {
  std::string where;  // see above
  std::string text;   // UTF-8
};

struct Attachment {
  std::string filename;       // as given (decoded), or a generated "part-N" name; members of
                              // archives and forwarded messages carry their path,
                              // "outer.zip/inner.docx" (as in the where-string)
  std::string content_type;   // as declared, lower case; empty for archive members
  std::string detected_type;  // by content signature: "pdf", "zip", "docx", "xlsx", "pptx",
                              // "odt", "ics", "csv", "text", "html", "png", "binary",
                              // "message" (message/rfc822), "encrypted"/"unread" (archive
                              // members that could not be read)
  std::size_t bytes = 0;      // decoded size (0 for a message/rfc822 part)
};

struct Unscannable {
  std::string where;   // as TextSegment::where; a limit that stops the whole message names the
                       // part where it was reached ("body" for the message's own parts)
  std::string reason;  // for people: "password-protected ZIP", "nesting deeper than 12", ...
  // True when the text was read all the same, under an assumption (an undeclared or wrong
  // charset read as Windows-1252): worth recording, not worth stopping the mail for.
  bool text_was_read = false;
};

struct ParsedMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // name, RFC 2047-decoded value
  std::string subject;                                       // decoded
  std::string from;                                          // the From mailbox as written
  std::vector<std::string> to, cc, bcc;                      // one mailbox each, as written
  std::vector<TextSegment> texts;  // the subject, every text part, every attachment's text
  std::vector<Attachment> attachments;
  std::vector<Unscannable> unscannable;
};

// Parses a raw RFC 5322 message. Errors only when the message cannot be examined at all
// (larger than max_message_bytes, or not a message); a damaged message parses with its damage
// listed in `unscannable`.
Result<ParsedMessage> parse_message(std::string_view raw, const MimeLimits& limits = {});

// A header value for the wire: ASCII text as it is, anything else as RFC 2047 encoded words, so
// that a changed Subject keeps its non-ASCII characters.
std::string encode_header_text(std::string_view utf8);

}  // namespace sendguard
