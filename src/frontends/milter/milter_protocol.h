// The milter protocol's wire format (version 6, as Postfix and Sendmail speak it), with no I/O:
// framing of packets, the parsing of the commands the MTA sends and the encoding of the
// replies sendguard sends back. Every packet is a 4-byte big-endian length, then a command
// byte, then length - 1 bytes of data; strings inside the data end with a NUL byte.
//
// Input is untrusted: every function reports malformed, truncated or oversized input as an
// Error (after which the connection is to be closed) and never reads outside what it was given.
//
// Thread-safety: plain functions over values; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace sendguard::milter {

// The protocol version sendguard speaks; an MTA offering a later one is answered with this.
inline constexpr std::uint32_t kProtocolVersion = 6;
// The oldest version whose negotiation packet has the three fields read here.
inline constexpr std::uint32_t kOldestProtocolVersion = 2;

// Commands from the MTA.
namespace command {
inline constexpr char kAbort = 'A';
inline constexpr char kBody = 'B';
inline constexpr char kConnect = 'C';
inline constexpr char kMacro = 'D';
inline constexpr char kEndOfMessage = 'E';  // may carry a last body chunk
inline constexpr char kHelo = 'H';
inline constexpr char kQuitNewConnection = 'K';  // quit, and negotiate again on this socket
inline constexpr char kHeader = 'L';
inline constexpr char kMail = 'M';
inline constexpr char kEndOfHeaders = 'N';
inline constexpr char kNegotiate = 'O';
inline constexpr char kQuit = 'Q';
inline constexpr char kRecipient = 'R';
inline constexpr char kData = 'T';
inline constexpr char kUnknown = 'U';  // an SMTP command the MTA did not recognise
}  // namespace command

// Replies and actions to the MTA.
namespace reply {
inline constexpr char kAccept = 'a';
inline constexpr char kContinue = 'c';
inline constexpr char kReject = 'r';
inline constexpr char kTempfail = 't';
inline constexpr char kReplyCode = 'y';
inline constexpr char kAddHeader = 'h';
inline constexpr char kChangeHeader = 'm';
inline constexpr char kDeleteRecipient = '-';
inline constexpr char kQuarantine = 'q';
inline constexpr char kNegotiate = 'O';
}  // namespace reply

// Actions a filter may take (the negotiation's second field).
namespace action {
inline constexpr std::uint32_t kAddHeaders = 0x01;
inline constexpr std::uint32_t kChangeBody = 0x02;
inline constexpr std::uint32_t kAddRecipients = 0x04;
inline constexpr std::uint32_t kDeleteRecipients = 0x08;
inline constexpr std::uint32_t kChangeHeaders = 0x10;
inline constexpr std::uint32_t kQuarantine = 0x20;
}  // namespace action

// Protocol steps the filter may skip or leave unreplied (the negotiation's third field).
namespace step {
inline constexpr std::uint32_t kNoConnect = 0x00000001;
inline constexpr std::uint32_t kNoHelo = 0x00000002;
inline constexpr std::uint32_t kNoMail = 0x00000004;
inline constexpr std::uint32_t kNoRecipient = 0x00000008;
inline constexpr std::uint32_t kNoBody = 0x00000010;
inline constexpr std::uint32_t kNoHeaders = 0x00000020;
inline constexpr std::uint32_t kNoEndOfHeaders = 0x00000040;
inline constexpr std::uint32_t kNoReplyHeader = 0x00000080;
inline constexpr std::uint32_t kNoUnknown = 0x00000100;
inline constexpr std::uint32_t kNoData = 0x00000200;
inline constexpr std::uint32_t kNoReplyConnect = 0x00001000;
inline constexpr std::uint32_t kNoReplyHelo = 0x00002000;
inline constexpr std::uint32_t kNoReplyMail = 0x00004000;
inline constexpr std::uint32_t kNoReplyRecipient = 0x00008000;
inline constexpr std::uint32_t kNoReplyData = 0x00010000;
inline constexpr std::uint32_t kNoReplyUnknown = 0x00020000;
inline constexpr std::uint32_t kNoReplyEndOfHeaders = 0x00040000;
inline constexpr std::uint32_t kNoReplyBody = 0x00080000;
}  // namespace step

// Bytes of the length field.
inline constexpr std::size_t kLengthBytes = 4;
// The largest packet accepted, command byte included. Body chunks are at most 64 KiB - 1 (no
// larger size is negotiated); a header comes whole, and Postfix's header_size_limit is 100 KiB
// by default. 1 MiB leaves room for any configuration and bounds a connection's buffer.
inline constexpr std::size_t kMaxPacketBytes = 1 << 20;

// One packet; `data` points into the buffer it was read from.
struct Packet {
  char command = 0;
  std::string_view data;
};

// The next complete packet at the start of `buffer`. Returns nullopt when the buffer holds
// only part of one (read more); an error for a zero length or one over `max_packet_bytes`.
// On success `*consumed` is the packet's size on the wire.
Result<std::optional<Packet>> next_packet(std::string_view buffer, std::size_t* consumed,
                                          std::size_t max_packet_bytes = kMaxPacketBytes);

// SMFIC_OPTNEG from the MTA, or our reply to it.
struct Negotiation {
  std::uint32_t version = 0;
  std::uint32_t actions = 0;
  std::uint32_t steps = 0;
};
Result<Negotiation> parse_negotiation(std::string_view data);

// SMFIC_MACRO: the stage (a command byte) they belong to and name/value pairs. A name may come
// with or without braces ("{mail_addr}" or "mail_addr"), as the MTA's configuration has it.
struct Macros {
  char stage = 0;
  std::vector<std::pair<std::string_view, std::string_view>> values;
};
Result<Macros> parse_macros(std::string_view data);

// A run of NUL-terminated strings (MAIL and RCPT: the address, then ESMTP parameters). At
// least one string; the data must end with a NUL.
Result<std::vector<std::string_view>> parse_strings(std::string_view data);

// SMFIC_HEADER: name and value, each NUL-terminated.
struct Header {
  std::string_view name;
  std::string_view value;
};
Result<Header> parse_header(std::string_view data);

// Encoders: each appends one packet to `out`, so that a whole reply leaves in one write.
void append_packet(std::string& out, char command, std::string_view data = {});
void append_negotiation(std::string& out, const Negotiation& negotiation);
// SMFIR_REPLYCODE: "550 5.7.1 text". `text` must already be one line (see reply_text).
void append_reply_code(std::string& out, std::string_view code, std::string_view extended_code,
                       std::string_view text);
void append_add_header(std::string& out, std::string_view name, std::string_view value);
// `index` counts occurrences of the header from 1; an empty value deletes that occurrence.
void append_change_header(std::string& out, std::uint32_t index, std::string_view name,
                          std::string_view value);
void append_delete_recipient(std::string& out, std::string_view recipient);
void append_quarantine(std::string& out, std::string_view reason);

// A reply text the MTA accepts: one line (CR, LF and tab become spaces), '%' doubled (a format
// character to the MTA), at most about 900 bytes (then "..."), within the SMTP line length.
std::string reply_text(std::string_view text);
// A header value as sent: printable ASCII (sendguard's headers hold only ids, levels, counts).
std::string header_value(std::string_view value);

}  // namespace sendguard::milter
