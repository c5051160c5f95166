// What the milter tests send: packets as an MTA writes them, built by hand rather than with the
// encoder under test.
#pragma once

#include <cstdint>
#include <string>

namespace sendguard::milter::test_packets {

// A 32-bit number in network byte order.
inline std::string u32(std::uint32_t v) {
  std::string s;
  s += static_cast<char>(v >> 24);
  s += static_cast<char>(v >> 16 & 0xff);
  s += static_cast<char>(v >> 8 & 0xff);
  s += static_cast<char>(v & 0xff);
  return s;
}

// One packet: its length (command byte included), the command, the data.
inline std::string packet(char command, const std::string& data = "") {
  return u32(static_cast<std::uint32_t>(data.size() + 1)) + command + data;
}

// What Postfix offers in its negotiation: version 6, every action and every protocol step.
inline std::string postfix_negotiation() {
  return packet('O', u32(6) + u32(0x1ff) + u32(0x1fffff));
}

}  // namespace sendguard::milter::test_packets
