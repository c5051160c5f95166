// Mailbox parsing: the forms users type and MTAs pass on (RFC 5321 path, RFC 5322 name-addr).
#include <arpa/inet.h>

#include <cctype>
#include <cstring>

#include "address/address.h"
#include "address/utf8.h"

namespace sendguard {
namespace {

Result<Mailbox> invalid(std::string reason) {
  return make_error(ErrorCode::kInvalidInput, std::move(reason));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 5322 atext, plus any byte of a UTF-8 sequence (RFC 6531 allows UTF-8 local parts).
bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if (std::isalnum(c)) return true;
  return std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr && c != '\0';
}

// Returns the index just past the closing quote of a quoted string starting at `open`, or npos.
std::size_t skip_quoted(std::string_view s, std::size_t open) {
  for (std::size_t i = open + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

std::string unquote_phrase(std::string_view phrase) {
  phrase = trim(phrase);
  if (phrase.size() >= 2 && phrase.front() == '"' && phrase.back() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < phrase.size(); ++i) {
      if (phrase[i] == '\\' && i + 2 < phrase.size()) ++i;
      out += phrase[i];
    }
    return out;
  }
  return std::string(phrase);
}

Result<void> check_dot_atom(std::string_view local) {
  if (local.front() == '.' || local.back() == '.') {
    return make_error(ErrorCode::kInvalidInput, "the part before @ starts or ends with a dot");
  }
  if (local.find("..") != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidInput, "the part before @ has two dots in a row");
  }
  for (unsigned char c : local) {
    if (c != '.' && !is_atext(c)) {
      return make_error(ErrorCode::kInvalidInput,
                        std::string("the part before @ contains '") + static_cast<char>(c) +
                            "', which needs quoting");
    }
  }
  return {};
}

Result<Domain> parse_address_literal(std::string_view literal) {
  // literal is "[...]"; RFC 5321 section 4.1.3.
  std::string inner(literal.substr(1, literal.size() - 2));
  unsigned char buf[16];
  if (inner.rfind("IPv6:", 0) == 0 || inner.rfind("ipv6:", 0) == 0) {
    if (inet_pton(AF_INET6, inner.c_str() + 5, buf) != 1) {
      return make_error(ErrorCode::kInvalidInput, "\"" + inner + "\" is not an IPv6 address");
    }
  } else if (inet_pton(AF_INET, inner.c_str(), buf) != 1) {
    return make_error(ErrorCode::kInvalidInput, "\"" + inner + "\" is not an IPv4 address");
  }
  std::string text(literal);
  return Domain{text, text};
}

}  // namespace

namespace {

template <class Normalize>
Result<Mailbox> parse_mailbox_with(std::string_view input, const Normalize& normalize) {
  if (input.size() > kMaxAddressBytes) return invalid("the address is longer than 1024 bytes");
  if (!address_internal::is_valid_utf8(input)) return invalid("the address is not valid UTF-8");
  for (unsigned char c : input) {
    if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') {
      return invalid("the address contains a control character");
    }
  }
  std::string_view text = trim(input);
  if (text.empty() || text == "<>") return invalid("the address is empty");

  Mailbox mailbox;
  std::string_view spec = text;
  // Find a '<' outside quotes: then the form is `phrase <addr-spec>`.
  std::size_t angle = std::string_view::npos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') {
      i = skip_quoted(text, i);
      if (i == std::string_view::npos) return invalid("a quoted name or local part is not closed");
      --i;
    } else if (text[i] == '<') {
      angle = i;
      break;
    }
  }
  if (angle != std::string_view::npos) {
    if (text.back() != '>') return invalid("the address has '<' but does not end with '>'");
    mailbox.display_name = unquote_phrase(text.substr(0, angle));
    spec = trim(text.substr(angle + 1, text.size() - angle - 2));
    if (spec.empty()) return invalid("the address between < and > is empty");
  } else if (text.find('>') != std::string_view::npos) {
    return invalid("the address has '>' without '<'");
  }

  std::size_t at;
  if (spec.front() == '"') {
    std::size_t end = skip_quoted(spec, 0);
    if (end == std::string_view::npos) return invalid("the quoted part before @ is not closed");
    if (end >= spec.size() || spec[end] != '@') return invalid("the address has no @ after the quoted part");
    at = end;
  } else {
    at = spec.rfind('@');
    if (at == std::string_view::npos) return invalid("the address has no @");
    if (auto bad = spec.substr(0, at).find('@'); bad != std::string_view::npos) {
      return invalid("the address has more than one @");
    }
  }
  std::string_view local = spec.substr(0, at);
  std::string_view domain = spec.substr(at + 1);
  if (local.empty()) return invalid("the address has nothing before the @");
  if (domain.empty()) return invalid("the address has nothing after the @");
  if (local.size() > kMaxLocalPartBytes) return invalid("the part before @ is longer than 64 bytes");
  if (local.front() != '"') {
    if (auto ok = check_dot_atom(local); !ok) return std::unexpected(ok.error());
  }
  mailbox.local_part = std::string(local);

  if (domain.front() == '[') {
    if (domain.back() != ']') return invalid("the address literal does not end with ']'");
    auto literal = parse_address_literal(domain);
    if (!literal) return std::unexpected(literal.error());
    mailbox.domain = std::move(*literal);
    mailbox.is_address_literal = true;
    return mailbox;
  }
  auto normalized = normalize(domain);
  if (!normalized) return std::unexpected(normalized.error());
  mailbox.domain = std::move(*normalized);
  return mailbox;
}

}  // namespace

Result<Mailbox> parse_mailbox(std::string_view input) {
  return parse_mailbox_with(input, normalize_domain);
}

Result<Mailbox> parse_mailbox(std::string_view input, const DomainNormalizer& normalize) {
  return parse_mailbox_with(input, normalize);
}

}  // namespace sendguard
