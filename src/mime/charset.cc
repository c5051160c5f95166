#include "mime/charset.h"

#include <glib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace sendguard::mime_internal {
namespace {

// Windows-1252 0x80..0x9F; 0xFFFD where the code page defines nothing.
constexpr std::array<std::uint16_t, 32> kCp1252High = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_one_of(const std::string& name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// g_convert through iconv; false on an unknown charset or an invalid sequence.
bool convert(std::string_view bytes, const char* from, std::string& out) {
  gsize written = 0;
  GError* error = nullptr;
  gchar* converted = g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8", from,
                               nullptr, &written, &error);
  if (error != nullptr) g_error_free(error);
  if (converted == nullptr) return false;
  out.assign(converted, written);
  g_free(converted);
  // glibc's iconv reads a charset name without its punctuation ("utf-8\x0f" is UTF-8) and passes
  // bytes such as F6 B7 9A 9C through its UTF-8 "conversion" unchanged: what comes out is
  // checked, and anything but valid UTF-8 counts as a failed conversion.
  return is_valid_utf8(out);
}

std::uint64_t load_8_bytes(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_valid_utf8(std::string_view bytes) {
  std::size_t i = 0, n = bytes.size();
  while (i < n) {
    // Most mail text is ASCII: eight bytes at a time until a byte with its high bit set.
    while (n - i >= 8 && (load_8_bytes(bytes.data() + i) & 0x8080808080808080ull) == 0) i += 8;
    if (i == n) break;
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    std::uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < static_cast<std::size_t>(len)) return false;
    for (int k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(bytes[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string windows1252_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else if (c < 0xA0) {
      append_utf8(out, kCp1252High[c - 0x80]);
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

void cut_utf8(std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
}

std::string utf8_or_windows1252(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  return windows1252_to_utf8(bytes);
}

DecodedText decode_to_utf8(std::string_view bytes, std::string_view declared) {
  DecodedText result;
  auto starts = [&](std::string_view prefix) { return bytes.substr(0, prefix.size()) == prefix; };
  if (starts("\xEF\xBB\xBF")) bytes.remove_prefix(3), declared = "utf-8";
  if (starts("\xFF\xFE") || starts("\xFE\xFF")) {
    // UTF-16 with a byte-order mark: iconv's "UTF-16" reads the mark itself.
    if (convert(bytes, "UTF-16", result.text)) return result;
    result.charset_mismatch = true;
    result.text = windows1252_to_utf8(bytes);
    return result;
  }

  std::string name = lower(declared);
  // No charset, or US-ASCII (the MIME default): much mail is UTF-8 without saying so.
  if (name.empty() || is_one_of(name, {"us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit",
                                       "x-unknown", "unknown"})) {
    result.text = utf8_or_windows1252(bytes);
    return result;
  }
  if (is_one_of(name, {"utf-8", "utf8"})) {
    result.charset_mismatch = !is_valid_utf8(bytes);
    result.text = result.charset_mismatch ? windows1252_to_utf8(bytes) : std::string(bytes);
    return result;
  }
  // ISO-8859-1 is read as Windows-1252, as browsers do: senders who say Latin-1 often mean
  // 1252 (curly quotes, the euro sign), and every byte then has a meaning.
  if (is_one_of(name, {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252",
                       "cp1252", "x-cp1252", "iso_8859-1", "cp819"})) {
    result.text = windows1252_to_utf8(bytes);
    return result;
  }
  if (convert(bytes, std::string(name).c_str(), result.text)) return result;
  result.charset_mismatch = true;
  result.text = utf8_or_windows1252(bytes);
  return result;
}

}  // namespace sendguard::mime_internal
