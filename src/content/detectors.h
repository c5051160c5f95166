// Confirmers: each takes a candidate match located by the Hyperscan database and decides
// whether it is a real finding, how sure we are and what redacted excerpt to show.
// Internal to content/. Every confirmer reads a bounded number of bytes around the match, so
// the cost of a scan stays linear in the text.
//
// Confidence tiering (modelled on Microsoft Purview's sensitive information types, where a
// pattern alone gives a lower tier and a pattern plus a supporting keyword within 300
// characters gives the higher one):
//   - nothing is reported unless the validator passes (check digit, issuer rules, shape);
//   - high   = validated value + a context word of its own kind within the window
//              (or, for secrets, a format whose prefix exists only for that secret);
//   - medium = validated value whose structure alone makes chance collisions rare:
//              an IBAN (country length + mod-97), a payment card written in its issuer's
//              grouping (4-4-4-4, 4-6-5), a NINO written in its spaced form, an AWS key id;
//   - low    = validated value that a random number passes too often to act on alone:
//              bare NHS numbers (1 in 11 ten-digit numbers pass; 3-3-4 is also a phone
//              shape), bare SSNs (no check digit at all), unbroken card numbers, test numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "content/content.h"
#include "content/patterns.h"

namespace sendguard::content {

struct Hit {
  std::string_view detector;
  Confidence confidence = Confidence::kLow;
  std::size_t from = 0, to = 0;  // bytes of the confirmed value in the text
  std::string excerpt;
  std::string level;  // markings only
  int rank = 0;       // markings only: higher is more sensitive
};

// Positions of context words, by category, for "is there one near here?" questions.
class ContextIndex {
 public:
  static constexpr std::size_t kMaxPerCategory = 100000;
  void add(int category, std::size_t from, std::size_t to);
  void finish();  // sorts; call once before near()
  bool near(int category, std::size_t from, std::size_t to, std::size_t window) const;

 private:
  std::vector<std::pair<std::size_t, std::size_t>> hits_[kCtxCount];
};

struct DetectInput {
  std::string_view text;
  const ContextIndex& context;
  std::size_t window;  // bytes
};

// Personal data (pii.cc). `from`/`to` are the Hyperscan match.
std::optional<Hit> confirm_card(const DetectInput& in, std::size_t from);
std::optional<Hit> confirm_iban(const DetectInput& in, std::size_t from);
std::optional<Hit> confirm_nino(const DetectInput& in, std::size_t from, std::size_t to);
std::optional<Hit> confirm_nhs(const DetectInput& in, std::size_t from);
std::optional<Hit> confirm_ssn(const DetectInput& in, std::size_t from);

// Credentials (secrets.cc).
std::optional<Hit> confirm_private_key(const DetectInput& in, std::size_t from, std::size_t to);
std::optional<Hit> confirm_aws_key(const DetectInput& in, std::size_t from, std::size_t to);
std::optional<Hit> confirm_password(const DetectInput& in, std::size_t from, std::size_t to);
std::optional<Hit> confirm_token(const DetectInput& in, Kind kind, std::size_t from,
                                 std::size_t to);
std::optional<Hit> confirm_jwt(const DetectInput& in, std::size_t from, std::size_t to);
std::optional<Hit> confirm_conn_url(const DetectInput& in, std::size_t from, std::size_t to);
std::optional<Hit> confirm_conn_ado(const DetectInput& in, std::size_t from, std::size_t to);

// Shared helpers.
bool is_word_byte(unsigned char c);
// A password-like value that is really a placeholder: "********", "<password>", "${PASS}",
// "xxxxxx", "changeme" is NOT a placeholder (it is a real, weak default password).
bool is_placeholder(std::string_view value);

}  // namespace sendguard::content
