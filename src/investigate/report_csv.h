// misdirected.csv: one row per MisdirectedMessage, for a spreadsheet or a script.
//
// RFC 4180: comma-separated, CRLF line ends, a header row, fields with a comma, quote, CR or
// LF enclosed in double quotes with quotes doubled. UTF-8 with a byte-order mark, which
// spreadsheet programs need to read non-ASCII addresses (IDN domains) correctly.
// Every value came from someone else's mail, so a cell that a spreadsheet would take for a
// formula (starting with = + - @ tab or CR) is prefixed with a single quote and is shown as
// the text it is. Pure functions: thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "investigate/investigation.h"

namespace sendguard {

// Columns: time, sender, recipient, domain, intended, kind, score, queue_id, message_id,
// origin, findings ("pii.uk-nhs×2; marking.uk×1", empty when none or not inspected).
std::string render_misdirected_csv(const Investigation& investigation);

// One field, made safe against formula injection and quoted when RFC 4180 requires it.
std::string csv_field(std::string_view value);

}  // namespace sendguard
