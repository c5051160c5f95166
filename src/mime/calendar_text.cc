// iCalendar (RFC 5545) to text: the properties people write and read, one per line.
#include <algorithm>
#include <cctype>
#include <string>

#include "mime/extract.h"

namespace sendguard::mime_internal {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// RFC 5545 3.3.11 TEXT escapes: \n \N \, \; \\.
std::string unescape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      char next = value[++i];
      out += (next == 'n' || next == 'N') ? '\n' : next;
    } else {
      out += value[i];
    }
  }
  return out;
}

}  // namespace

std::string calendar_to_text(std::string_view ics) {
  // Unfold first (3.1): a line break followed by a space or tab continues the line.
  std::string unfolded;
  unfolded.reserve(ics.size());
  for (std::size_t i = 0; i < ics.size(); ++i) {
    char c = ics[i];
    if (c == '\r' && i + 1 < ics.size() && ics[i + 1] == '\n') continue;
    if (c == '\n' && i + 1 < ics.size() && (ics[i + 1] == ' ' || ics[i + 1] == '\t')) {
      ++i;
      continue;
    }
    unfolded += c;
  }

  // Properties with words a person wrote; the rest (DTSTART, UID, RRULE...) are machine data.
  // X-ALT-DESC (Outlook's HTML copy of DESCRIPTION) is left out: it would count everything twice.
  static constexpr std::string_view kTextProperties[] = {
      "SUMMARY",   "DESCRIPTION", "LOCATION",  "COMMENT", "CONTACT",
      "ORGANIZER", "ATTENDEE",    "CATEGORIES", "RESOURCES"};
  std::string text;
  std::size_t start = 0;
  while (start < unfolded.size()) {
    std::size_t end = unfolded.find('\n', start);
    if (end == std::string::npos) end = unfolded.size();
    std::string_view line = std::string_view(unfolded).substr(start, end - start);
    start = end + 1;
    // NAME *(";" param) ":" value; a quoted parameter value may hold ':' (CN="Doe: Jane").
    std::size_t colon = std::string_view::npos;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '"') quoted = !quoted;
      if (line[i] == ':' && !quoted) {
        colon = i;
        break;
      }
    }
    if (colon == std::string_view::npos) continue;
    std::string_view head = line.substr(0, colon);
    std::string name = upper(head.substr(0, head.find(';')));
    if (std::find(std::begin(kTextProperties), std::end(kTextProperties), name) ==
        std::end(kTextProperties)) {
      continue;
    }
    std::string value = unescape(line.substr(colon + 1));
    if (name == "ORGANIZER" || name == "ATTENDEE") {
      // The display name is a parameter: CN="Jane Doe":mailto:jane@example.com.
      std::string params = upper(head);
      std::size_t cn = params.find(";CN=");
      if (cn != std::string::npos) {
        std::string_view cn_value = head.substr(cn + 4);
        cn_value = cn_value.substr(0, cn_value.find(';'));
        if (!cn_value.empty() && cn_value.front() == '"') cn_value.remove_prefix(1);
        if (!cn_value.empty() && cn_value.back() == '"') cn_value.remove_suffix(1);
        value = std::string(cn_value) + " <" + value + ">";
      }
    }
    if (value.empty()) continue;
    if (!text.empty()) text += '\n';
    text += value;
  }
  return text;
}

}  // namespace sendguard::mime_internal
