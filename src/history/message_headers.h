// The few header fields an archived message contributes to its SentMail (history module
// internal).
//
// Only the header block is read, and only From, To, Cc, Bcc, Date, Message-ID and their
// Resent- forms are kept, unfolded. Address lists go to GMime's parser (groups, quoted local
// parts, comments, obsolete routes); dates to GMime's date parser, which also reads the
// obsolete forms old clients wrote.
//
// Limits: a header block longer than max_header_bytes is read up to that many bytes.
// Thread-safety: reentrant; GMime is initialised once, process-wide, on first use.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sendguard::history_internal {

struct MessageHeaders {
  std::string from, to, cc, bcc, date, message_id;
  // The newest Resent- block (the first one from the top): who re-sent the message to whom.
  std::string resent_from, resent_to, resent_cc, resent_bcc, resent_date, resent_message_id;
  std::string_view block;   // the header block as read (without the blank line after it)
  bool has_fields = false;  // at least one "Name: value" field was found
};

MessageHeaders read_message_headers(std::string_view raw, std::size_t max_header_bytes);

// The addresses ("local@domain") of an address list, groups flattened, in order.
std::vector<std::string> parse_address_list(std::string_view value);

// "<id@host>" -> "id@host"; the first bracketed id, or the trimmed value when none is bracketed.
std::string message_id_value(std::string_view value);

std::optional<std::chrono::system_clock::time_point> parse_date_header(std::string_view value);

// A stable 64-bit FNV-1a digest of a header block, ignoring CR so that the same message in a
// CRLF and an LF file digests alike; 16 lower-case hex digits.
std::string header_digest(std::string_view block);

}  // namespace sendguard::history_internal
