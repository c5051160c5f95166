// The Public Suffix List: libpsl, loaded from a file, and the same rules in a table of our own.
#include <idn2.h>
#include <libpsl.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unordered_map>

#include "address/address.h"
#include "core/flat_string_table.h"

namespace sendguard {
namespace {

// No domain name is longer than 253 bytes, so a longer rule could never match.
constexpr std::size_t kMaxRuleBytes = 253;

enum RuleFlags : std::uint8_t {
  kPlain = 1,      // the rule's text is a public suffix
  kWildcard = 2,   // "*.text": every label under the text is one too
  kException = 4,  // "!text": the text is not one, whatever a wildcard says
};

// Only domains made of these, without empty labels, are answered from our table; anything else goes to libpsl, whose
// handling of case, non-ASCII bytes and stray characters we do not repeat.
bool is_plain_ascii_domain(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return !s.empty() && s.front() != '.' && s.back() != '.' &&
         s.find("..") == std::string_view::npos;
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// The A-label form of a rule written in Unicode, as libpsl derives it (libidn2, non-transitional
// first, transitional as a fallback); empty when neither accepts it.
std::string rule_to_ascii(const std::string& rule) {
  for (int flags : {IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL, IDN2_NFC_INPUT | IDN2_TRANSITIONAL}) {
    char* out = nullptr;
    if (idn2_lookup_u8(reinterpret_cast<const uint8_t*>(rule.c_str()),
                       reinterpret_cast<uint8_t**>(&out), flags) == IDN2_OK) {
      std::string ascii(out);
      idn2_free(out);
      return ascii;
    }
  }
  return {};
}

// The labels libpsl looks at: at most the last nine, to bound its quadratic search.
std::string_view last_nine_labels(std::string_view domain) {
  int dots = 0;
  for (std::size_t i = domain.size(); i-- > 0;) {
    if (domain[i] == '.' && ++dots > 8) return domain.substr(i + 1);
  }
  return domain;
}

}  // namespace

struct PublicSuffixList::Rules {
  FlatStringTable<std::uint8_t> flags;  // RuleFlags of each rule's text

  std::uint8_t find(std::string_view text, std::uint64_t hash) const {
    const std::uint8_t* found = flags.find(text, hash);
    return found == nullptr ? 0 : *found;
  }

  // Whether a rule makes `domain` a public suffix: its own, or else a wildcard on its parent
  // (the domain without its first label; empty for a single label). No exception can then
  // apply: it would have been the domain's own rule.
  bool listed(std::string_view domain, std::uint64_t hash, std::string_view parent,
              std::uint64_t parent_hash) const {
    if (const std::uint8_t own = find(domain, hash); own != 0) return (own & kException) == 0;
    return !parent.empty() && (find(parent, parent_hash) & kWildcard) != 0;
  }
};

void PublicSuffixList::Deleter::operator()(psl_ctx_st* ctx) const { psl_free(ctx); }

PublicSuffixList::PublicSuffixList(psl_ctx_st* ctx, std::unique_ptr<const Rules> rules)
    : ctx_(ctx), rules_(std::move(rules)) {}
PublicSuffixList::PublicSuffixList(PublicSuffixList&&) noexcept = default;
PublicSuffixList& PublicSuffixList::operator=(PublicSuffixList&&) noexcept = default;
PublicSuffixList::~PublicSuffixList() = default;

Result<PublicSuffixList> PublicSuffixList::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorCode::kConfig, "public suffix list " + path +
                                              " not found (Debian package \"publicsuffix\")");
  }
  psl_ctx_st* ctx = psl_load_file(path.c_str());
  if (ctx == nullptr || psl_suffix_count(ctx) < 1000) {
    if (ctx != nullptr) psl_free(ctx);
    return make_error(ErrorCode::kConfig,
                      "public suffix list " + path + " could not be read as a suffix list");
  }
  // The file format as libpsl reads it: one rule a line up to the first blank, "//" comments,
  // "!" for an exception, "*." for a wildcard (which also makes its parent a suffix).
  std::unordered_map<std::string, std::uint8_t> flags_of;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::size_t begin = line.find_first_not_of(" \t\r\f\v");
    if (begin == std::string::npos || line.compare(begin, 2, "//") == 0) continue;
    std::size_t end = line.find_first_of(" \t\r\f\v", begin);
    std::string rule = line.substr(begin, end == std::string::npos ? end : end - begin);
    std::uint8_t flags = kPlain;
    if (rule.front() == '!') {
      rule.erase(0, 1);
      flags = kException;
    } else if (rule.front() == '*') {
      if (rule.size() < 2 || rule[1] != '.') continue;  // libpsl ignores other "*" rules
      rule.erase(0, 2);
      flags = kPlain | kWildcard;
    }
    if (rule.empty() || rule.size() > kMaxRuleBytes) continue;
    flags_of[rule] |= flags;
    if (!is_ascii(rule)) {
      std::string ascii = rule_to_ascii(rule);
      if (!ascii.empty() && ascii != rule && ascii.size() <= kMaxRuleBytes) {
        flags_of[ascii] |= flags;
      }
    }
  }
  if (flags_of.size() < 1000) {
    psl_free(ctx);
    return make_error(ErrorCode::kConfig,
                      "public suffix list " + path + " could not be read as a suffix list");
  }
  auto rules = std::make_unique<Rules>();
  rules->flags = FlatStringTable<std::uint8_t>({flags_of.begin(), flags_of.end()});
  return PublicSuffixList(ctx, std::move(rules));
}

bool PublicSuffixList::is_public_suffix(std::string_view domain, bool star_rule) const {
  const std::size_t dot = domain.find('.');
  if (dot == std::string_view::npos && star_rule) return true;
  const std::string_view parent =
      dot == std::string_view::npos ? std::string_view() : domain.substr(dot + 1);
  return rules_->listed(domain, rules_->flags.hash(domain), parent, rules_->flags.hash(parent));
}

std::string_view PublicSuffixList::plain_public_suffix(std::string_view ascii_domain,
                                                        std::string_view* registrable) const {
  // The domain from each of its last nine labels on, hashed and their slots' reads started
  // together; then left to right, so that a listed suffix whose parent is not listed
  // (forgot.his.name) is found.
  constexpr std::size_t kMaxLabels = 9;
  const std::string_view domain = last_nine_labels(ascii_domain);
  std::array<std::string_view, kMaxLabels> from;
  std::array<std::uint64_t, kMaxLabels> hashes;
  std::size_t count = 0;
  for (std::size_t start = 0; count < kMaxLabels;) {
    from[count] = domain.substr(start);
    hashes[count] = rules_->flags.hash(from[count]);
    rules_->flags.prefetch(hashes[count]);
    ++count;
    const std::size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (registrable != nullptr) *registrable = {};
  for (std::size_t k = 0; k < count; ++k) {
    // The implicit "*" rule: a single label is a suffix.
    const bool suffix =
        k + 1 == count || rules_->listed(from[k], hashes[k], from[k + 1], hashes[k + 1]);
    if (suffix) return from[k];
    if (registrable != nullptr) *registrable = from[k];
  }
  return from[count - 1];
}

std::string_view PublicSuffixList::public_suffix_view(std::string_view ascii_domain) const {
  if (!is_plain_ascii_domain(ascii_domain)) {
    // Rare: the view must point into the input, so find where libpsl's answer starts there.
    std::string suffix = public_suffix(ascii_domain);
    return ascii_domain.substr(ascii_domain.size() - std::min(suffix.size(), ascii_domain.size()));
  }
  return plain_public_suffix(ascii_domain, nullptr);
}

std::string PublicSuffixList::public_suffix(std::string_view ascii_domain) const {
  if (is_plain_ascii_domain(ascii_domain)) return std::string(public_suffix_view(ascii_domain));
  std::string domain(ascii_domain);
  const char* suffix = psl_unregistrable_domain(ctx_.get(), domain.c_str());
  return suffix != nullptr ? std::string(suffix) : std::string();
}

std::string PublicSuffixList::registrable_domain(std::string_view ascii_domain) const {
  if (is_plain_ascii_domain(ascii_domain)) {
    std::string_view registrable;
    plain_public_suffix(ascii_domain, &registrable);
    return std::string(registrable);
  }
  std::string domain(ascii_domain);
  const char* registrable = psl_registrable_domain(ctx_.get(), domain.c_str());
  return registrable != nullptr ? std::string(registrable) : std::string();
}

bool PublicSuffixList::has_known_top_level_domain(std::string_view ascii_domain) const {
  // Not every TLD is listed on its own (".za" is present only as co.za, org.za, ...), so look
  // for any listed suffix the domain ends with, without the implicit "*" rule.
  if (is_plain_ascii_domain(ascii_domain)) {
    for (std::string_view domain = ascii_domain;;) {
      if (is_public_suffix(domain, /*star_rule=*/false)) return true;
      std::size_t dot = domain.find('.');
      if (dot == std::string_view::npos) return false;
      domain.remove_prefix(dot + 1);
    }
  }
  std::string domain(ascii_domain);
  for (std::size_t start = 0; start != std::string::npos;) {
    if (psl_is_public_suffix2(ctx_.get(), domain.c_str() + start,
                              PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0) {
      return true;
    }
    std::size_t dot = domain.find('.', start);
    start = dot == std::string::npos ? dot : dot + 1;
  }
  return false;
}

}  // namespace sendguard
