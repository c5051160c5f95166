// The pieces of GMime both message readers use: its one-time set-up, ownership of its objects,
// the parser options every parse shares, header decoding and mailbox formatting. The reader of
// common messages calls GMime's own functions for header text and addresses, so that what it
// returns for them is GMime's by construction. Internal to mime/.
// Thread-safety: after init_gmime(), every function may run on many threads at once.
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <string>
#include <vector>

namespace sendguard::mime_internal {

// g_mime_init() once per process; call before any other GMime function.
void init_gmime();

struct GObjectUnref {
  void operator()(gpointer object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

// 8-bit header text is tried as UTF-8 first, then read as Windows-1252 (never fails).
ParserOptionsPtr make_parser_options();

// GMime's text (possibly null) as UTF-8; invalid UTF-8 read as Windows-1252.
std::string safe_utf8(const char* text);

// A header's value as g_mime_header_get_value() gives it: unfolded, RFC 2047 words decoded.
std::string decoded_header_value(GMimeParserOptions* options, const std::string& raw_value);

// Each mailbox of a list, "Name <addr>" or "addr", group members flattened.
void collect_mailboxes(InternetAddressList* list, std::vector<std::string>& out);

}  // namespace sendguard::mime_internal
