#include "investigate/report_csv.h"

#include <cstdio>

#include "investigate/report_json.h"
#include "investigate/text_escape.h"

namespace sendguard {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr std::string_view kHeader =
    "time,sender,recipient,domain,intended,kind,score,queue_id,message_id,origin,findings";

bool starts_like_formula(std::string_view value) {
  if (value.empty()) return false;
  switch (value.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

std::string findings_summary(const MisdirectedMessage& m) {
  std::string out;
  for (const Finding& f : m.findings) {
    if (!out.empty()) out += "; ";
    out += f.detector + "\xC3\x97" + std::to_string(f.count);  // U+00D7 MULTIPLICATION SIGN
  }
  return out;
}

std::string score_text(double score) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", score);
  return buffer;
}

}  // namespace

std::string csv_field(std::string_view value) {
  std::string text = investigate_internal::to_valid_utf8(value);
  if (starts_like_formula(text)) text.insert(0, 1, '\'');
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string render_misdirected_csv(const Investigation& investigation) {
  std::string out(kByteOrderMark);
  out += kHeader;
  out += "\r\n";
  for (const MisdirectedMessage& m : investigation.misdirected) {
    const std::string fields[] = {rfc3339_utc(m.time), m.sender, m.recipient,         m.domain,
                                  m.intended,          m.kind,   score_text(m.score), m.queue_id,
                                  m.message_id,        m.origin, findings_summary(m)};
    bool first = true;
    for (const std::string& field : fields) {
      if (!first) out += ',';
      first = false;
      out += csv_field(field);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace sendguard
