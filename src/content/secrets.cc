// Credential confirmers: private keys, cloud and service tokens, passwords, connection strings.
#include <algorithm>
#include <array>
#include <cctype>

#include "content/detectors.h"
#include "content/redact.h"
#include "content/validators.h"

namespace sendguard::content {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::size_t distinct_bytes(std::string_view s) {
  std::array<bool, 256> seen{};
  std::size_t n = 0;
  for (unsigned char c : s) {
    if (!seen[c]) ++n;
    seen[c] = true;
  }
  return n;
}

bool is_b64(unsigned char c) { return std::isalnum(c) || c == '+' || c == '/' || c == '='; }
bool is_b64url(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }

std::string with_context(std::string_view text, std::size_t from, const std::string& masked) {
  std::string before = context_before(text, from);
  return before.empty() ? masked : before + " " + masked;
}

Hit make_hit(std::string_view detector, Confidence c, std::size_t from, std::size_t to,
             std::string excerpt) {
  Hit hit;
  hit.detector = detector;
  hit.confidence = c;
  hit.from = from;
  hit.to = to;
  hit.excerpt = std::move(excerpt);
  return hit;
}

// Words that follow "password" in text that talks about passwords rather than giving one.
bool is_stop_word(std::string_view value_lower) {
  static constexpr std::string_view kStop[] = {"reset",        "policy",
                                               "policies",     "must",
                                               "should",       "expired",
                                               "expires",      "expiry",
                                               "expire",       "expiring",
                                               "manager",      "managers",
                                               "protected",    "protection",
                                               "required",     "requirement",
                                               "requirements", "change",
                                               "changed",      "changes",
                                               "changing",     "forgot",
                                               "forgotten",    "incorrect",
                                               "invalid",      "wrong",
                                               "strength",     "strong",
                                               "field",        "fields",
                                               "below",        "above",
                                               "here",         "link",
                                               "sent",         "same",
                                               "your",         "yours",
                                               "the",          "and",
                                               "for",          "with",
                                               "hint",         "hints",
                                               "recovery",     "update",
                                               "updated",      "please",
                                               "length",       "characters",
                                               "complexity",   "rules",
                                               "rotation",     "history",
                                               "hash",         "hashes",
                                               "hashed",       "entry",
                                               "prompt",       "dialog",
                                               "again",        "authentication",
                                               "based",        "less",
                                               "login",        "security",
                                               "settings",     "never",
                                               "needs",        "that",
                                               "this",         "when",
                                               "which",        "then",
                                               "also",         "only",
                                               "very",         "because",
                                               "using",        "used",
                                               "like",         "such",
                                               "stored",       "storage",
                                               "encrypted",    "removed",
                                               "attached",     "enclosed",
                                               "separately",   "provided",
                                               "available",    "necessary",
                                               "needed",       "unknown",
                                               "empty",        "blank",
                                               "none",         "null",
                                               "before",       "previous",
                                               "current",      "temporary",
                                               "vault",        "keeper",
                                               "sharing",      "shared",
                                               "secure",       "protect",
                                               "locked",       "lockout",
                                               "complex",      "unique",
                                               "different",    "changed.",
                                               "handy",        "safe",
                                               "private",      "secret",
                                               "confidential", "immediately",
                                               "tomorrow",     "today",
                                               "soon",         "later",
                                               "somewhere",    "elsewhere",
                                               "anyone",       "someone",
                                               "nobody",       "everyone",
                                               "correct",      "accepted",
                                               "rejected",     "working",
                                               "failed",       "mismatch",
                                               "match",        "matches",
                                               "contain",      "contains",
                                               "include",      "includes",
                                               "between",      "least",
                                               "minimum",      "maximum",
                                               "reuse",        "reused",
                                               "guidance",     "guidelines",
                                               "standard",     "standards",
                                               "self-service", "portal",
                                               "page",         "screen",
                                               "form",         "box",
                                               "request",      "requests",
                                               "resets",       "expiration",
                                               "notification", "reminder",
                                               "generator",    "checker",
                                               "tips",         "advice",
                                               "training",     "hygiene",
                                               "spraying",     "cracking",
                                               "leak",         "leaks",
                                               "leaked",       "breach",
                                               "breached",     "compromised",
                                               "stolen",       "phishing",
                                               "sharing.",     "protected.",
                                               "management",   "section",
                                               "sso",          "mfa",
                                               "2fa",          "otp"};
  return std::find(std::begin(kStop), std::end(kStop), value_lower) != std::end(kStop);
}

}  // namespace

bool is_word_byte(unsigned char c) { return std::isalnum(c) || c == '_'; }

bool is_placeholder(std::string_view value) {
  if (value.empty()) return true;
  std::string v = lower(value);
  if (distinct_bytes(v) <= 2) return true;  // ********, xxxxxx, ......, 000000
  if ((v.front() == '<' && v.back() == '>') || (v.front() == '[' && v.back() == ']') ||
      (v.front() == '{' && v.back() == '}') || (v.front() == '(' && v.back() == ')'))
    return true;
  if (v.starts_with("${") || v.starts_with("{{") || v.starts_with("%(") || v.starts_with("$(") ||
      v.starts_with("%s") || v.starts_with("$env") || v.starts_with("env:"))
    return true;
  if (v.size() >= 2 && v.front() == '$' && std::all_of(v.begin() + 1, v.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      }))
    return true;  // $DB_PASSWORD
  static constexpr std::string_view kWords[] = {
      "password", "passwd", "your",      "example", "placeholder", "redacted",
      "hidden",   "secret", "xxx",       "***",     "...",         "removed",
      "n/a",      "tbd",    "changeme_", "dummy",   "sample",      "mypass"};
  for (auto w : kWords)
    if (contains(v, w)) return true;
  return false;
}

std::optional<Hit> confirm_private_key(const DetectInput& in, std::size_t from, std::size_t to) {
  std::string_view t = in.text;
  const std::size_t limit = std::min(t.size(), to + 16384);
  std::size_t body = 0;
  std::size_t i = to;
  bool at_line_start = false;
  while (i < limit) {
    unsigned char c = t[i];
    if (c == '\n' || c == '\r') {
      at_line_start = true;
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (c == '-') break;  // -----END ... or the end of the block
    if (at_line_start) {
      // Encrypted PEM headers (Proc-Type:, DEK-Info:) precede the body.
      std::size_t eol = t.find('\n', i);
      std::string_view line = t.substr(i, (eol == std::string_view::npos ? limit : eol) - i);
      if (line.find(':') != std::string_view::npos && line.size() < 200) {
        i += line.size();
        continue;
      }
    }
    at_line_start = false;
    if (!is_b64(c)) break;
    ++body;
    ++i;
  }
  std::string_view header = t.substr(from, to - from);
  // A real key body is hundreds of base64 characters; a header alone, or "...", is a mention.
  Confidence c = body >= 64 ? Confidence::kHigh : Confidence::kLow;
  return make_hit("secret.private-key", c, from, i, std::string(header) + " [key body redacted]");
}

std::optional<Hit> confirm_aws_key(const DetectInput& in, std::size_t from, std::size_t to) {
  std::string_view t = in.text;
  std::string_view key = t.substr(from, to - from);
  if (key.ends_with("EXAMPLE")) return std::nullopt;           // AWS documentation's example key
  if (distinct_bytes(key.substr(4)) < 6) return std::nullopt;  // AKIAXXXXXXXXXXXXXXXX
  // A 40-character secret access key near the key id: the pair is a working credential.
  bool secret_near = false;
  const std::size_t lo = from > in.window ? from - in.window : 0;
  const std::size_t hi = std::min(t.size(), to + in.window);
  for (std::size_t i = lo; i < hi && !secret_near;) {
    if (!is_b64(static_cast<unsigned char>(t[i])) || t[i] == '=') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < t.size() && is_b64(static_cast<unsigned char>(t[j])) && t[j] != '=') ++j;
    std::string_view run = t.substr(i, j - i);
    if (run.size() == 40 && char_classes(run) >= 3 && shannon_entropy(run) > 4.0 &&
        run != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" && !run.ends_with("EXAMPLEKEY"))
      secret_near = true;
    i = j;
  }
  Confidence c = secret_near ? Confidence::kHigh : Confidence::kMedium;
  return make_hit("secret.aws-access-key", c, from, to,
                  with_context(t, from, mask_after(key, 4, 16)));
}

std::optional<Hit> confirm_password(const DetectInput& in, std::size_t from, std::size_t to) {
  std::string_view t = in.text;
  // A Password= inside "Server=...;" is reported as a connection string instead.
  {
    std::size_t lo = from > 200 ? from - 200 : 0;
    std::size_t nl = t.substr(lo, from - lo).find_last_of('\n');
    if (nl != std::string_view::npos) lo += nl + 1;
    std::string before = lower(t.substr(lo, from - lo));
    if (contains(before, "server=") || contains(before, "data source=") ||
        contains(before, "host=") || contains(before, "://"))
      return std::nullopt;
  }
  if (from > 0 && (t[from - 1] == '_' || t[from - 1] == '-' || t[from - 1] == '.'))
    return std::nullopt;  // reset_password, forgot-password, user.password
  std::size_t i = to;
  const std::size_t limit = std::min(t.size(), to + 80);
  auto skip_blanks = [&](bool newlines) {
    while (i < limit &&
           (t[i] == ' ' || t[i] == '\t' || (newlines && (t[i] == '\n' || t[i] == '\r'))))
      ++i;
  };
  if (i < limit && (t[i] == '"' || t[i] == '\'')) ++i;  // "password": "..."
  skip_blanks(false);
  enum class Form { kNone, kSeparator, kPhrase } form = Form::kNone;
  if (i < limit && (t[i] == ':' || t[i] == '=')) {
    form = Form::kSeparator;
    ++i;
    if (i < limit && t[i] == '=') ++i;
    skip_blanks(true);
  } else if (i + 1 < limit && t[i] == '-' && t[i + 1] == '>') {
    form = Form::kSeparator;
    i += 2;
    skip_blanks(false);
  } else {
    // "the password is X", "password has been reset to X", "password for the VPN is X".
    static constexpr std::string_view kLinks[] = {
        "is",  "now",   "was",     "will", "be",          "has",   "been",
        "set", "reset", "changed", "to",   "temporarily", "still", "remains"};
    std::size_t words = 0, saw_link = 0;
    while (words < 5 && i < limit) {
      std::size_t j = i;
      while (j < limit && std::isalpha(static_cast<unsigned char>(t[j]))) ++j;
      if (j == i) break;
      std::string w = lower(t.substr(i, j - i));
      if (std::find(std::begin(kLinks), std::end(kLinks), w) == std::end(kLinks)) break;
      ++saw_link;
      ++words;
      i = j;
      skip_blanks(false);
      if (i < limit && t[i] == ':') {
        ++i;
        skip_blanks(false);
      }
    }
    if (saw_link > 0) form = Form::kPhrase;
  }
  // The value: quoted, or up to the next blank.
  char quote = 0;
  if (i < limit && (t[i] == '"' || t[i] == '\'' || t[i] == '`')) quote = t[i++];
  std::size_t v0 = i;
  const std::size_t vlimit = std::min(t.size(), v0 + 128);
  while (i < vlimit) {
    unsigned char c = t[i];
    if (quote ? c == static_cast<unsigned char>(quote) : (c <= ' ' || c == 0x7F)) break;
    if (c == '\n' || c == '\r') break;
    ++i;
  }
  std::string_view value = t.substr(v0, i - v0);
  if (!quote) {
    while (!value.empty() &&
           std::string_view(".,;)]\"'").find(value.back()) != std::string_view::npos)
      value.remove_suffix(1);
  }
  if (value.size() < 6 || value.size() > 100) return std::nullopt;
  std::string vl = lower(value);
  if (is_placeholder(value) || is_stop_word(vl)) return std::nullopt;
  const int classes = char_classes(value);
  const double bits = shannon_entropy(value) * value.size();
  if (bits < 14) return std::nullopt;  // "aaaaab", "123123"
  // A user name just before ("login: bob / pass ...") tells us a credential pair is given.
  bool login_near = false;
  {
    std::size_t lo = from > 120 ? from - 120 : 0;
    std::string before = lower(t.substr(lo, from - lo));
    login_near = contains(before, "user") || contains(before, "login") ||
                 contains(before, "account") || contains(before, "e-mail:") ||
                 contains(before, "email:");
  }
  Confidence c;
  switch (form) {
    case Form::kSeparator:
      if (classes >= 3 && value.size() >= 8)
        c = Confidence::kHigh;
      else if (classes >= 2)
        c = login_near ? Confidence::kHigh : Confidence::kMedium;
      else
        c = login_near ? Confidence::kMedium : Confidence::kLow;
      break;
    case Form::kPhrase:
      if (classes >= 3)
        c = Confidence::kHigh;
      else if (classes >= 2)
        c = Confidence::kMedium;
      else
        c = Confidence::kLow;
      break;
    case Form::kNone:
    default:
      // "password Xk9#mP2q" with no separator: only a value that cannot be an English word.
      if (classes >= 3 && value.size() >= 8)
        c = login_near ? Confidence::kHigh : Confidence::kMedium;
      else if (classes >= 2 && login_near)
        c = Confidence::kMedium;
      else
        return std::nullopt;
      break;
  }
  std::string shown =
      printable(t.substr(from, to - from)) + (form == Form::kSeparator ? ": " : " ") + "********";
  return make_hit("secret.password", c, from, i, with_context(t, from, shown));
}

std::optional<Hit> confirm_token(const DetectInput& in, Kind kind, std::size_t from,
                                 std::size_t to) {
  std::string_view token = in.text.substr(from, to - from);
  switch (kind) {
    case Kind::kGithub: {
      std::size_t prefix = token.starts_with("github_pat_") ? 11 : 4;
      Confidence c =
          distinct_bytes(token.substr(prefix)) >= 12 ? Confidence::kHigh : Confidence::kLow;
      return make_hit("secret.github-token", c, from, to, mask_after(token, prefix, 16));
    }
    case Kind::kSlack: {
      // The pattern anchors the first characters; the token runs to the last token character.
      std::size_t end = to;
      while (end < in.text.size() && end - from < 256 &&
             (std::isalnum(static_cast<unsigned char>(in.text[end])) || in.text[end] == '-'))
        ++end;
      to = end;
      token = in.text.substr(from, to - from);
      // Real tokens are xoxb-<team digits>-<digits>-<random>; documentation writes
      // xoxb-not-a-real-token.
      std::string_view body = token.substr(5);
      std::size_t digits = 0;
      while (digits < body.size() && std::isdigit(static_cast<unsigned char>(body[digits])))
        ++digits;
      Confidence c =
          digits >= 4 && distinct_bytes(body) >= 10 ? Confidence::kHigh : Confidence::kLow;
      return make_hit("secret.slack-token", c, from, to, mask_after(token, 5, 16));
    }
    case Kind::kStripe: {
      bool live = contains(token, "_live_");
      std::size_t prefix = live ? 8 : 8;
      Confidence c =
          live && distinct_bytes(token.substr(prefix)) >= 10 ? Confidence::kHigh : Confidence::kLow;
      return make_hit("secret.stripe-key", c, from, to, mask_after(token, prefix, 16));
    }
    default:
      return std::nullopt;
  }
}

std::optional<Hit> confirm_jwt(const DetectInput& in, std::size_t from, std::size_t to) {
  std::string_view t = in.text;
  std::size_t dot1 = t.find('.', from);
  if (dot1 == std::string_view::npos || dot1 >= to) return std::nullopt;
  std::size_t i = dot1 + 1;
  const std::size_t limit = std::min(t.size(), i + 16384);
  while (i < limit && is_b64url(static_cast<unsigned char>(t[i]))) ++i;
  if (i >= t.size() || t[i] != '.') return std::nullopt;
  std::size_t sig0 = ++i;
  while (i < std::min(t.size(), sig0 + 4096) && is_b64url(static_cast<unsigned char>(t[i]))) ++i;
  std::size_t sig = i - sig0;
  // The header must decode to JSON naming an algorithm: {"alg":"HS256",...}.
  std::string header;
  {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned buffer = 0;
    int bitsn = 0;
    for (std::size_t k = from; k < dot1 && header.size() < 512; ++k) {
      std::size_t v = kAlphabet.find(t[k]);
      if (v == std::string_view::npos) return std::nullopt;
      buffer = (buffer << 6) | static_cast<unsigned>(v);
      bitsn += 6;
      if (bitsn >= 8) {
        bitsn -= 8;
        header += static_cast<char>((buffer >> bitsn) & 0xFF);
      }
    }
  }
  if (!contains(header, "\"alg\"") && !contains(header, "\"typ\"")) return std::nullopt;
  Confidence c = sig >= 16 ? Confidence::kHigh : Confidence::kLow;  // alg none: no signature
  return make_hit("secret.jwt", c, from, i, mask_after(t.substr(from, i - from), 10, 16));
}

std::optional<Hit> confirm_conn_url(const DetectInput& in, std::size_t, std::size_t to) {
  // The match ends just after user:password@; walk back to "://" and the scheme before it.
  std::string_view t = in.text;
  std::size_t lo = to > 220 ? to - 220 : 0;
  std::size_t sep = t.substr(lo, to - lo).rfind("://");
  if (sep == std::string_view::npos) return std::nullopt;
  std::size_t from = lo + sep;
  const std::size_t scheme_limit = lo + sep >= 24 ? lo + sep - 24 : 0;
  while (from > scheme_limit && (std::isalnum(static_cast<unsigned char>(t[from - 1])) ||
                                 t[from - 1] == '+' || t[from - 1] == '.' || t[from - 1] == '-'))
    --from;
  if (from == lo + sep) return std::nullopt;  // no scheme
  std::string_view m = t.substr(from, to - from);
  std::size_t scheme_end = m.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::size_t at = m.rfind('@');
  std::size_t colon = m.find(':', scheme_end + 3);
  if (at == std::string_view::npos || colon == std::string_view::npos || colon > at)
    return std::nullopt;
  std::string_view user = m.substr(scheme_end + 3, colon - scheme_end - 3);
  std::string_view pass = m.substr(colon + 1, at - colon - 1);
  if (pass.size() < 3 || is_placeholder(pass) || lower(pass) == "pass" || lower(pass) == "pwd")
    return std::nullopt;
  std::string shown = printable(m.substr(0, scheme_end + 3)) + printable(user) + ":********@";
  return make_hit("secret.connection-string", Confidence::kHigh, from, to, shown);
}

std::optional<Hit> confirm_conn_ado(const DetectInput& in, std::size_t from, std::size_t to) {
  std::string_view t = in.text;
  // An ADO.NET / ODBC string: other Key=Value; pairs on the same line name a server.
  std::size_t lo = from > 300 ? from - 300 : 0;
  std::size_t nl = t.substr(lo, from - lo).find_last_of('\n');
  if (nl != std::string_view::npos) lo += nl + 1;
  std::size_t hi = std::min(t.size(), to + 300);
  std::size_t eol = t.substr(to, hi - to).find('\n');
  if (eol != std::string_view::npos) hi = to + eol;
  std::string line = lower(t.substr(lo, hi - lo));
  bool server = contains(line, "server=") || contains(line, "data source=") ||
                contains(line, "host=") || contains(line, "hostname=") ||
                contains(line, "address=") || contains(line, "dsn=");
  bool structured =
      contains(line, ";") && (contains(line, "uid=") || contains(line, "user id=") ||
                              contains(line, "user=") || contains(line, "username=") ||
                              contains(line, "database=") || contains(line, "initial catalog="));
  if (!server || !structured) return std::nullopt;
  std::size_t i = to;
  while (i < hi && t[i] == ' ') ++i;
  std::size_t v0 = i;
  while (i < hi && t[i] != ';' && t[i] != '"' && t[i] != '\'' && t[i] > ' ') ++i;
  std::string_view value = t.substr(v0, i - v0);
  if (value.size() < 3 || is_placeholder(value)) return std::nullopt;
  std::string shown = printable(t.substr(from, to - from)) + "********";
  return make_hit("secret.connection-string", Confidence::kHigh, from, i,
                  with_context(t, from, shown));
}

}  // namespace sendguard::content
