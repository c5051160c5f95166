// parse_message(): the reader of common messages when it takes the message, else the GMime
// walk over its MIME tree.
//
// GMime parses the whole tree first; the walk then reads each part under the Budget, in
// document order. Body text goes under "body", attachments (and the text of nested messages,
// which are attachments too) under "attachment:<path>".
#include <gmime/gmime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mime/charset.h"
#include "mime/extract.h"
#include "mime/gmime_support.h"
#include "mime/limits.h"
#include "mime/message_readers.h"
#include "mime/message_walk.h"
#include "mime/mime.h"

namespace sendguard {
namespace mime_internal {
namespace {

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

class MessageWalker {
 public:
  MessageWalker(Sink& sink, ParsedMessage& out) : sink_(sink), out_(out) {}

  void walk(GMimeObject* object, int depth, const Scope& scope) {
    if (!enter_entity(sink_, depth, scope, part_number_)) return;
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
    static constexpr std::string_view kShown[] = {"from", "sender", "reply-to", "to",
                                                  "cc",   "bcc",    "date",     "subject"};
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
    const char* name =
        GMIME_IS_PART(object) ? g_mime_part_get_filename(GMIME_PART(object)) : nullptr;
    if (name == nullptr) name = g_mime_object_get_content_disposition_parameter(object, "filename");
    if (name == nullptr) name = g_mime_object_get_content_type_parameter(object, "name");
    if (name != nullptr && *name != '\0') return clean_name(safe_utf8(name));
    return "part-" + std::to_string(part_number_) + std::string(suffix);
  }

  void walk_multipart(GMimeMultipart* multipart, int depth, const Scope& scope) {
    int count = g_mime_multipart_get_count(multipart);
    GMimeContentType* type = g_mime_object_get_content_type(GMIME_OBJECT(multipart));
    bool alternative =
        type != nullptr && g_mime_content_type_is_type(type, "multipart", "alternative");
    if (!alternative) {
      for (int i = 0; i < count && !sink_.budget().stopped(); ++i) {
        walk(g_mime_multipart_get_part(multipart, i), depth + 1, scope);
      }
      return;
    }
    auto is_plain = [](GMimeObject* part) {
      GMimeContentType* t = g_mime_object_get_content_type(part);
      const char* disposition = g_mime_object_get_disposition(part);
      return GMIME_IS_PART(part) && t != nullptr &&
             g_mime_content_type_is_type(t, "text", "plain") &&
             (disposition == nullptr || g_ascii_strcasecmp(disposition, "attachment") != 0);
    };
    walk_alternative(
        sink_, out_, count,
        [&](int i) { return is_plain(g_mime_multipart_get_part(multipart, i)); },
        [&](int i) { walk(g_mime_multipart_get_part(multipart, i), depth + 1, scope); },
        scope.body_where);
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
    LeafPart leaf;
    GMimeContentType* type = g_mime_object_get_content_type(object);
    if (type != nullptr) {
      char* text = g_mime_content_type_get_mime_type(type);
      if (text != nullptr) leaf.mime_type = lower(text);
      g_free(text);
    }
    if (leaf.mime_type.empty()) leaf.mime_type = "text/plain";
    leaf.charset = safe_utf8(g_mime_object_get_content_type_parameter(object, "charset"));
    const char* disposition = g_mime_object_get_disposition(object);
    leaf.disposition_attachment =
        disposition != nullptr && g_ascii_strcasecmp(disposition, "attachment") == 0;
    if (const char* filename = g_mime_part_get_filename(part)) leaf.filename = safe_utf8(filename);

    GMimeDataWrapper* content = g_mime_part_get_content(part);
    bool base64_broken = false;
    std::string bytes;
    if (content != nullptr) {
      base64_broken = g_mime_data_wrapper_get_encoding(content) == GMIME_CONTENT_ENCODING_BASE64 &&
                      base64_is_broken(read_stream(g_mime_data_wrapper_get_stream(content)));
      bytes = decoded_content(content);
    }
    read_leaf(sink_, leaf, base64_broken, std::move(bytes), part_number_, depth, scope);
  }

  Sink& sink_;
  ParsedMessage& out_;
  int part_number_ = 0;
};

}  // namespace

Result<ParsedMessage> parse_message_with_gmime(std::string_view raw, const MimeLimits& limits) {
  if (raw.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidInput, "empty message");
  }
  if (raw.size() > limits.max_message_bytes) {
    return make_error(ErrorCode::kLimitExceeded, "message of " + std::to_string(raw.size()) +
                                                     " bytes is over the limit of " +
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
  std::size_t declared = content_type_lines_if_many(raw);
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
  ParserOptionsPtr options = make_parser_options();
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options.get()));
  if (!message) return make_error(ErrorCode::kInvalidInput, "not an RFC 5322 message");

  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message.get()));
  int header_count = headers == nullptr ? 0 : g_mime_header_list_get_count(headers);
  if (header_count == 0) {
    return make_error(ErrorCode::kInvalidInput, "not an RFC 5322 message: no header fields");
  }
  for (int i = 0; i < header_count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
    const char* raw_value = g_mime_header_get_raw_value(header);
    record_header(sink, out, clean_name(safe_utf8(g_mime_header_get_name(header))),
                  raw_value == nullptr ? std::string_view() : std::string_view(raw_value),
                  safe_utf8(g_mime_header_get_value(header)));
  }
  record_subject(sink, out);

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

}  // namespace mime_internal

Result<ParsedMessage> parse_message(std::string_view raw, const MimeLimits& limits) {
  if (auto common = mime_internal::read_common_message(raw, limits)) return std::move(*common);
  return mime_internal::parse_message_with_gmime(raw, limits);
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
