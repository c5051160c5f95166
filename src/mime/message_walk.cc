#include "mime/message_walk.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "mime/alternative_text.h"
#include "mime/charset.h"
#include "mime/header_fields.h"
#include "mime/html_text.h"
#include "mime/limits.h"

namespace sendguard::mime_internal {
namespace {

constexpr std::string_view kContentTypeName = "content-type";

// A table rather than isalnum(): every byte of every base64 part passes through here.
constexpr std::array<bool, 256> kBase64Letters = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '+' || c == '/';
  }
  return table;
}();

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string clean_name(std::string name) {
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return name;
}

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
    if (!kBase64Letters[c]) return true;
    ++significant;
  }
  return significant % 4 == 1;  // one leftover character cannot encode a byte
}

std::size_t content_type_lines_if_many(std::string_view raw) {
  // Each such line takes the name and a line break, the last perhaps only the name.
  if (raw.size() < (kMaxContentTypeHeaders + 1) * (kContentTypeName.size() + 1) - 1) return 0;
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    if (raw.size() - pos >= kContentTypeName.size() &&
        equals_ascii_ignoring_case(raw.substr(pos, kContentTypeName.size()), kContentTypeName)) {
      ++count;
    }
    std::size_t newline = raw.find('\n', pos);
    if (newline == std::string_view::npos) break;
    pos = newline + 1;
  }
  return count;
}

void record_header(Sink& sink, ParsedMessage& out, std::string name, std::string_view raw_value,
                   std::string value) {
  if (!is_valid_utf8(raw_value)) {
    sink.add_charset_note("header:" + name, "header is not valid UTF-8; read as Windows-1252");
  }
  const std::size_t max_bytes = sink.budget().limits().max_header_bytes;
  if (value.size() > max_bytes) {
    sink.add_unscannable("header:" + name, "header longer than " + std::to_string(max_bytes) +
                                               " bytes; the rest was not read");
    cut_utf8(value, max_bytes);
  }
  out.headers.emplace_back(std::move(name), std::move(value));
}

void record_subject(Sink& sink, ParsedMessage& out) {
  for (const auto& [name, value] : out.headers) {
    if (equals_ascii_ignoring_case(name, "subject")) {
      out.subject = value;  // already decoded and cut to max_header_bytes
      break;
    }
  }
  sink.add_text("subject", out.subject);
}

bool enter_entity(Sink& sink, int depth, const Scope& scope, int& part_number) {
  Budget& budget = sink.budget();
  if (budget.stopped()) return false;
  if (!budget.take_part()) return sink.report_stop(scope.body_where);
  ++part_number;
  if (!budget.depth_allowed(depth)) {
    sink.add_unscannable(scope.body_where,
                         "nesting deeper than " + std::to_string(budget.limits().max_depth));
    return false;
  }
  return true;
}

bool is_plain_alternative(std::string_view mime_type, bool disposition_attachment) {
  return equals_ascii_ignoring_case(mime_type, "text/plain") && !disposition_attachment;
}

void read_leaf(Sink& sink, const LeafPart& leaf, bool base64_broken, std::string bytes,
               int part_number, int depth, const Scope& scope) {
  bool is_text = leaf.mime_type.starts_with("text/");
  bool is_attachment = !is_text || leaf.filename.has_value() || leaf.disposition_attachment;
  std::string name = leaf.filename && !leaf.filename->empty()
                         ? clean_name(*leaf.filename)
                         : "part-" + std::to_string(part_number);
  std::string path = scope.path_prefix + name;
  std::string where = is_attachment ? "attachment:" + path : scope.body_where;

  if (base64_broken) {
    sink.add_unscannable(where, "broken base64 encoding; only the readable part was read");
  }
  if (!sink.budget().take_bytes(bytes.size())) {
    sink.report_stop(where);
    return;
  }
  if (is_attachment) {
    extract_file(sink, bytes, path, {leaf.mime_type, leaf.charset}, depth);
    return;
  }
  if (leaf.mime_type == "text/calendar") {
    sink.add_text(where, calendar_to_text(decode_to_utf8(bytes, leaf.charset).text));
    return;
  }
  DecodedText text = decode_to_utf8(bytes, leaf.charset);
  if (text.charset_mismatch) {
    sink.add_charset_note(where, "text is not valid " + leaf.charset + "; read as Windows-1252");
  }
  sink.add_text(where,
                leaf.mime_type == "text/html" ? html_to_text(text.text) : std::move(text.text));
}

void keep_what_alternatives_add(std::vector<TextSegment>& texts, std::size_t plain_begin,
                                std::size_t other_begin, const std::string& body_where) {
  std::vector<std::string_view> plain_texts;
  for (std::size_t i = plain_begin; i < other_begin; ++i) {
    if (texts[i].where == body_where) plain_texts.push_back(texts[i].text);
  }
  PlainAlternative plain(plain_texts);
  for (std::size_t i = other_begin; i < texts.size(); ++i) {
    if (texts[i].where == body_where) texts[i].text = plain.lines_not_in(texts[i].text);
  }
  texts.erase(std::remove_if(texts.begin() + static_cast<std::ptrdiff_t>(other_begin), texts.end(),
                             [](const TextSegment& s) { return s.text.empty(); }),
              texts.end());
}

}  // namespace sendguard::mime_internal
