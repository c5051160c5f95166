// Test-only: builds raw MIME messages from parts, so tests read as the message they describe.
// Header-only, used by the mime tests; not part of sendguard_mime.
#pragma once

#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>

namespace sendguard::mime_testing {

inline std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t line = 0;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (i + 2 < data.size()) v |= static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kAlphabet[v & 63] : '=';
    if (++line == 19) {  // 76 characters a line
      out += "\r\n";
      line = 0;
    }
  }
  return out + "\r\n";
}

inline std::string read_fixture(std::string_view name) {
  std::ifstream in(std::string(SENDGUARD_SOURCE_DIR) + "/tests/mime/" + std::string(name),
                   std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A MIME entity: its header lines ("Content-Type: text/plain") and its body, verbatim.
inline std::string entity(std::string_view headers, std::string_view body) {
  return std::string(headers) + "\r\n\r\n" + std::string(body);
}

inline std::string text_part(std::string_view type, std::string_view charset,
                             std::string_view encoding, std::string_view body) {
  return entity("Content-Type: " + std::string(type) + "; charset=" + std::string(charset) +
                    "\r\nContent-Transfer-Encoding: " + std::string(encoding),
                body);
}

inline std::string attachment(std::string_view filename, std::string_view type,
                              std::string_view bytes) {
  return entity("Content-Type: " + std::string(type) + "; name=\"" + std::string(filename) +
                    "\"\r\nContent-Disposition: attachment; filename=\"" +
                    std::string(filename) + "\"\r\nContent-Transfer-Encoding: base64",
                base64(bytes));
}

inline std::string multipart(std::string_view subtype, std::initializer_list<std::string> parts,
                             std::string_view boundary = "") {
  static int counter = 0;
  std::string b = boundary.empty() ? "=_b" + std::to_string(++counter) : std::string(boundary);
  std::string body;
  for (const std::string& part : parts) body += "--" + b + "\r\n" + part + "\r\n";
  body += "--" + b + "--\r\n";
  return entity("Content-Type: multipart/" + std::string(subtype) + "; boundary=\"" + b + "\"",
                body);
}

// A whole message: the usual headers, then `extra_headers`, then `body_entity` (an entity()
// whose own headers become the message's MIME headers).
inline std::string message(std::string_view extra_headers, std::string_view body_entity) {
  std::string head =
      "From: Alice Example <alice@example.com>\r\nTo: bob@example.org\r\n"
      "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <t1@example.com>\r\n"
      "MIME-Version: 1.0\r\n";
  if (!extra_headers.empty()) head += std::string(extra_headers) + "\r\n";
  return head + std::string(body_entity);
}

}  // namespace sendguard::mime_testing
