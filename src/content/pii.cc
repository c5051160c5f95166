// Personal-data confirmers: payment cards, IBANs, NINOs, NHS numbers, SSNs.
#include <algorithm>

#include "content/detectors.h"
#include "content/redact.h"
#include "content/validators.h"

namespace sendguard::content {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A run of digits separated by single spaces or hyphens, read from `from`. Reads at most
// 48 bytes so a megabyte of digits costs the same as a card number.
struct DigitRun {
  std::size_t end = 0;
  std::string digits;
  std::vector<int> groups;  // digits per group
  char separator = 0;       // 0 when unbroken
  bool mixed = false;       // both spaces and hyphens
  bool embedded = false;    // part of a longer number (digits continue beyond the read)
};

DigitRun read_run(std::string_view text, std::size_t from) {
  DigitRun run;
  std::size_t i = from;
  int group = 0;
  const std::size_t limit = std::min(text.size(), from + 48);
  while (i < limit) {
    char c = text[i];
    if (is_digit(c)) {
      run.digits += c;
      ++group;
      ++i;
      continue;
    }
    if ((c == ' ' || c == '-') && i + 1 < text.size() && is_digit(text[i + 1]) && group > 0) {
      if (run.separator && run.separator != c) run.mixed = true;
      run.separator = c;
      run.groups.push_back(group);
      group = 0;
      ++i;
      continue;
    }
    break;
  }
  if (group > 0) run.groups.push_back(group);
  run.end = i;
  if (i < text.size() && (is_digit(text[i]) || is_word_byte(text[i]))) run.embedded = true;
  // A digit, or a digit and a separator, just before the start: the middle of a longer number.
  if (from > 0) {
    char p = text[from - 1];
    if (is_digit(p) || is_word_byte(p)) run.embedded = true;
    if ((p == ' ' || p == '-' || p == '.' || p == '/') && from > 1 && is_digit(text[from - 2]))
      run.embedded = true;
    if (p == '+') run.embedded = true;  // an international phone number
  }
  // Decimal or dotted continuation: 1234567890.12 is an amount, not an identifier.
  if (i + 1 < text.size() && (text[i] == '.' || text[i] == ',' || text[i] == '/') &&
      is_digit(text[i + 1]))
    run.embedded = true;
  return run;
}

bool groups_are(const DigitRun& run, std::initializer_list<int> shape) {
  return std::equal(run.groups.begin(), run.groups.end(), shape.begin(), shape.end());
}

std::string excerpt(std::string_view text, std::size_t from, const std::string& masked) {
  std::string before = context_before(text, from);
  return before.empty() ? masked : before + " " + masked;
}

}  // namespace

std::optional<Hit> confirm_card(const DetectInput& in, std::size_t from) {
  DigitRun run = read_run(in.text, from);
  if (run.embedded || run.mixed || run.digits.size() < 12 || run.digits.size() > 19)
    return std::nullopt;
  if (!luhn_valid(run.digits) || !card_issuer_valid(run.digits)) return std::nullopt;
  bool grouped = false;
  if (run.separator) {
    // Cards are printed in fours (Amex and Diners 4-6-5 / 4-6-4); anything else is a
    // different kind of number that happens to pass Luhn.
    bool fours = run.groups.size() >= 3;
    for (std::size_t g = 0; g + 1 < run.groups.size(); ++g) fours = fours && run.groups[g] == 4;
    fours = fours && run.groups.back() >= 1 && run.groups.back() <= 4;
    grouped = fours || groups_are(run, {4, 6, 5}) || groups_are(run, {4, 6, 4});
    if (!grouped) return std::nullopt;
  }
  Hit hit;
  hit.detector = "pii.credit-card";
  hit.from = from;
  hit.to = run.end;
  std::string_view raw = in.text.substr(from, run.end - from);
  hit.excerpt = excerpt(in.text, from, mask_middle(raw, 4, 4));  // PCI DSS: first 4 / last 4
  if (is_test_card(run.digits)) {
    hit.confidence = Confidence::kLow;
  } else if (in.context.near(kCtxCard, from, run.end, in.window)) {
    hit.confidence = Confidence::kHigh;
  } else {
    hit.confidence = grouped ? Confidence::kMedium : Confidence::kLow;
  }
  return hit;
}

std::optional<Hit> confirm_iban(const DetectInput& in, std::size_t from) {
  std::string_view t = in.text;
  if (from + 2 > t.size()) return std::nullopt;
  int length = iban_length(t.substr(from, 2));
  if (length == 0) return std::nullopt;
  // Compact form, or groups of four separated by single spaces (the paper format).
  std::string compact;
  std::size_t i = from;
  while (i < t.size() && static_cast<int>(compact.size()) < length) {
    char c = t[i];
    if ((c >= 'A' && c <= 'Z') || is_digit(c)) {
      compact += c;
      ++i;
    } else if (c == ' ' && !compact.empty() && compact.size() % 4 == 0 && i + 1 < t.size() &&
               t[i + 1] != ' ') {
      ++i;  // the paper format: groups of four separated by single spaces
    } else {
      break;
    }
  }
  if (static_cast<int>(compact.size()) != length) return std::nullopt;
  if (i < t.size() && is_word_byte(t[i])) return std::nullopt;
  if (from > 0 && is_word_byte(t[from - 1])) return std::nullopt;
  if (!iban_valid(compact)) return std::nullopt;
  Hit hit;
  hit.detector = "pii.iban";
  hit.from = from;
  hit.to = i;
  hit.excerpt = excerpt(t, from, mask_middle(t.substr(from, i - from), 4, 2));
  hit.confidence =
      in.context.near(kCtxIban, from, i, in.window) ? Confidence::kHigh : Confidence::kMedium;
  return hit;
}

std::optional<Hit> confirm_nino(const DetectInput& in, std::size_t from, std::size_t to) {
  std::string_view raw = in.text.substr(from, to - from);
  std::string compact;
  for (char c : raw)
    if (c != ' ') compact += c;
  if (!nino_valid(compact)) return std::nullopt;
  // Either unbroken (AB123456C) or the printed form AB 12 34 56 C; nothing in between.
  bool spaced = raw.size() == 13;
  if (raw.size() != 9 && !spaced) return std::nullopt;
  Hit hit;
  hit.detector = "pii.uk-nino";
  hit.from = from;
  hit.to = to;
  hit.excerpt = excerpt(in.text, from, mask_middle(raw, 2, 0));
  if (in.context.near(kCtxNino, from, to, in.window)) {
    hit.confidence = Confidence::kHigh;
  } else {
    hit.confidence = spaced ? Confidence::kMedium : Confidence::kLow;
  }
  return hit;
}

std::optional<Hit> confirm_nhs(const DetectInput& in, std::size_t from) {
  DigitRun run = read_run(in.text, from);
  if (run.embedded || run.mixed || run.digits.size() != 10) return std::nullopt;
  if (run.separator && !groups_are(run, {3, 3, 4})) return std::nullopt;
  if (!nhs_valid(run.digits)) return std::nullopt;
  const bool context = in.context.near(kCtxNhs, from, run.end, in.window);
  // 0xx xxx xxxx is also the shape of a UK phone number: only the words around it can say
  // it is a health number (CHI-style numbers do start with 0).
  if (run.digits[0] == '0' && !context) return std::nullopt;
  Hit hit;
  hit.detector = "pii.uk-nhs";
  hit.from = from;
  hit.to = run.end;
  hit.excerpt = excerpt(in.text, from, mask_middle(in.text.substr(from, run.end - from), 3, 0));
  hit.confidence = context ? Confidence::kHigh : Confidence::kLow;
  return hit;
}

std::optional<Hit> confirm_ssn(const DetectInput& in, std::size_t from) {
  DigitRun run = read_run(in.text, from);
  if (run.embedded || run.mixed || run.digits.size() != 9) return std::nullopt;
  if (run.separator && !groups_are(run, {3, 2, 4})) return std::nullopt;
  if (!ssn_valid(run.digits)) return std::nullopt;
  Hit hit;
  hit.detector = "pii.us-ssn";
  hit.from = from;
  hit.to = run.end;
  hit.excerpt = excerpt(in.text, from, mask_middle(in.text.substr(from, run.end - from), 0, 4));
  bool context = in.context.near(kCtxSsn, from, run.end, in.window);
  if (is_sample_ssn(run.digits)) {
    hit.confidence = Confidence::kLow;
  } else if (context) {
    // Nine unbroken digits are common (orders, accounts): the keyword only lifts them halfway.
    hit.confidence = run.separator ? Confidence::kHigh : Confidence::kMedium;
  } else if (run.separator) {
    hit.confidence = Confidence::kLow;
  } else {
    return std::nullopt;  // nine bare digits with no keyword say nothing
  }
  return hit;
}

}  // namespace sendguard::content
