// Header fields of archived messages (see message_headers.h).
#include "history/message_headers.h"

#include <gmime/gmime.h>

#include <cstring>
#include <mutex>

#include "history/unix_time.h"

namespace sendguard::history_internal {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Unfolds a field's value: the line breaks of continuation lines go, their white space stays.
std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c != '\r' && c != '\n') out += c;
  }
  std::string_view trimmed = trim(out);
  return std::string(trimmed);
}

// Address lists may be split over several fields of one name; they add up.
void keep(std::string& slot, std::string_view value, bool is_list) {
  if (slot.empty()) {
    slot = unfold(value);
  } else if (is_list) {
    slot += ", ";
    slot += unfold(value);
  }
}

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

void collect(InternetAddressList* list, std::vector<std::string>& out, int depth) {
  int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
      if (addr != nullptr && *addr != '\0') out.emplace_back(addr);
    } else if (INTERNET_ADDRESS_IS_GROUP(address) && depth < 2) {
      collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out, depth + 1);
    }
  }
}

}  // namespace

MessageHeaders read_message_headers(std::string_view raw, std::size_t max_header_bytes) {
  MessageHeaders headers;
  std::string_view text = raw.substr(0, std::min(raw.size(), max_header_bytes));
  std::size_t pos = 0;
  std::size_t block_end = text.size();
  while (pos < text.size()) {
    // One field: its first line and every continuation line (starting with space or tab).
    std::size_t start = pos;
    auto line_end = [&](std::size_t from) {
      const void* nl = std::memchr(text.data() + from, '\n', text.size() - from);
      return nl == nullptr
                 ? text.size()
                 : static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) + 1;
    };
    std::size_t end = line_end(start);
    if (trim(text.substr(start, end - start)).find_first_not_of("\r\n") == std::string_view::npos) {
      block_end = start;  // the blank line that ends the header block
      break;
    }
    while (end < text.size() && (text[end] == ' ' || text[end] == '\t')) end = line_end(end);
    std::string_view field = text.substr(start, end - start);
    pos = end;
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;  // not a field; tolerated
    std::string_view name = trim(field.substr(0, colon));
    std::string_view value = field.substr(colon + 1);
    headers.has_fields = true;
    if (name.size() < 2 || name.size() > 17) continue;
    if (iequals(name, "From"))
      keep(headers.from, value, false);
    else if (iequals(name, "To"))
      keep(headers.to, value, true);
    else if (iequals(name, "Cc"))
      keep(headers.cc, value, true);
    else if (iequals(name, "Bcc"))
      keep(headers.bcc, value, true);
    else if (iequals(name, "Date"))
      keep(headers.date, value, false);
    else if (iequals(name, "Message-ID"))
      keep(headers.message_id, value, false);
    else if (iequals(name, "Resent-From"))
      keep(headers.resent_from, value, false);
    else if (iequals(name, "Resent-To"))
      keep(headers.resent_to, value, false);
    else if (iequals(name, "Resent-Cc"))
      keep(headers.resent_cc, value, false);
    else if (iequals(name, "Resent-Bcc"))
      keep(headers.resent_bcc, value, false);
    else if (iequals(name, "Resent-Date"))
      keep(headers.resent_date, value, false);
    else if (iequals(name, "Resent-Message-ID"))
      keep(headers.resent_message_id, value, false);
  }
  headers.block = text.substr(0, block_end);
  return headers;
}

std::vector<std::string> parse_address_list(std::string_view value) {
  std::vector<std::string> out;
  if (trim(value).empty()) return out;
  ensure_gmime();
  std::string text(value);
  InternetAddressList* list = internet_address_list_parse(nullptr, text.c_str());
  if (list == nullptr) return out;
  collect(list, out, 0);
  g_object_unref(list);
  return out;
}

std::string message_id_value(std::string_view value) {
  std::size_t open = value.find('<');
  if (open != std::string_view::npos) {
    std::size_t close = value.find('>', open);
    if (close != std::string_view::npos)
      return std::string(trim(value.substr(open + 1, close - open - 1)));
  }
  return std::string(trim(value));
}

std::optional<std::chrono::system_clock::time_point> parse_date_header(std::string_view value) {
  if (trim(value).empty()) return std::nullopt;
  ensure_gmime();
  std::string text(value);
  GDateTime* date = g_mime_utils_header_decode_date(text.c_str());
  if (date == nullptr) return std::nullopt;
  std::int64_t seconds = g_date_time_to_unix(date);
  g_date_time_unref(date);
  return from_unix_seconds(seconds);
}

std::string header_digest(std::string_view block) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : block) {
    if (c == '\r') continue;
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char text[17];
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, hash >>= 4) text[i] = kHex[hash & 15];
  text[16] = '\0';
  return text;
}

}  // namespace sendguard::history_internal
