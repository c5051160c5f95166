// Rendering recipient verdicts for people (a table) and programs (JSON lines).
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <vector>

#include "lookalike/lookalike.h"

namespace sendguard::cli {

// One JSON object on one line; invalid UTF-8 in the address is replaced, never fatal.
void write_json_line(std::ostream& out, const RecipientVerdict& verdict);

// A table sized to its contents, with the explanation of each flagged address underneath.
void write_table(std::ostream& out, const std::vector<RecipientVerdict>& verdicts);

}  // namespace sendguard::cli
