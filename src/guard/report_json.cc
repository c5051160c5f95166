#include "guard/report_json.h"

namespace sendguard {

nlohmann::ordered_json to_json(const RecipientVerdict& v) {
  nlohmann::ordered_json j;
  j["address"] = v.address;
  j["domain"] =
      v.domain.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v.domain);
  j["verdict"] = std::string(to_string(v.verdict));
  j["intended"] = v.verdict == Verdict::kLookalike || v.verdict == Verdict::kKnown
                      ? nlohmann::ordered_json(v.intended)
                      : nlohmann::ordered_json(nullptr);
  j["kind"] = v.kind;
  j["score"] = static_cast<double>(static_cast<int>(v.score * 1000 + 0.5)) / 1000;
  j["explanation"] = v.explanation;
  return j;
}

nlohmann::ordered_json to_json(const Finding& f) {
  nlohmann::ordered_json j;
  j["detector"] = f.detector;
  j["confidence"] = std::string(to_string(f.confidence));
  j["where"] = f.where;
  j["count"] = f.count;
  j["excerpt"] = f.excerpt;
  if (!f.level.empty()) j["level"] = f.level;
  return j;
}

nlohmann::ordered_json to_json(const Attachment& a) {
  return {{"filename", a.filename}, {"type", a.detected_type}, {"bytes", a.bytes}};
}

nlohmann::ordered_json to_json(const RecipientDecision& d) {
  nlohmann::ordered_json j;
  j["address"] = d.address;
  j["action"] = std::string(to_string(d.action));
  j["rule"] = d.rule.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(d.rule);
  j["reason"] = d.reason;
  if (d.overridden) j["overridden"] = true;
  return j;
}

nlohmann::ordered_json to_json(const Decision& d) {
  nlohmann::ordered_json j;
  j["action"] = std::string(to_string(d.action));
  j["rule"] = d.rule.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(d.rule);
  j["monitor"] = d.monitor;
  if (!d.reply.empty()) j["reply"] = d.reply;
  if (!d.override_justification.empty()) j["override_justification"] = d.override_justification;
  j["recipients"] = nlohmann::ordered_json::array();
  for (const RecipientDecision& r : d.recipients) j["recipients"].push_back(to_json(r));
  return j;
}

std::string dump_line(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sendguard
