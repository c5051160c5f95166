// read_common_message(): the common shapes of mail without GMime's object tree.
//
// Two steps. The first reads the structure (header blocks, boundaries, types, encodings) and
// changes nothing: any doubt there declines the message before a byte of it is read, so that
// GMime then reads it from the start. The second reads the accepted structure with the walk's
// shared functions (message_walk.h), and GMime's own functions for header text, addresses and
// transfer encodings, so that what the two readers could disagree on is the structure alone.
#include <gmime/gmime.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/extract.h"
#include "mime/gmime_support.h"
#include "mime/header_fields.h"
#include "mime/limits.h"
#include "mime/message_readers.h"
#include "mime/message_walk.h"

namespace sendguard::mime_internal {
namespace {

// The shapes read here nest at most three deep (message, mixed, alternative, leaf) and hold
// few parts; a message with more is left to GMime, as is one whose limits are so small that
// the walk could reach them (how a limit is reported stays GMime's walk's business).
constexpr int kDeepestEntity = 3;
constexpr std::size_t kMaxEntities = 64;
constexpr std::size_t kMaxFields = 200;
constexpr std::size_t kMaxBoundaryBytes = 70;  // RFC 2046 5.1.1

enum class Encoding { kIdentity, kBase64, kQuotedPrintable };

// What holds an entity: the shapes read here are a leaf or a multipart in the message, leaves
// and one alternative in multipart/mixed, leaves alone in multipart/alternative.
enum class Parent { kMessage, kMixed, kAlternative };

struct Entity {
  std::vector<Entity> children;  // multipart only
  bool alternative = false;      // multipart/alternative (else multipart/mixed)
  LeafPart leaf;                 // leaf only
  Encoding encoding = Encoding::kIdentity;
  std::string_view content;  // encoded, leaf only

  bool is_multipart() const { return !children.empty(); }
};

bool is_allowed_charset(std::string_view charset) {
  for (std::string_view known : {"utf-8", "us-ascii", "iso-8859-1", "windows-1252"}) {
    if (equals_ascii_ignoring_case(charset, known)) return true;
  }
  return false;
}

bool is_boundary_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("'+_,-./:=?").find(c) != std::string_view::npos;
}

bool starts_with_ascii_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         equals_ascii_ignoring_case(text.substr(0, prefix.size()), prefix);
}

std::optional<Encoding> parse_encoding(std::string_view raw_value) {
  std::size_t begin = raw_value.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return std::nullopt;
  std::size_t end = raw_value.find_last_not_of(" \t\r\n");
  std::string_view name = raw_value.substr(begin, end + 1 - begin);
  if (equals_ascii_ignoring_case(name, "7bit") || equals_ascii_ignoring_case(name, "8bit")) {
    return Encoding::kIdentity;
  }
  if (equals_ascii_ignoring_case(name, "base64")) return Encoding::kBase64;
  if (equals_ascii_ignoring_case(name, "quoted-printable")) return Encoding::kQuotedPrintable;
  return std::nullopt;
}

class StructureReader {
 public:
  explicit StructureReader(const MimeLimits& limits) : limits_(limits) {}

  // The entity whose header fields are `fields` and whose body is `body`; nullopt to decline.
  std::optional<Entity> read_entity(const std::vector<HeaderField>& fields, std::string_view body,
                                    int depth, Parent parent) {
    if (++entities_ > kMaxEntities || depth > kDeepestEntity) return std::nullopt;
    const HeaderField* type_field = nullptr;
    const HeaderField* encoding_field = nullptr;
    const HeaderField* disposition_field = nullptr;
    for (const HeaderField& field : fields) {
      const HeaderField** slot = nullptr;
      if (equals_ascii_ignoring_case(field.name, "content-type")) slot = &type_field;
      if (equals_ascii_ignoring_case(field.name, "content-transfer-encoding")) {
        slot = &encoding_field;
      }
      if (equals_ascii_ignoring_case(field.name, "content-disposition")) slot = &disposition_field;
      if (slot == nullptr) continue;
      if (*slot != nullptr) return std::nullopt;  // which one wins is a parser's choice
      *slot = &field;
    }

    std::optional<StructuredValue> type;
    if (type_field != nullptr) {
      type = parse_structured_value(type_field->raw_value, /*with_subtype=*/true);
      if (!type) return std::nullopt;
    }
    Encoding encoding = Encoding::kIdentity;
    if (encoding_field != nullptr) {
      std::optional<Encoding> parsed = parse_encoding(encoding_field->raw_value);
      if (!parsed) return std::nullopt;
      encoding = *parsed;
    }
    std::optional<StructuredValue> disposition;
    if (disposition_field != nullptr) {
      disposition = parse_structured_value(disposition_field->raw_value, /*with_subtype=*/false);
      if (!disposition) return std::nullopt;
    }

    std::string mime_type = type ? lower(type->value) : "text/plain";
    if (mime_type.starts_with("multipart/")) {
      bool alternative = mime_type == "multipart/alternative";
      bool allowed = parent == Parent::kMessage ? alternative || mime_type == "multipart/mixed"
                                                : parent == Parent::kMixed && alternative;
      if (!allowed) return std::nullopt;
      if (encoding != Encoding::kIdentity || disposition) return std::nullopt;
      if (type->parameters.size() != 1) return std::nullopt;
      std::optional<std::string_view> boundary = type->parameter("boundary");
      if (!boundary) return std::nullopt;
      return read_multipart(*boundary, body, depth, alternative);
    }
    if (mime_type.starts_with("message/") || mime_type.find("pkcs7") != std::string::npos) {
      return std::nullopt;
    }

    Entity entity;
    entity.encoding = encoding;
    entity.content = body;
    entity.leaf.mime_type = std::move(mime_type);
    if (type) {
      for (const auto& [name, value] : type->parameters) {
        if (equals_ascii_ignoring_case(name, "charset")) {
          if (!is_allowed_charset(value)) return std::nullopt;
          entity.leaf.charset = std::string(value);
        }
      }
    }
    if (disposition) {
      entity.leaf.disposition_attachment =
          equals_ascii_ignoring_case(disposition->value, "attachment");
      if (auto filename = disposition->parameter("filename")) {
        entity.leaf.filename = std::string(*filename);
      }
    }
    if (!entity.leaf.filename && type) {
      if (auto name = type->parameter("name")) entity.leaf.filename = std::string(*name);
    }
    return entity;
  }

 private:
  // The parts between "--boundary" lines. Every line that starts with the delimiter of this
  // multipart or of one around it must be exactly a delimiter of this one: trailing white
  // space, an outer boundary before this one's close, or text after the close that looks like
  // a delimiter are where parsers part ways.
  std::optional<Entity> read_multipart(std::string_view boundary, std::string_view body, int depth,
                                       bool alternative) {
    if (boundary.empty() || boundary.size() > kMaxBoundaryBytes) return std::nullopt;
    for (char c : boundary) {
      if (!is_boundary_char(c)) return std::nullopt;
    }
    for (std::string_view outer : boundaries_) {
      // A boundary that begins another would make one delimiter line read as the other's.
      if (outer.starts_with(boundary) || boundary.starts_with(outer)) return std::nullopt;
    }
    boundaries_.push_back(boundary);
    std::optional<Entity> entity = split_parts(boundary, body, depth, alternative);
    boundaries_.pop_back();
    return entity;
  }

  std::optional<Entity> split_parts(std::string_view boundary, std::string_view body, int depth,
                                    bool alternative) {
    Entity multipart;
    multipart.alternative = alternative;
    std::optional<std::size_t> part_start;  // after the last delimiter line
    std::size_t pos = 0;
    while (pos < body.size()) {
      Line line = line_at(body, pos);
      if (line.text.starts_with("--")) {
        for (std::string_view active : boundaries_) {
          if (!line.text.substr(2).starts_with(active)) continue;
          if (active != boundary) return std::nullopt;  // an outer one: this close is missing
          std::string_view rest = line.text.substr(2 + boundary.size());
          bool close = rest == "--";
          if (!rest.empty() && !close) return std::nullopt;
          if (part_start && !add_part(multipart, body.substr(*part_start, pos - *part_start),
                                      line.ends_in_crlf, depth, alternative)) {
            return std::nullopt;
          }
          if (close) {
            if (multipart.children.empty()) return std::nullopt;
            return closed(multipart, body.substr(line.next));
          }
          part_start = line.next;
          break;
        }
      }
      pos = line.next;
    }
    return std::nullopt;  // no close delimiter
  }

  // After the close: the epilogue, which nobody reads, but which must not hold a line that
  // one parser could take for a delimiter.
  std::optional<Entity> closed(Entity& multipart, std::string_view epilogue) {
    for (std::size_t pos = 0; pos < epilogue.size();) {
      Line line = line_at(epilogue, pos);
      if (line.text.starts_with("--")) {
        for (std::string_view active : boundaries_) {
          if (line.text.substr(2).starts_with(active)) return std::nullopt;
        }
      }
      pos = line.next;
    }
    return std::move(multipart);
  }

  // One part: its header block, then its content up to the delimiter line. GMime gives the
  // line break before the delimiter to the delimiter, and takes it to be as long as the
  // delimiter line's own: two bytes when that ends in CRLF, else one, whatever they are.
  bool add_part(Entity& multipart, std::string_view part, bool delimiter_ends_in_crlf, int depth,
                bool alternative) {
    std::optional<HeaderBlock> block =
        split_header_block(part, limits_.max_header_bytes / 2, kMaxFields);
    if (!block) return false;
    std::string_view content = part.substr(block->body_offset);
    if (!content.empty()) {
      std::size_t line_break = delimiter_ends_in_crlf ? 2 : 1;
      if (content.size() < line_break) return false;
      content.remove_suffix(line_break);
    }
    std::optional<Entity> child = read_entity(block->fields, content, depth + 1,
                                              alternative ? Parent::kAlternative : Parent::kMixed);
    if (!child) return false;
    multipart.children.push_back(std::move(*child));
    return true;
  }

  const MimeLimits& limits_;
  std::vector<std::string_view> boundaries_;  // of the multiparts around the current one
  std::size_t entities_ = 0;
};

std::string decode(std::string_view encoded, Encoding encoding) {
  if (encoding == Encoding::kIdentity) return std::string(encoded);
  // Both decoders write fewer bytes than they read, base64 up to three more from its state.
  std::string out(encoded.size() + 4, '\0');
  int state = 0;
  guint32 save = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(encoded.data());
  auto* buffer = reinterpret_cast<unsigned char*>(out.data());
  std::size_t written =
      encoding == Encoding::kBase64
          ? g_mime_encoding_base64_decode_step(in, encoded.size(), buffer, &state, &save)
          : g_mime_encoding_quoted_decode_step(in, encoded.size(), buffer, &state, &save);
  out.resize(written);
  return out;
}

// The second step: the walk of message_parser.cc over an accepted structure.
class EntityWalker {
 public:
  EntityWalker(Sink& sink, ParsedMessage& out) : sink_(sink), out_(out) {}

  void walk(const Entity& entity, int depth, const Scope& scope) {
    if (!enter_entity(sink_, depth, scope, part_number_)) return;
    if (!entity.is_multipart()) {
      read_leaf(sink_, entity.leaf,
                entity.encoding == Encoding::kBase64 && base64_is_broken(entity.content),
                decode(entity.content, entity.encoding), part_number_, depth, scope);
      return;
    }
    if (!entity.alternative) {
      for (const Entity& child : entity.children) {
        if (sink_.budget().stopped()) break;
        walk(child, depth + 1, scope);
      }
      return;
    }
    const std::vector<Entity>& children = entity.children;
    auto is_plain = [&](int i) {
      return !children[i].is_multipart() &&
             is_plain_alternative(children[i].leaf.mime_type,
                                  children[i].leaf.disposition_attachment);
    };
    walk_alternative(
        sink_, out_, static_cast<int>(children.size()), is_plain,
        [&](int i) { walk(children[i], depth + 1, scope); }, scope.body_where);
  }

 private:
  Sink& sink_;
  ParsedMessage& out_;
  int part_number_ = 0;
};

// The address headers GMime's message collects; each may appear once here.
constexpr std::string_view kAddressHeaders[] = {"from", "to", "cc", "bcc"};

// GMime's message keeps what it could parse of a list it could not parse whole, where
// internet_address_list_parse() gives nothing; such a header declines the message.
bool collect_address_header(GMimeParserOptions* options, std::string_view raw_value,
                            std::vector<std::string>& out) {
  GPtr<InternetAddressList> list(
      internet_address_list_parse(options, std::string(raw_value).c_str()));
  if (!list) return false;
  collect_mailboxes(list.get(), out);
  return true;
}

}  // namespace

std::optional<ParsedMessage> read_common_message(std::string_view raw, const MimeLimits& limits) {
  if (raw.size() > limits.max_message_bytes || raw.size() > limits.max_decoded_bytes / 2) {
    return std::nullopt;
  }
  if (limits.max_depth <= kDeepestEntity + 1 ||
      static_cast<std::size_t>(limits.max_parts) <= 2 * kMaxEntities) {
    return std::nullopt;
  }
  if (content_type_lines_if_many(raw) > kMaxContentTypeHeaders) return std::nullopt;
  // NUL bytes end GMime's strings early in places, and a CR at the very end would be read as
  // part of a line break that is not there.
  if (raw.find('\0') != std::string_view::npos || raw.ends_with('\r')) return std::nullopt;
  std::optional<HeaderBlock> head =
      split_header_block(raw, limits.max_header_bytes / 2, kMaxFields);
  if (!head) return std::nullopt;

  // GMime gives the message's Content-* fields to its MIME part; the rest are the message's.
  std::vector<HeaderField> message_fields;
  std::vector<HeaderField> content_fields;
  const HeaderField* address_fields[std::size(kAddressHeaders)] = {};
  for (const HeaderField& field : head->fields) {
    if (starts_with_ascii_ignoring_case(field.name, "content-")) {
      content_fields.push_back(field);
      continue;
    }
    message_fields.push_back(field);
    for (std::size_t i = 0; i < std::size(kAddressHeaders); ++i) {
      if (!equals_ascii_ignoring_case(field.name, kAddressHeaders[i])) continue;
      if (address_fields[i] != nullptr) return std::nullopt;  // GMime joins them; rare
      address_fields[i] = &field;
    }
  }
  if (message_fields.empty()) return std::nullopt;

  StructureReader structure(limits);
  std::optional<Entity> body =
      structure.read_entity(content_fields, raw.substr(head->body_offset), 1, Parent::kMessage);
  if (!body) return std::nullopt;

  init_gmime();
  ParserOptionsPtr options = make_parser_options();
  std::vector<std::vector<std::string>> mailboxes(std::size(kAddressHeaders));
  for (std::size_t i = 0; i < std::size(kAddressHeaders); ++i) {
    if (address_fields[i] != nullptr &&
        !collect_address_header(options.get(), address_fields[i]->raw_value, mailboxes[i])) {
      return std::nullopt;
    }
  }

  // Accepted: from here on the message is read to the end, as the GMime walk reads it.
  ParsedMessage out;
  Budget budget(limits);
  Sink sink(out, budget);
  for (const HeaderField& field : message_fields) {
    record_header(sink, out, std::string(field.name), field.raw_value,
                  decoded_header_value(options.get(), std::string(field.raw_value)));
  }
  record_subject(sink, out);
  if (!mailboxes[0].empty()) out.from = mailboxes[0].front();
  out.to = std::move(mailboxes[1]);
  out.cc = std::move(mailboxes[2]);
  out.bcc = std::move(mailboxes[3]);

  EntityWalker walker(sink, out);
  walker.walk(*body, 1, Scope{"body", ""});
  return out;
}

}  // namespace sendguard::mime_internal
