// Domain normalisation with libidn2 (UTS #46 non-transitional processing, NFC input).
#include <idn2.h>

#include <cstdlib>
#include <memory>

#include "address/address.h"
#include "address/utf8.h"

namespace sendguard {
namespace {

struct IdnFree {
  void operator()(char* p) const { idn2_free(p); }
};
using IdnString = std::unique_ptr<char, IdnFree>;

bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// Host-name rules (RFC 952/1123, "STD3") on the ASCII form, which libidn2 leaves to the caller.
Result<void> check_host_name(std::string_view ascii, std::string_view shown) {
  if (ascii.size() > kMaxDomainBytes) {
    return make_error(ErrorCode::kInvalidInput, "the domain is longer than 253 characters");
  }
  std::size_t labels = 0;
  std::size_t start = 0;
  std::string_view last;
  while (start <= ascii.size()) {
    std::size_t dot = ascii.find('.', start);
    if (dot == std::string_view::npos) dot = ascii.size();
    std::string_view label = ascii.substr(start, dot - start);
    if (label.empty()) {
      return make_error(ErrorCode::kInvalidInput,
                        "the domain \"" + std::string(shown) + "\" has an empty label (two dots)");
    }
    if (label.size() > kMaxLabelBytes) {
      return make_error(ErrorCode::kInvalidInput,
                        "a label of the domain is longer than 63 characters");
    }
    for (char c : label) {
      if (!is_ldh(c)) {
        return make_error(ErrorCode::kInvalidInput,
                          "the domain \"" + std::string(shown) + "\" contains the character '" +
                              std::string(1, c) + "', which host names cannot have");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return make_error(ErrorCode::kInvalidInput, "a label of the domain \"" + std::string(shown) +
                                                      "\" starts or ends with a hyphen");
    }
    ++labels;
    last = label;
    start = dot + 1;
  }
  if (labels < 2) {
    return make_error(ErrorCode::kInvalidInput,
                      "the domain \"" + std::string(shown) + "\" has no top-level domain");
  }
  bool numeric_tld = true;
  for (char c : last) numeric_tld = numeric_tld && c >= '0' && c <= '9';
  if (numeric_tld) {
    return make_error(ErrorCode::kInvalidInput, "the domain \"" + std::string(shown) +
                                                    "\" ends in a number, not a top-level domain");
  }
  return {};
}

}  // namespace

Result<Domain> normalize_domain(std::string_view input) {
  if (input.empty()) return make_error(ErrorCode::kInvalidInput, "the domain is empty");
  if (input.size() > kMaxAddressBytes) {
    return make_error(ErrorCode::kLimitExceeded, "the domain is too long");
  }
  if (!address_internal::is_valid_utf8(input)) {
    return make_error(ErrorCode::kInvalidInput, "the domain is not valid UTF-8");
  }
  std::string text(input);
  if (text.back() == '.') text.pop_back();  // the root label: "example.com." is "example.com"
  if (text.empty()) return make_error(ErrorCode::kInvalidInput, "the domain is empty");

  char* raw = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(text.c_str()),
                          reinterpret_cast<uint8_t**>(&raw), IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  IdnString ascii(raw);
  if (rc != IDN2_OK) {
    return make_error(ErrorCode::kInvalidInput,
                      "the domain \"" + text + "\" is not a valid internationalised domain name (" +
                          idn2_strerror(rc) + ")");
  }
  std::string ascii_form(ascii.get());
  if (auto ok = check_host_name(ascii_form, text); !ok) return std::unexpected(ok.error());

  char* raw_unicode = nullptr;
  rc = idn2_to_unicode_8z8z(ascii_form.c_str(), &raw_unicode, 0);
  IdnString unicode(raw_unicode);
  Domain domain{ascii_form, rc == IDN2_OK ? std::string(unicode.get()) : ascii_form};
  return domain;
}

}  // namespace sendguard
