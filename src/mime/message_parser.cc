// parse_message(): the GMime walk over a message's MIME tree.
//
// GMime parses the whole tree first; the walk then reads each part under the Budget, in
// document order. Body text goes under "body", attachments (and the text of nested messages,
// which are attachments too) under "attachment:<path>".
#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mime/alternative_text.h"
#include "mime/charset.h"
#include "mime/extract.h"
#include "mime/html_text.h"
#include "mime/limits.h"
#include "mime/mime.h"

namespace sendguard {
namespace mime_internal {
namespace {

void init_gmime() {
  // g_mime_init() sets up process-wide tables (charsets, content-type registry); GMime is
  // safe to use from many threads only after it has run, and it must run once.
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct GObjectUnref {
  void operator()(gpointer object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using GString = std::unique_ptr<char, GFree>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string safe_utf8(const char* text) {
  return text == nullptr ? std::string() : utf8_or_windows1252(text);
}

// A name fit for a where-string: no line breaks or other control characters.
std::string clean_name(std::string name) {
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return name;
}

// Content-Type header lines in the raw message: an upper bound on the number of MIME entities
// GMime will build, and so on how deeply they nest. GMime has no nesting limit of its own and
// builds (and later frees) the whole tree before our walk can apply max_depth, so a 64 MiB
// message of a million nested multiparts is refused this way first. 20,000 levels were seen
// to parse and free within a 1 MiB thread stack under ASan; the cap is half that.
constexpr std::size_t kMaxContentTypeHeaders = 10'000;

constexpr std::string_view kContentTypeName = "content-type";

// Whether `raw` is long enough to hold more than kMaxContentTypeHeaders such lines: each takes
// the name and a line break, the last perhaps only the name. Most mail is far shorter, and
// counting the lines of every message cost about 2% of inspecting it.
bool may_exceed_content_type_cap(std::string_view raw) {
  return raw.size() >= (kMaxContentTypeHeaders + 1) * (kContentTypeName.size() + 1) - 1;
}

std::size_t count_content_type_lines(std::string_view raw) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    if (raw.size() - pos >= kContentTypeName.size()) {
      bool match = true;
      for (std::size_t i = 0; i < kContentTypeName.size() && match; ++i) {
        match = std::tolower(static_cast<unsigned char>(raw[pos + i])) == kContentTypeName[i];
      }
      if (match) ++count;
    }
    std::size_t newline = raw.find('\n', pos);
    if (newline == std::string_view::npos) break;
    pos = newline + 1;
  }
  return count;
}

// A table rather than isalnum(): every byte of every base64 part passes through here.
constexpr std::array<bool, 256> kBase64Letters = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '+' || c == '/';
  }
  return table;
}();

bool is_base64_letter(unsigned char c) { return kBase64Letters[c]; }

// RFC 2045 6.8: only the alphabet, '=' padding at the end, and white space. GMime's decoder
// skips anything else silently, so damage is found by looking at the encoded text ourselves.
bool base64_is_broken(std::string_view encoded) {
  std::size_t significant = 0;
  bool padding = false;
  for (char ch : encoded) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) return true;  // data after the padding
    if (!is_base64_letter(c)) return true;
    ++significant;
  }
  return significant % 4 == 1;  // one leftover character cannot encode a byte
}

std::string read_stream(GMimeStream* stream) {
  std::string out;
  if (stream == nullptr) return out;
  g_mime_stream_reset(stream);
  char buffer[16 * 1024];
  for (;;) {
    ssize_t got = g_mime_stream_read(stream, buffer, sizeof buffer);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  g_mime_stream_reset(stream);
  return out;
}

std::string decoded_content(GMimeDataWrapper* content) {
  GPtr<GMimeStream> memory(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, memory.get());
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(memory.get()));
  if (array == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

// Each mailbox of a list, "Name <addr>" or "addr", group members flattened.
void collect_mailboxes(InternetAddressList* list, std::vector<std::string>& out, int level = 0) {
  if (list == nullptr) return;
  int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      if (level < 2) {
        collect_mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)),
                          out, level + 1);
      }
      continue;
    }
    GString text(internet_address_to_string(address, nullptr, FALSE));
    if (text && *text) out.push_back(safe_utf8(text.get()));
  }
}

struct Scope {
  std::string body_where;   // "body", or "attachment:fwd.eml" inside a nested message
  std::string path_prefix;  // "", or "fwd.eml/" inside a nested message
};

class MessageWalker {
 public:
  MessageWalker(Sink& sink, ParsedMessage& out) : sink_(sink), out_(out) {}

  void walk(GMimeObject* object, int depth, const Scope& scope) {
    Budget& budget = sink_.budget();
    if (budget.stopped()) return;
    if (!budget.take_part()) {
      sink_.report_stop(scope.body_where);
      return;
    }
    ++part_number_;
    if (!budget.depth_allowed(depth)) {
      sink_.add_unscannable(scope.body_where,
                            "nesting deeper than " + std::to_string(budget.limits().max_depth));
      return;
    }
    if (GMIME_IS_MULTIPART_ENCRYPTED(object)) {
      sink_.add_unscannable(scope.body_where, "encrypted message part (PGP/MIME)");
      return;
    }
    if (GMIME_IS_MULTIPART_SIGNED(object)) {
      // The signature (second part) is not text a person wrote; the signed content is.
      GMimeObject* content = g_mime_multipart_get_part(GMIME_MULTIPART(object), 0);
      if (content != nullptr) walk(content, depth + 1, scope);
      return;
    }
    if (GMIME_IS_MULTIPART(object)) {
      walk_multipart(GMIME_MULTIPART(object), depth, scope);
      return;
    }
    if (GMIME_IS_MESSAGE_PART(object)) {
      walk_message_part(GMIME_MESSAGE_PART(object), depth, scope);
      return;
    }
    if (GMIME_IS_MESSAGE_PARTIAL(object)) {
      sink_.add_unscannable(scope.body_where, "message/partial fragment (not reassembled)");
      return;
    }
    if (GMIME_IS_PART(object)) walk_leaf(GMIME_PART(object), depth, scope);
  }

  // The people-facing headers of a nested message, as "Name: value" lines.
  std::string header_text(GMimeObject* message) {
    static constexpr std::string_view kShown[] = {"from",     "sender", "reply-to", "to",
                                                  "cc",       "bcc",    "date",     "subject"};
    GMimeHeaderList* headers = g_mime_object_get_header_list(message);
    std::string text;
    int count = headers == nullptr ? 0 : g_mime_header_list_get_count(headers);
    for (int i = 0; i < count; ++i) {
      GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
      std::string name = safe_utf8(g_mime_header_get_name(header));
      if (std::find(std::begin(kShown), std::end(kShown), lower(name)) == std::end(kShown)) {
        continue;
      }
      std::string value = safe_utf8(g_mime_header_get_value(header));
      cut_utf8(value, sink_.budget().limits().max_header_bytes);
      text += name + ": " + value + "\n";
    }
    return text;
  }

 private:
  std::string attachment_name(GMimeObject* object, std::string_view suffix) {
    const char* name = GMIME_IS_PART(object) ? g_mime_part_get_filename(GMIME_PART(object))
                                             : nullptr;
    if (name == nullptr) name = g_mime_object_get_content_disposition_parameter(object, "filename");
    if (name == nullptr) name = g_mime_object_get_content_type_parameter(object, "name");
    if (name != nullptr && *name != '\0') return clean_name(safe_utf8(name));
    return "part-" + std::to_string(part_number_) + std::string(suffix);
  }

  void walk_multipart(GMimeMultipart* multipart, int depth, const Scope& scope) {
    int count = g_mime_multipart_get_count(multipart);
    GMimeContentType* type = g_mime_object_get_content_type(GMIME_OBJECT(multipart));
    bool alternative = type != nullptr && g_mime_content_type_is_type(type, "multipart", "alternative");
    if (!alternative) {
      for (int i = 0; i < count && !sink_.budget().stopped(); ++i) {
        walk(g_mime_multipart_get_part(multipart, i), depth + 1, scope);
      }
      return;
    }
    // multipart/alternative: the plain text parts are read whole; the others (HTML, nested
    // multipart/related) add only the lines with words the plain text lacks, e.g. text hidden
    // by CSS. Reading both whole would double every count.
    auto is_plain = [](GMimeObject* part) {
      GMimeContentType* t = g_mime_object_get_content_type(part);
      const char* disposition = g_mime_object_get_disposition(part);
      return GMIME_IS_PART(part) && t != nullptr && g_mime_content_type_is_type(t, "text", "plain") &&
             (disposition == nullptr || g_ascii_strcasecmp(disposition, "attachment") != 0);
    };
    std::size_t plain_begin = out_.texts.size();
    bool has_plain = false;
    for (int i = 0; i < count && !sink_.budget().stopped(); ++i) {
      GMimeObject* part = g_mime_multipart_get_part(multipart, i);
      if (is_plain(part)) {
        has_plain = true;
        walk(part, depth + 1, scope);
      }
    }
    std::size_t other_begin = out_.texts.size();
    for (int i = 0; i < count && !sink_.budget().stopped(); ++i) {
      GMimeObject* part = g_mime_multipart_get_part(multipart, i);
      if (!is_plain(part)) walk(part, depth + 1, scope);
    }
    if (!has_plain) return;
    std::vector<TextSegment>& texts = out_.texts;
    std::vector<std::string_view> plain_texts;
    for (std::size_t i = plain_begin; i < other_begin; ++i) {
      if (texts[i].where == scope.body_where) plain_texts.push_back(texts[i].text);
    }
    PlainAlternative plain(plain_texts);
    for (std::size_t i = other_begin; i < texts.size(); ++i) {
      if (texts[i].where == scope.body_where) texts[i].text = plain.lines_not_in(texts[i].text);
    }
    texts.erase(std::remove_if(texts.begin() + static_cast<std::ptrdiff_t>(other_begin), texts.end(),
                               [](const TextSegment& s) { return s.text.empty(); }),
                texts.end());
  }

  void walk_message_part(GMimeMessagePart* part, int depth, const Scope& scope) {
    std::string path = scope.path_prefix + attachment_name(GMIME_OBJECT(part), ".eml");
    std::string where = "attachment:" + path;
    sink_.add_attachment({path, "message/rfc822", "message", 0});
    GMimeMessage* inner = g_mime_message_part_get_message(part);
    if (inner == nullptr) return;
    // A forwarded message is an attachment whose headers a person reads as text too.
    sink_.add_text(where, header_text(GMIME_OBJECT(inner)));
    GMimeObject* body = g_mime_message_get_mime_part(inner);
    if (body != nullptr) walk(body, depth + 1, Scope{where, path + "/"});
  }

  void walk_leaf(GMimePart* part, int depth, const Scope& scope) {
    GMimeObject* object = GMIME_OBJECT(part);
    GMimeContentType* type = g_mime_object_get_content_type(object);
    std::string mime_type;
    if (type != nullptr) {
      GString text(g_mime_content_type_get_mime_type(type));
      if (text) mime_type = lower(text.get());
    }
    if (mime_type.empty()) mime_type = "text/plain";
    const char* charset_param = g_mime_object_get_content_type_parameter(object, "charset");
    std::string charset = charset_param == nullptr ? std::string() : safe_utf8(charset_param);
    const char* disposition = g_mime_object_get_disposition(object);
    bool has_name = g_mime_part_get_filename(part) != nullptr;
    bool is_text = mime_type.starts_with("text/");
    bool is_attachment = !is_text || has_name ||
                         (disposition != nullptr && g_ascii_strcasecmp(disposition, "attachment") == 0);

    std::string path = scope.path_prefix + attachment_name(object, "");
    std::string where = is_attachment ? "attachment:" + path : scope.body_where;

    GMimeDataWrapper* content = g_mime_part_get_content(part);
    std::string bytes;
    if (content != nullptr) {
      if (g_mime_data_wrapper_get_encoding(content) == GMIME_CONTENT_ENCODING_BASE64 &&
          base64_is_broken(read_stream(g_mime_data_wrapper_get_stream(content)))) {
        sink_.add_unscannable(where, "broken base64 encoding; only the readable part was read");
      }
      bytes = decoded_content(content);
    }
    if (!sink_.budget().take_bytes(bytes.size())) {
      sink_.report_stop(where);
      return;
    }
    if (is_attachment) {
      extract_file(sink_, bytes, path, {mime_type, charset}, depth);
      return;
    }
    if (mime_type == "text/calendar") {
      sink_.add_text(where, calendar_to_text(decode_to_utf8(bytes, charset).text));
      return;
    }
    DecodedText text = decode_to_utf8(bytes, charset);
    if (text.charset_mismatch) {
      sink_.add_charset_note(where, "text is not valid " + charset + "; read as Windows-1252");
    }
    sink_.add_text(where, mime_type == "text/html" ? html_to_text(text.text) : std::move(text.text));
  }

  Sink& sink_;
  ParsedMessage& out_;
  int part_number_ = 0;
};

}  // namespace
}  // namespace mime_internal

Result<ParsedMessage> parse_message(std::string_view raw, const MimeLimits& limits) {
  using namespace mime_internal;
  if (raw.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidInput, "empty message");
  }
  if (raw.size() > limits.max_message_bytes) {
    return make_error(ErrorCode::kLimitExceeded,
                      "message of " + std::to_string(raw.size()) + " bytes is over the limit of " +
                          std::to_string(limits.max_message_bytes));
  }
  init_gmime();

  ParsedMessage out;
  Budget budget(limits);
  Sink sink(out, budget);

  // Too many MIME entities to parse safely: read the header block only, and the rest as raw
  // text, so the content is still scanned (undecoded) and the damage is listed.
  std::string_view to_parse = raw;
  std::string_view raw_body;
  std::size_t declared = may_exceed_content_type_cap(raw) ? count_content_type_lines(raw) : 0;
  bool structure_skipped = declared > kMaxContentTypeHeaders;
  if (structure_skipped) {
    std::size_t blank = raw.find("\n\n");
    std::size_t blank_crlf = raw.find("\r\n\r\n");
    std::size_t end = std::min(blank, blank_crlf);
    to_parse = raw.substr(0, end == std::string_view::npos ? raw.size() : end + 1);
    raw_body = end == std::string_view::npos ? std::string_view{} : raw.substr(end);
  }

  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(to_parse.data(), to_parse.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  std::unique_ptr<GMimeParserOptions, ParserOptionsFree> options(g_mime_parser_options_new());
  // 8-bit header text is tried as UTF-8 first, then read as Windows-1252 (never fails).
  const char* fallback[] = {"UTF-8", "windows-1252", nullptr};
  g_mime_parser_options_set_fallback_charsets(options.get(), fallback);
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options.get()));
  if (!message) return make_error(ErrorCode::kInvalidInput, "not an RFC 5322 message");

  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message.get()));
  int header_count = headers == nullptr ? 0 : g_mime_header_list_get_count(headers);
  if (header_count == 0) {
    return make_error(ErrorCode::kInvalidInput, "not an RFC 5322 message: no header fields");
  }
  for (int i = 0; i < header_count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
    std::string name = clean_name(safe_utf8(g_mime_header_get_name(header)));
    const char* raw_value = g_mime_header_get_raw_value(header);
    if (raw_value != nullptr && !is_valid_utf8(raw_value)) {
      sink.add_charset_note("header:" + name, "header is not valid UTF-8; read as Windows-1252");
    }
    std::string value = safe_utf8(g_mime_header_get_value(header));
    if (value.size() > limits.max_header_bytes) {
      sink.add_unscannable("header:" + name, "header longer than " +
                                                 std::to_string(limits.max_header_bytes) +
                                                 " bytes; the rest was not read");
      cut_utf8(value, limits.max_header_bytes);
    }
    out.headers.emplace_back(std::move(name), std::move(value));
  }

  for (const auto& [name, value] : out.headers) {
    if (g_ascii_strcasecmp(name.c_str(), "subject") == 0) {
      out.subject = value;  // already decoded and cut to max_header_bytes
      break;
    }
  }
  sink.add_text("subject", out.subject);

  std::vector<std::string> from;
  collect_mailboxes(g_mime_message_get_from(message.get()), from);
  if (!from.empty()) out.from = from.front();
  collect_mailboxes(g_mime_message_get_addresses(message.get(), GMIME_ADDRESS_TYPE_TO), out.to);
  collect_mailboxes(g_mime_message_get_addresses(message.get(), GMIME_ADDRESS_TYPE_CC), out.cc);
  collect_mailboxes(g_mime_message_get_addresses(message.get(), GMIME_ADDRESS_TYPE_BCC), out.bcc);

  if (structure_skipped) {
    sink.add_unscannable("body", std::to_string(declared) + " Content-Type headers, more than " +
                                     std::to_string(kMaxContentTypeHeaders) +
                                     " can be parsed safely; MIME structure not read, raw "
                                     "text scanned");
    std::string text = utf8_or_windows1252(raw_body);
    if (budget.take_bytes(text.size())) sink.add_text("body", std::move(text));
    return out;
  }

  GMimeObject* body = g_mime_message_get_mime_part(message.get());
  if (body != nullptr) {
    MessageWalker walker(sink, out);
    walker.walk(body, 1, Scope{"body", ""});
  }
  return out;
}

std::string encode_header_text(std::string_view utf8) {
  bool plain = std::all_of(utf8.begin(), utf8.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (plain) return std::string(utf8);
  mime_internal::init_gmime();
  std::string text(utf8);
  char* encoded = g_mime_utils_header_encode_text(nullptr, text.c_str(), "utf-8");
  std::string out = encoded ? encoded : "";
  g_free(encoded);
  return out;
}

}  // namespace sendguard
