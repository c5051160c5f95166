#include "investigate/report_json.h"

#include <cmath>
#include <cstdio>

#include "guard/report_json.h"
#include "investigate/summary.h"

namespace sendguard {
namespace {

nlohmann::ordered_json string_or_null(const std::string& value) {
  return value.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(value);
}

nlohmann::ordered_json time_or_null(
    const std::optional<std::chrono::system_clock::time_point>& time) {
  return time ? nlohmann::ordered_json(rfc3339_utc(*time)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json summary_json(const Investigation& investigation) {
  const investigate_internal::InvestigationSummary s =
      investigate_internal::summarize(investigation);
  nlohmann::ordered_json j;
  j["messages"] = s.messages;
  j["lookalike_recipients"] = s.recipients;
  j["senders"] = s.senders;
  j["sensitive_messages"] = s.sensitive_messages;
  j["first"] = time_or_null(s.first);
  j["last"] = time_or_null(s.last);
  j["intended_domains"] = nlohmann::ordered_json::array();
  for (const investigate_internal::GroupSummary& d : s.intended_domains) {
    j["intended_domains"].push_back({{"intended", d.name},
                                     {"lookalikes", d.lookalikes},
                                     {"messages", d.messages},
                                     {"recipients", d.recipients},
                                     {"sensitive_messages", d.sensitive_messages}});
  }
  return j;
}

}  // namespace

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss clock(seconds - day);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buffer;
}

nlohmann::ordered_json to_json(const MisdirectedMessage& m) {
  nlohmann::ordered_json j;
  j["time"] = rfc3339_utc(m.time);
  j["sender"] = m.sender;
  j["recipient"] = m.recipient;
  j["domain"] = m.domain;
  j["intended"] = m.intended;
  j["kind"] = m.kind;
  j["score"] = std::round(m.score * 1000) / 1000;  // three decimals, as in verdicts
  j["explanation"] = m.explanation;
  j["queue_id"] = string_or_null(m.queue_id);
  j["message_id"] = string_or_null(m.message_id);
  j["origin"] = m.origin;
  j["body_inspected"] = m.body_inspected;
  j["findings"] = nlohmann::ordered_json::array();
  for (const Finding& f : m.findings) j["findings"].push_back(to_json(f));
  return j;
}

nlohmann::ordered_json to_json(const Investigation& investigation) {
  nlohmann::ordered_json j;
  j["generated_at"] = rfc3339_utc(investigation.generated_at);
  j["since"] = time_or_null(investigation.since);
  j["until"] = time_or_null(investigation.until);
  j["sources"] = investigation.sources;
  j["messages_read"] = investigation.messages_read;
  j["recipients_checked"] = investigation.recipients_checked;
  j["known_domains"] = investigation.known_domains;
  j["summary"] = summary_json(investigation);
  j["misdirected"] = nlohmann::ordered_json::array();
  for (const MisdirectedMessage& m : investigation.misdirected) {
    j["misdirected"].push_back(to_json(m));
  }
  return j;
}

std::string render_investigation_json(const Investigation& investigation) {
  return to_json(investigation)
             .dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

}  // namespace sendguard
