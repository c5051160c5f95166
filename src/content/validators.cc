#include "content/validators.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>

namespace sendguard::content {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int prefix_num(std::string_view digits, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n && i < digits.size(); ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

}  // namespace

bool luhn_valid(std::string_view digits) {
  if (!all_digits(digits)) return false;
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool card_issuer_valid(std::string_view d) {
  if (!all_digits(d) || d.size() < 12 || d.size() > 19) return false;
  const std::size_t n = d.size();
  const int p1 = prefix_num(d, 1), p2 = prefix_num(d, 2), p3 = prefix_num(d, 3),
            p4 = prefix_num(d, 4), p6 = prefix_num(d, 6);
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                         // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                                  // Amex
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925))
    return n >= 16 && n <= 19;                              // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;  // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
    return n >= 14 && n <= 19;                                        // Diners
  if (p2 == 62) return n >= 16 && n <= 19;                            // UnionPay
  if (p2 == 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19;  // Maestro
  return false;
}

bool is_test_card(std::string_view d) {
  static constexpr std::array<std::string_view, 40> kTest = {
      "4111111111111111", "4012888888881881", "4222222222222",    "4242424242424242",
      "4000056655665556", "4000000000000002", "4000000000000077", "4000000000003220",
      "4000002500003155", "4000000000009995", "4000000000000069", "4000000000000127",
      "4917610000000000", "4462030000000000", "4005519200000004", "4009348888881881",
      "5555555555554444", "5105105105105100", "5200828282828210", "5454545454545454",
      "2223003122003222", "2223000048400011", "5431111111111111", "5199999999999991",
      "378282246310005",  "371449635398431",  "378734493671000",  "340000000000009",
      "6011111111111117", "6011000990139424", "6011000400000000", "6011601160116611",
      "3056930009020004", "30569309025904",   "38520000023237",   "36227206271667",
      "3566002020360505", "3530111333300000", "6200000000000005", "6759649826438453"};
  if (std::find(kTest.begin(), kTest.end(), d) != kTest.end()) return true;
  std::array<bool, 10> seen{};
  int distinct = 0;
  for (char c : d) {
    if (c < '0' || c > '9') continue;
    if (!seen[c - '0']) ++distinct;
    seen[c - '0'] = true;
  }
  if (distinct <= 2) return true;
  // "4xxx 1234 5678 9012"-like: the body after the issuer prefix is an ascending run.
  int ascending = 0;
  for (std::size_t i = 1; i < d.size(); ++i)
    if ((d[i] - '0') == (d[i - 1] - '0' + 1) % 10) ++ascending;
  return ascending >= static_cast<int>(d.size()) - 3;
}

int iban_length(std::string_view cc) {
  struct Entry {
    const char* cc;
    int len;
  };
  static constexpr Entry kLengths[] = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
      {"BG", 22}, {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28},
      {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24},
      {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18},
      {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23},
      {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
      {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22},
      {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
      {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24},
      {"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28},
      {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}};
  for (const auto& e : kLengths)
    if (cc == e.cc) return e.len;
  return 0;
}

bool iban_valid(std::string_view s) {
  if (s.size() < 15 || s.size() > 34) return false;
  if (iban_length(s.substr(0, 2)) != static_cast<int>(s.size())) return false;
  if (s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9') return false;
  // Move the first four characters to the end, letters become 10..35, remainder mod 97 == 1.
  int rem = 0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    char c = s[(k + 4) % s.size()];
    if (c >= '0' && c <= '9') {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool nhs_valid(std::string_view d) {
  if (d.size() != 10 || !all_digits(d)) return false;
  if (std::all_of(d.begin(), d.end(), [&](char c) { return c == d[0]; })) return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (d[i] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  if (check == 10) return false;
  return check == d[9] - '0';
}

bool ssn_valid(std::string_view d) {
  if (d.size() != 9 || !all_digits(d)) return false;
  int area = prefix_num(d, 3);
  int group = prefix_num(d.substr(3), 2);
  int serial = prefix_num(d.substr(5), 4);
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

bool is_sample_ssn(std::string_view d) {
  static constexpr std::array<std::string_view, 6> kSamples = {
      "078051120", "123456789", "219099999", "457555462", "987654320", "111223333"};
  if (std::find(kSamples.begin(), kSamples.end(), d) != kSamples.end()) return true;
  return std::all_of(d.begin(), d.end(), [&](char c) { return c == d[0]; });
}

bool nino_valid(std::string_view s) {
  if (s.size() != 9) return false;
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (!upper(s[0]) || !upper(s[1]) || !all_digits(s.substr(2, 6))) return false;
  if (s[8] < 'A' || s[8] > 'D') return false;
  constexpr std::string_view kBadFirst = "DFIQUV", kBadSecond = "DFIOQUV";
  if (kBadFirst.find(s[0]) != std::string_view::npos) return false;
  if (kBadSecond.find(s[1]) != std::string_view::npos) return false;
  static constexpr std::array<std::string_view, 7> kBadPrefix = {"BG", "GB", "KN", "NK",
                                                                 "NT", "TN", "ZZ"};
  return std::find(kBadPrefix.begin(), kBadPrefix.end(), s.substr(0, 2)) == kBadPrefix.end();
}

bool icd10_valid(std::string_view code) {
  if (code.size() < 3) return false;
  char letter = code[0];
  if (letter < 'A' || letter > 'Z' || code[1] < '0' || code[1] > '9' || code[2] < '0' ||
      code[2] > '9')
    return false;
  int n = (code[1] - '0') * 10 + (code[2] - '0');
  // Upper bound of the category numbers in use per chapter letter (WHO ICD-10 2019).
  switch (letter) {
    case 'D':
      return n <= 89;
    case 'E':
      return n <= 90;
    case 'H':
      return n <= 95;
    case 'K':
      return n <= 93;
    case 'P':
      return n <= 96;
    case 'T':
      return n <= 98;
    case 'U':
      return n <= 85;
    case 'V':
      return n >= 1;
    case 'Y':
      return n <= 98;
    default:
      return true;
  }
}

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<int, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  for (int c : counts) {
    if (c == 0) continue;
    double p = static_cast<double>(c) / s.size();
    h -= p * std::log2(p);
  }
  return h;
}

int char_classes(std::string_view s) {
  bool lower = false, up = false, digit = false, other = false;
  for (unsigned char c : s) {
    if (c >= 'a' && c <= 'z')
      lower = true;
    else if (c >= 'A' && c <= 'Z')
      up = true;
    else if (c >= '0' && c <= '9')
      digit = true;
    else if (c > 0x20)
      other = true;
  }
  return lower + up + digit + other;
}

}  // namespace sendguard::content
