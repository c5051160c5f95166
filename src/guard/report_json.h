// The JSON form of verdicts, findings and decisions, shared by every front-end and the audit
// log so that they all describe a message the same way. Findings carry redacted excerpts only.
#pragma once

#include <nlohmann/json.hpp>

#include "guard/guard.h"

namespace sendguard {

nlohmann::ordered_json to_json(const RecipientVerdict& verdict);
nlohmann::ordered_json to_json(const Finding& finding);
nlohmann::ordered_json to_json(const Attachment& attachment);  // filename, type, bytes
nlohmann::ordered_json to_json(const RecipientDecision& decision);
// action, rule, monitor, reply, override and the recipients' decisions.
nlohmann::ordered_json to_json(const Decision& decision);

// One line, with invalid UTF-8 replaced rather than fatal.
std::string dump_line(const nlohmann::ordered_json& json);

}  // namespace sendguard
