#include "content/redact.h"

#include <algorithm>

namespace sendguard::content {
namespace {

bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Length of the valid UTF-8 sequence at s[i], 0 when invalid or truncated.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  unsigned char c = s[i];
  std::size_t n;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c < 0x20 || c == 0x7F) {
      out += ' ';
      ++i;
      continue;
    }
    std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += '?';
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string context_before(std::string_view text, std::size_t from, std::size_t max_bytes) {
  from = std::min(from, text.size());
  std::size_t start = from > max_bytes ? from - max_bytes : 0;
  for (std::size_t i = from; i > start; --i) {
    if (text[i - 1] == '\n' || text[i - 1] == '\r') {
      start = i;
      break;
    }
  }
  // Start on a word so the excerpt does not open with half a word or half a character.
  if (start > 0 && start < from) {
    while (start < from && text[start] != ' ' && text[start] != '\t') ++start;
  }
  std::string_view before = text.substr(start, from - start);
  std::size_t lead = before.find_first_not_of(" \t");
  before = lead == std::string_view::npos ? std::string_view() : before.substr(lead);
  while (!before.empty() && (before.back() == ' ' || before.back() == '\t'))
    before.remove_suffix(1);
  std::string out = printable(before);
  for (char& c : out)
    if (c >= '0' && c <= '9') c = '*';
  return out;
}

std::string mask_middle(std::string_view value, std::size_t keep_front, std::size_t keep_back) {
  std::size_t total =
      std::count_if(value.begin(), value.end(), [](unsigned char c) { return is_alnum(c); });
  if (keep_front + keep_back >= total) keep_front = keep_back = 0;  // too short: mask all
  std::string out;
  std::size_t seen = 0;
  for (unsigned char c : value) {
    if (is_alnum(c)) {
      out += (seen < keep_front || seen >= total - keep_back) ? static_cast<char>(c) : '*';
      ++seen;
    } else {
      out += (c < 0x20 || c >= 0x7F) ? ' ' : static_cast<char>(c);
    }
  }
  return out;
}

std::string mask_after(std::string_view value, std::size_t keep, std::size_t max_stars) {
  keep = std::min(keep, value.size());
  std::string out = printable(value.substr(0, keep));
  out.append(std::min(value.size() - keep, max_stars), '*');
  return out;
}

}  // namespace sendguard::content
