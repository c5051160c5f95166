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

struct hs_database;
struct hs_scratch;

namespace sendguard::content {

struct Hit {
  std::string_view detector;
  Confidence confidence = Confidence::kLow;
  std::size_t from = 0, to = 0;  // bytes of the confirmed value in the text
  std::string excerpt;
  std::string level;  // markings only
  int rank = 0;       // markings only: higher is more sensitive
  int matches = 1;    // matches this hit stands for (a topic or custom detector's tally)
};

// Context words near a candidate. They have a small Hyperscan database of their own and are
// looked for only around the candidates that ask (most texts hold few): kept in the main
// database, they slowed every scan of every text. Once the windows asked about add up to the
// size of the text, the whole text is scanned once and indexed instead, so the cost stays
// linear however many candidates there are.
class ContextIndex {
 public:
  static constexpr std::size_t kMaxPerCategory = 100000;  // when the whole text is indexed
  static constexpr std::size_t kMaxWordBytes = 64;        // longest context word, checked at build
  // `db` holds the context expressions with their category as id; `scratch` serves it.
  ContextIndex(std::string_view text, const hs_database* db, hs_scratch* scratch)
      : text_(text), db_(db), scratch_(scratch) {}
  // Is there a context word of `category` within `window` bytes of [from, to)?
  bool near(int category, std::size_t from, std::size_t to, std::size_t window) const;

 private:
  void index_all() const;
  // Scans the window around [from, to) unless the windows would add up to more than the text;
  // then indexes the whole text instead and returns false.
  bool scan_window(int category, std::size_t from, std::size_t to, std::size_t window) const;

  std::string_view text_;
  const hs_database* db_;
  hs_scratch* scratch_;
  mutable std::size_t scanned_ = 0;  // bytes of windows scanned so far
  mutable bool indexed_ = false;
  mutable std::vector<std::pair<std::size_t, std::size_t>> hits_[kCtxCount];
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
