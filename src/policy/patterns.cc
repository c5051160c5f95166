#include "policy/patterns.h"

#include <cctype>

namespace sendguard::policy {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string_view without_trailing_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Greedy matching with one backtrack point per star: the classic wildcard algorithm, which
  // never revisits more than the text once per star.
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool domain_matches(std::string_view pattern, std::string_view domain) {
  pattern = without_trailing_dot(pattern);
  domain = without_trailing_dot(domain);
  if (pattern.find('*') != std::string_view::npos) return glob_match(pattern, domain);
  if (domain.size() < pattern.size()) return false;
  if (!glob_match(pattern, domain.substr(domain.size() - pattern.size()))) return false;
  return domain.size() == pattern.size() || domain[domain.size() - pattern.size() - 1] == '.';
}

bool any_glob_matches(const std::vector<std::string>& patterns, std::string_view text) {
  for (const std::string& p : patterns) {
    if (glob_match(p, text)) return true;
  }
  return false;
}

bool any_domain_matches(const std::vector<std::string>& patterns, std::string_view domain) {
  for (const std::string& p : patterns) {
    if (domain_matches(p, domain)) return true;
  }
  return false;
}

}  // namespace sendguard::policy
