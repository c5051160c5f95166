#include "mime/header_fields.h"

#include <algorithm>
#include <cstring>

namespace sendguard::mime_internal {
namespace {

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool is_name_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_' || c == '.';
}

// Field names, types and parameter names: letters, digits and "-_." only. RFC 5322 and 2045
// allow more, and parsers disagree about the rest.
bool is_field_name_char(char c) { return is_name_char(c); }

bool is_field_value_char(char c) { return (c >= 0x20 && c < 0x7F) || c == '\t'; }

// RFC 2045 token characters: printable ASCII but space and the tspecials.
bool is_token_char(char c) {
  return c > 0x20 && c < 0x7F && std::strchr("()<>@,;:\\\"/[]?=", c) == nullptr;
}

bool is_white(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_white() {
    while (!at_end() && is_white(peek())) ++pos_;
  }
  bool take(char c) {
    if (at_end() || peek() != c) return false;
    ++pos_;
    return true;
  }
  std::string_view token() { return take_while(is_token_char); }
  std::string_view name() { return take_while(is_name_char); }
  // A quoted string's contents; nullopt for anything but printable ASCII and single inner
  // spaces (escapes, tabs, folds and edge spaces are where parsers differ).
  std::optional<std::string_view> quoted() {
    if (!take('"')) return std::nullopt;
    std::size_t start = pos_;
    while (!at_end() && peek() != '"') {
      char c = peek();
      if (c < 0x20 || c >= 0x7F || c == '\\') return std::nullopt;
      ++pos_;
    }
    if (at_end()) return std::nullopt;
    std::string_view inside = text_.substr(start, pos_ - start);
    ++pos_;
    if (inside.empty() || inside.front() == ' ' || inside.back() == ' ' ||
        inside.find("  ") != std::string_view::npos) {
      return std::nullopt;
    }
    return inside;
  }

 private:
  std::string_view take_while(bool (*wanted)(char)) {
    std::size_t start = pos_;
    while (!at_end() && wanted(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

bool equals_ascii_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

Line line_at(std::string_view text, std::size_t pos) {
  Line line;
  std::size_t newline = text.find('\n', pos);
  if (newline == std::string_view::npos) {
    line.text = text.substr(pos);
    line.next = text.size();
    return line;
  }
  line.has_line_break = true;
  line.next = newline + 1;
  line.ends_in_crlf = newline > pos && text[newline - 1] == '\r';
  line.text = text.substr(pos, newline - pos - (line.ends_in_crlf ? 1 : 0));
  return line;
}

std::optional<HeaderBlock> split_header_block(std::string_view text, std::size_t max_value_bytes,
                                              std::size_t max_fields) {
  HeaderBlock block;
  std::size_t pos = 0;
  while (pos < text.size()) {
    Line line = line_at(text, pos);
    if (!line.has_line_break) return std::nullopt;  // no end to the block
    if (line.text.empty()) {
      if (block.fields.empty()) return std::nullopt;
      block.body_offset = line.next;
      return block;
    }
    if (!std::all_of(line.text.begin(), line.text.end(), is_field_value_char)) {
      return std::nullopt;
    }
    if (line.text.front() == ' ' || line.text.front() == '\t') {
      // A fold: part of the field above, and it must carry text (a line of white space alone
      // is read as the block's end by some parsers).
      if (block.fields.empty()) return std::nullopt;
      if (line.text.find_first_not_of(" \t") == std::string_view::npos) return std::nullopt;
      HeaderField& field = block.fields.back();
      field.raw_value =
          std::string_view(field.raw_value.data(), field.raw_value.size() + (line.next - pos));
    } else {
      std::size_t colon = line.text.find(':');
      if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
      std::string_view name = line.text.substr(0, colon);
      if (!std::all_of(name.begin(), name.end(), is_field_name_char)) return std::nullopt;
      if (block.fields.size() == max_fields) return std::nullopt;
      block.fields.push_back({name, text.substr(pos + colon + 1, line.next - (pos + colon + 1))});
    }
    if (block.fields.back().raw_value.size() > max_value_bytes) return std::nullopt;
    pos = line.next;
  }
  return std::nullopt;
}

std::optional<std::string_view> StructuredValue::parameter(std::string_view name) const {
  for (const auto& [key, value] : parameters) {
    if (equals_ascii_ignoring_case(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<StructuredValue> parse_structured_value(std::string_view raw_value,
                                                      bool with_subtype) {
  Cursor cursor(raw_value);
  cursor.skip_white();
  StructuredValue out;
  std::string_view type = cursor.name();
  if (type.empty()) return std::nullopt;
  if (with_subtype) {
    if (!cursor.take('/')) return std::nullopt;
    std::string_view subtype = cursor.name();
    if (subtype.empty()) return std::nullopt;
    type = std::string_view(type.data(), type.size() + 1 + subtype.size());
  }
  out.value = type;
  cursor.skip_white();
  while (!cursor.at_end()) {
    if (!cursor.take(';')) return std::nullopt;
    cursor.skip_white();
    std::string_view name = cursor.name();  // never RFC 2231's "name*0*"
    if (name.empty()) return std::nullopt;
    if (!cursor.take('=')) return std::nullopt;
    std::optional<std::string_view> value;
    if (!cursor.at_end() && cursor.peek() == '"') {
      value = cursor.quoted();
    } else {
      std::string_view token = cursor.token();
      if (!token.empty()) value = token;
    }
    if (!value || value->find("=?") != std::string_view::npos) return std::nullopt;
    if (out.parameter(name)) return std::nullopt;
    out.parameters.emplace_back(name, *value);
    cursor.skip_white();
  }
  return out;
}

}  // namespace sendguard::mime_internal
