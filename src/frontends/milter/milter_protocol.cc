#include "frontends/milter/milter_protocol.h"

#include <fmt/format.h>

#include <cstring>

namespace sendguard::milter {
namespace {

std::uint32_t read_u32(std::string_view data) {
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]));
  };
  return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

void append_u32(std::string& out, std::uint32_t value) {
  out += static_cast<char>(value >> 24 & 0xff);
  out += static_cast<char>(value >> 16 & 0xff);
  out += static_cast<char>(value >> 8 & 0xff);
  out += static_cast<char>(value & 0xff);
}

std::string printable(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x7f ? fmt::format("'{}'", c) : fmt::format("0x{:02x}", u);
}

// The MTA's strings end with NUL; a string holding one of our own would be cut short there.
std::string_view without_nul(std::string_view s) { return s.substr(0, s.find('\0')); }

}  // namespace

Result<std::optional<Packet>> next_packet(std::string_view buffer, std::size_t* consumed,
                                          std::size_t max_packet_bytes) {
  *consumed = 0;
  if (buffer.size() < kLengthBytes) return std::optional<Packet>();
  std::uint32_t length = read_u32(buffer);
  if (length == 0) {
    return make_error(ErrorCode::kInvalidInput, "milter packet of length 0 (no command byte)");
  }
  if (length > max_packet_bytes) {
    return make_error(
        ErrorCode::kLimitExceeded,
        fmt::format("milter packet of {} bytes, over the limit of {}", length, max_packet_bytes));
  }
  if (buffer.size() - kLengthBytes < length) return std::optional<Packet>();
  *consumed = kLengthBytes + length;
  return std::optional<Packet>(
      Packet{buffer[kLengthBytes], buffer.substr(kLengthBytes + 1, length - 1)});
}

Result<Negotiation> parse_negotiation(std::string_view data) {
  // Later fields (none defined for version 6) are allowed and ignored.
  if (data.size() < 12) {
    return make_error(ErrorCode::kInvalidInput,
                      fmt::format("option negotiation of {} bytes, expected 12", data.size()));
  }
  return Negotiation{read_u32(data), read_u32(data.substr(4)), read_u32(data.substr(8))};
}

Result<std::vector<std::string_view>> parse_strings(std::string_view data) {
  if (data.empty() || data.back() != '\0') {
    return make_error(ErrorCode::kInvalidInput, "milter strings without a terminating NUL");
  }
  std::vector<std::string_view> strings;
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t end = data.find('\0', start);
    strings.push_back(data.substr(start, end - start));
    start = end + 1;
  }
  return strings;
}

Result<Macros> parse_macros(std::string_view data) {
  if (data.empty()) return make_error(ErrorCode::kInvalidInput, "macro packet without a stage");
  Macros macros;
  macros.stage = data[0];
  std::string_view rest = data.substr(1);
  if (rest.empty()) return macros;  // an empty list (the MTA's list for the stage is empty)
  auto strings = parse_strings(rest);
  if (!strings) return std::unexpected(strings.error());
  if (strings->size() % 2 != 0) {
    return make_error(
        ErrorCode::kInvalidInput,
        fmt::format("macro packet for stage {} with a name but no value", printable(macros.stage)));
  }
  for (std::size_t i = 0; i < strings->size(); i += 2)
    macros.values.emplace_back((*strings)[i], (*strings)[i + 1]);
  return macros;
}

Result<Header> parse_header(std::string_view data) {
  auto strings = parse_strings(data);
  if (!strings) return std::unexpected(strings.error());
  if (strings->size() != 2 || (*strings)[0].empty()) {
    return make_error(ErrorCode::kInvalidInput, "header packet is not a name and a value");
  }
  return Header{(*strings)[0], (*strings)[1]};
}

void append_packet(std::string& out, char command, std::string_view data) {
  append_u32(out, static_cast<std::uint32_t>(data.size() + 1));
  out += command;
  out.append(data);
}

void append_negotiation(std::string& out, const Negotiation& negotiation) {
  append_u32(out, 13);
  out += reply::kNegotiate;
  append_u32(out, negotiation.version);
  append_u32(out, negotiation.actions);
  append_u32(out, negotiation.steps);
}

namespace {
// One packet of NUL-terminated strings.
void append_strings(std::string& out, char command, std::initializer_list<std::string_view> strings,
                    std::string_view prefix = {}) {
  std::size_t length = 1 + prefix.size();
  for (std::string_view s : strings) length += without_nul(s).size() + 1;
  append_u32(out, static_cast<std::uint32_t>(length));
  out += command;
  out.append(prefix);
  for (std::string_view s : strings) {
    out.append(without_nul(s));
    out += '\0';
  }
}
}  // namespace

void append_reply_code(std::string& out, std::string_view code, std::string_view extended_code,
                       std::string_view text) {
  std::string line;
  line.reserve(code.size() + extended_code.size() + text.size() + 2);
  line.append(code).append(" ").append(extended_code).append(" ").append(text);
  append_strings(out, reply::kReplyCode, {line});
}

void append_add_header(std::string& out, std::string_view name, std::string_view value) {
  append_strings(out, reply::kAddHeader, {name, value});
}

void append_change_header(std::string& out, std::uint32_t index, std::string_view name,
                          std::string_view value) {
  std::string prefix;
  append_u32(prefix, index);
  append_strings(out, reply::kChangeHeader, {name, value}, prefix);
}

void append_delete_recipient(std::string& out, std::string_view recipient) {
  append_strings(out, reply::kDeleteRecipient, {recipient});
}

void append_quarantine(std::string& out, std::string_view reason) {
  append_strings(out, reply::kQuarantine, {reason});
}

std::string reply_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\t' || c == '\0') {
      out += ' ';
    } else if (c == '%') {
      out += "%%";
    } else {
      out += c;
    }
    if (out.size() > 900) {
      out += "...";
      break;
    }
  }
  return out;
}

std::string header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out;
}

}  // namespace sendguard::milter
