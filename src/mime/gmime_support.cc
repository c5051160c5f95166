#include "mime/gmime_support.h"

#include <mutex>

#include "mime/charset.h"

namespace sendguard::mime_internal {
namespace {

struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using GString = std::unique_ptr<char, GFree>;

void collect_mailboxes_at(InternetAddressList* list, std::vector<std::string>& out, int level) {
  if (list == nullptr) return;
  int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      if (level < 2) {
        collect_mailboxes_at(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)),
                             out, level + 1);
      }
      continue;
    }
    GString text(internet_address_to_string(address, nullptr, FALSE));
    if (text && *text) out.push_back(safe_utf8(text.get()));
  }
}

}  // namespace

void init_gmime() {
  // g_mime_init() sets up process-wide tables (charsets, content-type registry); GMime is
  // safe to use from many threads only after it has run, and it must run once.
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

ParserOptionsPtr make_parser_options() {
  ParserOptionsPtr options(g_mime_parser_options_new());
  static const char* fallback[] = {"UTF-8", "windows-1252", nullptr};
  g_mime_parser_options_set_fallback_charsets(options.get(), fallback);
  return options;
}

std::string safe_utf8(const char* text) {
  return text == nullptr ? std::string() : utf8_or_windows1252(text);
}

std::string decoded_header_value(GMimeParserOptions* options, const std::string& raw_value) {
  GString unfolded(g_mime_utils_header_unfold(raw_value.c_str()));
  GString decoded(g_mime_utils_header_decode_text(options, unfolded.get()));
  return safe_utf8(decoded.get());
}

void collect_mailboxes(InternetAddressList* list, std::vector<std::string>& out) {
  collect_mailboxes_at(list, out, 0);
}

}  // namespace sendguard::mime_internal
