#include "mime/html_text.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <string>

#include "mime/charset.h"

namespace sendguard::mime_internal {
namespace {

// The Latin-1 entities, U+00A0 to U+00FF in order.
constexpr std::array<std::string_view, 96> kLatin1Names = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",
    "uml",    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",
    "deg",    "plusmn", "sup2",   "sup3",   "acute",  "micro",  "para",   "middot",
    "cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil",
    "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc",  "Iuml",
    "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",   "times",
    "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",  "szlig",
    "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",
    "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide",
    "oslash", "ugrave", "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};

struct NamedEntity {
  std::string_view name;
  std::uint32_t cp;
};
constexpr NamedEntity kOtherEntities[] = {
    {"amp", '&'},       {"lt", '<'},         {"gt", '>'},         {"quot", '"'},
    {"apos", '\''},     {"euro", 0x20AC},    {"ndash", 0x2013},   {"mdash", 0x2014},
    {"lsquo", 0x2018},  {"rsquo", 0x2019},   {"sbquo", 0x201A},   {"ldquo", 0x201C},
    {"rdquo", 0x201D},  {"bdquo", 0x201E},   {"bull", 0x2022},    {"hellip", 0x2026},
    {"trade", 0x2122},  {"dagger", 0x2020},  {"Dagger", 0x2021},  {"permil", 0x2030},
    {"lsaquo", 0x2039}, {"rsaquo", 0x203A},  {"OElig", 0x0152},   {"oelig", 0x0153},
    {"Scaron", 0x0160}, {"scaron", 0x0161},  {"Yuml", 0x0178},    {"fnof", 0x0192},
    {"circ", 0x02C6},   {"tilde", 0x02DC},   {"ensp", 0x2002},    {"emsp", 0x2003},
    {"thinsp", 0x2009}, {"zwnj", 0x200C},    {"zwj", 0x200D},     {"lrm", 0x200E},
    {"rlm", 0x200F},    {"minus", 0x2212},   {"larr", 0x2190},    {"rarr", 0x2192},
    {"check", 0x2713},  {"NewLine", '\n'},   {"Tab", '\t'},       {"commat", '@'},
    {"period", '.'},    {"colon", ':'},      {"lowbar", '_'},     {"hyphen", 0x2010},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Elements that start a new line of their own.
bool is_block(std::string_view tag) {
  static constexpr std::string_view kBlocks[] = {
      "br",      "p",     "div",     "tr",         "li",      "h1",     "h2",     "h3",
      "h4",      "h5",    "h6",      "table",      "ul",      "ol",     "dl",     "dt",
      "dd",      "hr",    "pre",     "blockquote", "section", "article", "header", "footer",
      "address", "center", "form",   "fieldset",   "title",   "nav",    "aside",  "main",
      "figure",  "figcaption", "caption", "tbody", "thead", "tfoot", "option", "legend"};
  for (auto block : kBlocks) {
    if (iequals(tag, block)) return true;
  }
  return false;
}

constexpr std::array<bool, 256> table_of(std::string_view bytes) {
  std::array<bool, 256> table{};
  for (char c : bytes) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kWhiteSpace = table_of(" \t\n\r\f\v");
constexpr std::array<bool, 256> kMarkupStart = table_of("&<");

class Writer {
 public:
  explicit Writer(std::size_t expected_bytes) { out_.reserve(expected_bytes); }
  void text_char(char c) {
    if (kWhiteSpace[static_cast<unsigned char>(c)]) {
      pending_space_ = true;
      return;
    }
    flush_space();
    out_ += c;
  }
  // Text between tags and entities, byte by byte as text_char() would write it, but without a
  // branch per byte: most of an HTML part is such text, and a mispredicted branch at the end of
  // every word cost more than the copy.
  void text(std::string_view s) {
    std::size_t k = out_.size();
    out_.resize(k + 2 * s.size());  // room for a space before every byte
    char* out = out_.data();
    // flush_space() writes a space only after text, never at the start or after a break.
    bool after_text = k > 0 && out[k - 1] != '\n' && out[k - 1] != '\t';
    bool pending = pending_space_;
    for (char c : s) {
      bool space = kWhiteSpace[static_cast<unsigned char>(c)];
      out[k] = ' ';
      k += !space & pending & after_text;
      out[k] = c;
      k += !space;
      after_text |= !space;
      pending = space;
    }
    out_.resize(k);
    pending_space_ = pending;
  }
  void literal(std::string_view s) {  // decoded entity: non-breaking space stays a space
    flush_space();
    out_ += s;
  }
  // A block element starts a line; nested blocks (</p><div>) do not add empty lines.
  void line_break() {
    pending_space_ = false;
    trim_trailing_blanks();
    if (!out_.empty() && out_.back() != '\n') out_ += '\n';
  }
  // <br> always breaks, so <br><br> leaves one empty line (never more).
  void forced_break() {
    pending_space_ = false;
    trim_trailing_blanks();
    if (out_.empty()) return;
    if (out_.size() >= 2 && out_[out_.size() - 1] == '\n' && out_[out_.size() - 2] == '\n') return;
    out_ += '\n';
  }
  void cell_break() {
    pending_space_ = false;
    trim_trailing_blanks();
    if (!out_.empty() && out_.back() != '\n') out_ += '\t';
  }
  std::string finish() {
    trim_trailing_blanks();
    while (!out_.empty() && out_.back() == '\n') out_.pop_back();
    return std::move(out_);
  }

 private:
  void flush_space() {
    if (pending_space_ && !out_.empty() && out_.back() != '\n' && out_.back() != '\t') out_ += ' ';
    pending_space_ = false;
  }
  void trim_trailing_blanks() {
    while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\t')) out_.pop_back();
  }
  std::string out_;
  bool pending_space_ = false;
};

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '_';
}

// Finds `needle` case-insensitively in `hay` from `from`; npos if absent.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from) {
  if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::string decode_html_entity(std::string_view name) {
  std::string out;
  if (name.size() >= 2 && name[0] == '#') {
    std::uint32_t cp = 0;
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8) return out;
    for (char c : digits) {
      int v;
      if (c >= '0' && c <= '9') {
        v = c - '0';
      } else if (hex && c >= 'a' && c <= 'f') {
        v = c - 'a' + 10;
      } else if (hex && c >= 'A' && c <= 'F') {
        v = c - 'A' + 10;
      } else {
        return out;
      }
      cp = cp * (hex ? 16 : 10) + v;
    }
    if (cp == 0xA0) cp = ' ';
    append_utf8(out, cp);
    return out;
  }
  for (std::size_t i = 0; i < kLatin1Names.size(); ++i) {
    if (kLatin1Names[i] == name) {
      append_utf8(out, i == 0 ? ' ' : 0xA0 + static_cast<std::uint32_t>(i));
      return out;
    }
  }
  for (const auto& entity : kOtherEntities) {
    if (entity.name == name) {
      append_utf8(out, entity.cp);
      return out;
    }
  }
  return out;
}

std::string html_to_text(std::string_view html) {
  Writer writer(html.size());
  std::size_t i = 0;
  const std::size_t n = html.size();
  while (i < n) {
    std::size_t markup = i;
    while (markup < n && !kMarkupStart[static_cast<unsigned char>(html[markup])]) ++markup;
    if (markup > i) {
      writer.text(html.substr(i, markup - i));
      i = markup;
      continue;
    }
    char c = html[i];
    if (c == '&') {
      std::size_t end = i + 1;
      while (end < n && end - i <= 32 && (std::isalnum(static_cast<unsigned char>(html[end])) ||
                                          html[end] == '#')) {
        ++end;
      }
      std::string decoded;
      if (end < n && html[end] == ';') decoded = decode_html_entity(html.substr(i + 1, end - i - 1));
      if (!decoded.empty()) {
        if (decoded == "\n") {
          writer.line_break();
        } else {
          writer.literal(decoded);
        }
        i = end + 1;
      } else {
        writer.text_char(c);
        ++i;
      }
      continue;
    }
    if (c != '<' || i + 1 >= n) {
      writer.text_char(c);
      ++i;
      continue;
    }
    char next = html[i + 1];
    if (html.substr(i, 4) == "<!--") {
      std::size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? n : end + 3;
      continue;
    }
    if (next == '!' || next == '?') {  // doctype, CDATA marker, processing instruction
      std::size_t end = html.find('>', i);
      i = end == std::string_view::npos ? n : end + 1;
      continue;
    }
    bool closing = next == '/';
    std::size_t name_start = i + (closing ? 2 : 1);
    if (name_start >= n || !std::isalpha(static_cast<unsigned char>(html[name_start]))) {
      writer.text_char(c);  // a lone '<' is text ("a < b")
      ++i;
      continue;
    }
    std::size_t name_end = name_start;
    while (name_end < n && is_name_char(html[name_end])) ++name_end;
    std::string_view tag = html.substr(name_start, name_end - name_start);
    // Skip the attributes; '>' inside a quoted value does not end the tag.
    std::size_t j = name_end;
    char quote = 0;
    while (j < n) {
      char a = html[j];
      if (quote) {
        if (a == quote) quote = 0;
      } else if (a == '"' || a == '\'') {
        quote = a;
      } else if (a == '>') {
        break;
      }
      ++j;
    }
    i = j < n ? j + 1 : n;

    if (iequals(tag, "td") || iequals(tag, "th")) {
      if (!closing) writer.cell_break();
    } else if (iequals(tag, "br")) {
      writer.forced_break();
    } else if (is_block(tag)) {
      writer.line_break();
    } else if (!closing && (iequals(tag, "script") || iequals(tag, "style"))) {
      // Code, not text: skip to the matching end tag (or to the end if there is none).
      std::string close = "</" + std::string(tag);
      std::size_t end = ifind(html, close, i);
      if (end == std::string_view::npos) {
        i = n;
      } else {
        std::size_t gt = html.find('>', end);
        i = gt == std::string_view::npos ? n : gt + 1;
      }
    }
  }
  return writer.finish();
}

}  // namespace sendguard::mime_internal
