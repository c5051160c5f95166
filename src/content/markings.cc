#include "content/markings.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "content/redact.h"

namespace sendguard::content {
namespace {

constexpr std::size_t kMaxLine = 400;  // longer lines are prose, never banners

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

struct Level {
  const char* written;  // upper case, as it may be written
  const char* detector;
  const char* level;  // normalised
  int rank;
  bool ambiguous;
};

// Longest first so "TOP SECRET" wins over "SECRET", "OFFICIAL-SENSITIVE" over "OFFICIAL".
constexpr Level kLevels[] = {
    {"COSMIC TOP SECRET", "marking.nato", "COSMIC TOP SECRET", 8, false},
    {"NATO UNCLASSIFIED", "marking.nato", "NATO UNCLASSIFIED", 0, false},
    {"NATO CONFIDENTIAL", "marking.nato", "NATO CONFIDENTIAL", 5, false},
    {"NATO RESTRICTED", "marking.nato", "NATO RESTRICTED", 3, false},
    {"NATO SECRET", "marking.nato", "NATO SECRET", 6, false},
    {"OFFICIAL-SENSITIVE", "marking.uk", "OFFICIAL-SENSITIVE", 3, false},
    {"OFFICIAL SENSITIVE", "marking.uk", "OFFICIAL-SENSITIVE", 3, false},
    {"OFFICIAL: SENSITIVE", "marking.au", "OFFICIAL:Sensitive", 3, false},
    {"OFFICIAL:SENSITIVE", "marking.au", "OFFICIAL:Sensitive", 3, false},
    {"UNCLASSIFIED", "marking.us", "UNCLASSIFIED", 0, false},
    {"CONFIDENTIAL", "marking.uk", "CONFIDENTIAL", 5, true},
    {"UNOFFICIAL", "marking.au", "UNOFFICIAL", 0, false},
    {"TOP SECRET", "marking.uk", "TOP SECRET", 7, true},
    {"TOP-SECRET", "marking.uk", "TOP SECRET", 7, true},
    {"RESTRICTED", "marking.uk", "RESTRICTED", 3, false},
    {"PROTECTED", "marking.au", "PROTECTED", 4, false},
    {"OFFICIAL", "marking.uk", "OFFICIAL", 1, false},
    {"PROTECT", "marking.uk", "PROTECT", 2, false},
    {"SECRET", "marking.uk", "SECRET", 6, true},
    {"CUI", "marking.us", "CUI", 2, false},
};

struct Parsed {
  const Level* level = nullptr;
  std::size_t end = 0;  // bytes of `s` the level used
  bool upper_case = false;
  bool controls = false;  // followed by //CONTROLS (US style)
};

// Reads a level at the start of `s`.
std::optional<Parsed> parse_level(std::string_view s) {
  std::string u = upper(s.substr(0, 40));
  for (const Level& l : kLevels) {
    std::string_view w = l.written;
    if (!std::string_view(u).starts_with(w)) continue;
    if (u.size() > w.size() && is_alnum(u[w.size()])) continue;  // SECRETARY, OFFICIALLY
    Parsed p;
    p.level = &l;
    p.end = w.size();
    p.upper_case = s.substr(0, w.size()) == std::string_view(u).substr(0, w.size());
    p.controls = s.size() > p.end + 2 && s.substr(p.end, 2) == "//" &&
                 std::isupper(static_cast<unsigned char>(s[p.end + 2]));
    return p;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s, std::string_view chars = " \t\r\n") {
  std::size_t a = s.find_first_not_of(chars);
  if (a == std::string_view::npos) return {};
  std::size_t b = s.find_last_not_of(chars);
  return s.substr(a, b - a + 1);
}

// Descriptors, caveats and handling words that may follow a level on a banner line.
bool rest_is_descriptors(std::string_view rest, bool lenient) {
  rest = trim(rest, " \t-:;,/|");
  if (rest.empty()) return true;
  if (rest.size() > 80) return false;
  if (!lenient && upper(rest) != rest) return false;
  static constexpr std::string_view kWords[] = {"COMMERCIAL",
                                                "PERSONAL",
                                                "LOCSEN",
                                                "SENSITIVE",
                                                "EYES",
                                                "ONLY",
                                                "RELEASABLE",
                                                "REL",
                                                "TO",
                                                "HMG",
                                                "FVEY",
                                                "NOFORN",
                                                "ORCON",
                                                "PROPIN",
                                                "FOUO",
                                                "CAVEAT",
                                                "DESCRIPTOR",
                                                "AND",
                                                "SP-PRVCY",
                                                "PRVCY",
                                                "NOT",
                                                "FOR",
                                                "RELEASE",
                                                "DISTRIBUTION",
                                                "HANDLE",
                                                "VIA",
                                                "CHANNELS",
                                                "ONLY",
                                                "RECIPIENTS",
                                                "NAMED",
                                                "ADDRESSEE",
                                                "ADDRESSEES",
                                                "SI",
                                                "TK",
                                                "HCS",
                                                "SCI",
                                                "ATOMAL",
                                                "CRYPTO",
                                                "ACCESS",
                                                "LEGAL",
                                                "PRIVILEGE",
                                                "PERSONAL-PRIVACY",
                                                "LEGISLATIVE-SECRECY",
                                                "CABINET",
                                                "LEGAL-PRIVILEGE",
                                                "MANAGEMENT",
                                                "STAFF",
                                                "MEDICAL",
                                                "CONTRACTS",
                                                "POLICY"};
  std::string u = upper(rest);
  std::size_t i = 0;
  int words = 0;
  while (i < u.size()) {
    while (i < u.size() && std::string_view(" \t-:;,/|()[]").find(u[i]) != std::string_view::npos)
      ++i;
    std::size_t j = i;
    while (j < u.size() && std::string_view(" \t:;,/|()[]").find(u[j]) == std::string_view::npos)
      ++j;
    if (j == i) break;
    std::string_view w = std::string_view(u).substr(i, j - i);
    ++words;
    bool known = std::find(std::begin(kWords), std::end(kWords), w) != std::end(kWords);
    bool code = w.size() <= 4 && std::all_of(w.begin(), w.end(), [](char c) {
                  return std::isupper(static_cast<unsigned char>(c));
                });  // country codes: USA, GBR, AUS
    if (!known && !code) return false;
    i = j;
  }
  return words <= 12;
}

MarkingHit make(const Parsed& p, Confidence c, std::string_view excerpt, std::size_t from,
                std::size_t to) {
  MarkingHit m;
  m.hit.detector = p.level->detector;
  m.hit.level = p.level->level;
  m.hit.rank = p.level->rank;
  m.hit.confidence = c;
  m.hit.from = from;
  m.hit.to = to;
  m.hit.excerpt = printable(trim(excerpt).substr(0, 80));
  m.ambiguous = p.level->ambiguous && !p.controls;
  if (p.controls && p.level->detector != std::string_view("marking.nato")) {
    m.hit.detector = "marking.us";
  }
  // Levels below anything sensitive are still markings, but nothing to act on.
  if (p.level->rank == 0 && c > Confidence::kLow) m.hit.confidence = Confidence::kLow;
  return m;
}

// Australian [SEC=LEVEL] or SEC=LEVEL in X-Protective-Marking.
std::optional<MarkingHit> au_sec(std::string_view s, std::size_t base) {
  std::string u = upper(s);
  std::size_t k = u.find("SEC=");
  if (k == std::string::npos) return std::nullopt;
  std::size_t v0 = k + 4, v1 = v0;
  while (v1 < s.size() && v1 - v0 < 60 &&
         std::string_view("],;\r\n").find(s[v1]) == std::string_view::npos)
    ++v1;
  std::string value(trim(std::string_view(u).substr(v0, v1 - v0)));
  MarkingHit m;
  m.hit.detector = "marking.au";
  m.hit.confidence = Confidence::kHigh;
  m.hit.from = base + k;
  m.hit.to = base + v1;
  m.hit.excerpt = printable(s.substr(k, v1 - k));
  if (value.starts_with("OFFICIAL:SENSITIVE") || value.starts_with("OFFICIAL: SENSITIVE")) {
    m.hit.level = "OFFICIAL:Sensitive", m.hit.rank = 3;
  } else if (value.starts_with("TOP-SECRET") || value.starts_with("TOP SECRET")) {
    m.hit.level = "TOP SECRET", m.hit.rank = 7;
  } else if (value.starts_with("SECRET")) {
    m.hit.level = "SECRET", m.hit.rank = 6;
  } else if (value.starts_with("PROTECTED")) {
    m.hit.level = "PROTECTED", m.hit.rank = 4;
  } else if (value.starts_with("UNOFFICIAL")) {
    m.hit.level = "UNOFFICIAL", m.hit.rank = 0, m.hit.confidence = Confidence::kLow;
  } else if (value.starts_with("OFFICIAL")) {
    m.hit.level = "OFFICIAL", m.hit.rank = 1;
  } else if (value.starts_with("CABINET")) {
    m.hit.level = "PROTECTED", m.hit.rank = 4;  // legacy Cabinet-in-Confidence
  } else {
    return std::nullopt;
  }
  return m;
}

// Portion mark at the start of a paragraph: (S//NF), (TS), (U//FOUO), (NS).
std::optional<MarkingHit> portion_mark(std::string_view line, std::size_t base) {
  std::string_view l = trim(line);
  if (l.size() < 3 || l[0] != '(') return std::nullopt;
  std::size_t close = l.find(')');
  if (close == std::string_view::npos || close > 40) return std::nullopt;
  std::string_view inner = l.substr(1, close - 1);
  std::string_view first = inner.substr(0, inner.find("//"));
  bool controls = inner.find("//") != std::string_view::npos;
  if (upper(inner) != inner) return std::nullopt;  // (s) is a plural, (c) a copyright sign
  struct Code {
    const char* code;
    const char* detector;
    const char* level;
    int rank;
    Confidence bare;
  };
  static constexpr Code kCodes[] = {
      {"TS", "marking.us", "TOP SECRET", 7, Confidence::kMedium},
      {"S", "marking.us", "SECRET", 6, Confidence::kMedium},
      {"C", "marking.us", "CONFIDENTIAL", 5, Confidence::kLow},
      {"U", "marking.us", "UNCLASSIFIED", 0, Confidence::kLow},
      {"CUI", "marking.us", "CUI", 2, Confidence::kMedium},
      {"CTS", "marking.nato", "COSMIC TOP SECRET", 8, Confidence::kMedium},
      {"NS", "marking.nato", "NATO SECRET", 6, Confidence::kMedium},
      {"NC", "marking.nato", "NATO CONFIDENTIAL", 5, Confidence::kMedium},
      {"NR", "marking.nato", "NATO RESTRICTED", 3, Confidence::kLow},
      {"NU", "marking.nato", "NATO UNCLASSIFIED", 0, Confidence::kLow}};
  for (const Code& c : kCodes) {
    if (first != c.code) continue;
    std::string_view after = l.substr(close + 1);
    // Text follows the mark on the same line; "(C) 2024" is followed by a year.
    if (!controls && (after.empty() || after[0] != ' ' || after.size() < 2 ||
                      !std::isupper(static_cast<unsigned char>(after[1]))))
      return std::nullopt;
    MarkingHit m;
    m.hit.detector = c.detector;
    m.hit.level = c.level;
    m.hit.rank = c.rank;
    if (controls && std::string_view(c.code) == "U") {
      m.hit.rank = 1;  // U//FOUO is controlled although unclassified
    }
    m.hit.confidence = controls && m.hit.rank > 0 ? Confidence::kHigh : c.bare;
    m.hit.from = base + static_cast<std::size_t>(l.data() - line.data());
    m.hit.to = m.hit.from + close + 1;
    m.hit.excerpt = printable(l.substr(0, close + 1));
    return m;
  }
  return std::nullopt;
}

// "Classification: SECRET", "Protective marking: OFFICIAL-SENSITIVE".
std::string_view strip_label(std::string_view line, bool& labelled) {
  static constexpr std::string_view kLabels[] = {"SECURITY CLASSIFICATION",
                                                 "PROTECTIVE MARKING",
                                                 "CLASSIFICATION",
                                                 "CLASSIFIED",
                                                 "MARKING",
                                                 "SENSITIVITY"};
  std::string u = upper(line.substr(0, 40));
  for (auto label : kLabels) {
    if (!std::string_view(u).starts_with(label)) continue;
    std::size_t i = label.size();
    while (i < line.size() && line[i] == ' ') ++i;
    if (i < line.size() && line[i] == ':') {
      labelled = true;
      return trim(line.substr(i + 1));
    }
  }
  labelled = false;
  return line;
}

// Leading "RE:", "FW:", "Fwd:" and brackets on a subject.
std::string_view strip_subject_prefixes(std::string_view s) {
  for (int round = 0; round < 5; ++round) {
    s = trim(s, " \t[(<*");
    std::string u = upper(s.substr(0, 5));
    if (u.starts_with("RE:"))
      s.remove_prefix(3);
    else if (u.starts_with("FW:"))
      s.remove_prefix(3);
    else if (u.starts_with("FWD:"))
      s.remove_prefix(4);
    else
      break;
  }
  return s;
}

}  // namespace

std::string_view resolve_jurisdiction(bool us_evidence, bool uk_evidence) {
  return us_evidence && !uk_evidence ? "marking.us" : "marking.uk";
}

std::optional<MarkingHit> marking_at(std::string_view text, std::size_t pos, bool subject,
                                     std::size_t& line_start) {
  pos = std::min(pos, text.size());
  std::size_t lo = pos > kMaxLine ? pos - kMaxLine : 0;
  std::size_t nl = text.substr(lo, pos - lo).find_last_of("\r\n");
  bool long_line = nl == std::string_view::npos && lo > 0;
  std::size_t start = nl == std::string_view::npos ? lo : lo + nl + 1;
  std::size_t end = text.find_first_of("\r\n", pos);
  if (end == std::string_view::npos) end = text.size();
  if (end - pos > kMaxLine) {
    end = pos + kMaxLine;
    long_line = true;
  }
  line_start = start;
  std::string_view line = text.substr(start, end - start);

  if (auto au = au_sec(line, start)) return au;

  if (!long_line) {
    // Banner, possibly decorated and labelled.
    bool labelled = false;
    std::string_view body = trim(line, " \t*=#_~<>[]|");
    body = strip_label(body, labelled);
    body = trim(body, " \t*=#_~<>[]|");
    if (auto p = parse_level(body)) {
      std::string_view rest = body.substr(p->end);
      if (p->upper_case && rest_is_descriptors(rest, false)) {
        return make(*p, Confidence::kHigh, body, start, end);
      }
      if (labelled && rest_is_descriptors(rest, true)) {
        return make(*p, p->upper_case ? Confidence::kHigh : Confidence::kMedium, body, start, end);
      }
    }
    if (auto portion = portion_mark(line, start)) return portion;
    if (subject && start == 0) {
      std::string_view s = strip_subject_prefixes(line);
      if (auto p = parse_level(s)) {
        std::string_view after = s.substr(p->end);
        bool separated = after.empty() ||
                         std::string_view(":-]|)/,").find(after[0]) != std::string_view::npos ||
                         (after[0] == ' ' && after.size() > 1 &&
                          std::string_view(":-|").find(after[1]) != std::string_view::npos);
        // "TOP SECRET Quick question": an upper-case level opening a subject is a marking,
        // unless the next word is shouted too and is no descriptor ("OFFICIAL RECEIPT").
        bool followed_by_text = false;
        if (!after.empty() && after[0] == ' ') {
          std::string_view next = trim(after);
          next = next.substr(0, next.find(' '));
          bool shouted = !next.empty() && upper(next) == next &&
                         std::any_of(next.begin(), next.end(), [](char ch) {
                           return std::isalpha(static_cast<unsigned char>(ch));
                         });
          followed_by_text = !next.empty() && (!shouted || rest_is_descriptors(next, false));
        }
        if (p->upper_case && (separated || followed_by_text || p->level->rank == 3)) {
          return make(*p, Confidence::kHigh, s.substr(0, p->end), start, start + p->end);
        }
      }
    }
  }

  // Inline: only forms that ordinary prose never produces.
  std::string u = upper(line);
  auto inline_at = [&](std::size_t k) -> std::optional<MarkingHit> {
    std::string_view rest = line.substr(k);
    auto p = parse_level(rest);
    if (!p) return std::nullopt;
    if (k > 0 && is_alnum(line[k - 1])) return std::nullopt;
    std::string_view shown = rest.substr(0, std::min<std::size_t>(rest.size(), p->end + 24));
    if (p->controls && p->upper_case)
      return make(*p, Confidence::kHigh, shown, start + k, start + k + p->end);
    std::string_view name = p->level->level;
    if (name == "OFFICIAL-SENSITIVE" &&
        rest.substr(0, p->end).find('-') != std::string_view::npos) {
      // The hyphenated form exists only as a marking; its case says how deliberately.
      Confidence c = p->upper_case ? Confidence::kHigh : Confidence::kMedium;
      if (rest.substr(0, p->end) == "official-sensitive") c = Confidence::kLow;
      return make(*p, c, shown, start + k, start + k + p->end);
    }
    if (name == "OFFICIAL-SENSITIVE" && p->upper_case)
      return make(*p, Confidence::kHigh, shown, start + k, start + k + p->end);
    if (name == "COSMIC TOP SECRET" && p->upper_case)
      return make(*p, Confidence::kHigh, shown, start + k, start + k + p->end);
    if (std::string_view(p->level->detector) == "marking.nato" && p->upper_case &&
        p->level->rank > 0)
      return make(*p, Confidence::kMedium, shown, start + k, start + k + p->end);
    return std::nullopt;
  };
  std::optional<MarkingHit> best;
  auto consider = [&](std::optional<MarkingHit> m) {
    if (m && (!best || m->hit.confidence > best->hit.confidence ||
              (m->hit.confidence == best->hit.confidence && m->hit.rank > best->hit.rank)))
      best = std::move(m);
  };
  for (std::string_view word : {"OFFICIAL", "COSMIC", "NATO ", "SECRET//", "CONFIDENTIAL//",
                                "UNCLASSIFIED//", "CUI//", "TOP SECRET//"}) {
    std::size_t k = u.find(word);
    int guard = 0;
    while (k != std::string::npos && guard++ < 8) {
      consider(inline_at(k));
      k = u.find(word, k + 1);
    }
  }
  if (!best) {
    std::size_t k = u.find("UK EYES ONLY");
    if (k != std::string::npos && line.substr(k, 12) == "UK EYES ONLY") {
      MarkingHit m;
      m.hit.detector = "marking.uk";
      m.hit.level = "UK EYES ONLY";
      m.hit.rank = 3;
      m.hit.confidence = Confidence::kMedium;
      m.hit.from = start + k;
      m.hit.to = start + k + 12;
      m.hit.excerpt = "UK EYES ONLY";
      best = m;
    }
  }
  return best;
}

bool is_label_header(std::string_view n) {
  return n == "x-protective-marking" || n == "msip_labels" || n == "x-titus-metadata-40" ||
         n == "x-classification" || n == "x-security-classification" || n == "classification" ||
         n == "x-sensitivity-label" || n == "x-protective-marking-policy";
}

std::vector<MarkingHit> label_header(std::string_view n, std::string_view value) {
  std::vector<MarkingHit> out;
  if (!is_label_header(n)) return out;
  value = value.substr(0, 65536);
  auto lenient = [&](std::string_view v) -> std::optional<MarkingHit> {
    v = trim(v, " \t\r\n\"'[]");
    if (auto au = au_sec(v, 0)) return au;
    auto p = parse_level(v);
    if (!p) return std::nullopt;
    std::string_view rest = v.substr(p->end);
    if (!p->controls && !rest_is_descriptors(rest, true)) return std::nullopt;
    MarkingHit m = make(*p, Confidence::kHigh, v, 0, 0);
    m.ambiguous = false;  // a tool wrote it; UK unless it says otherwise (US tools add //)
    return m;
  };
  if (n == "msip_labels") {
    // MSIP_Label_<guid>_Name=Official Sensitive; one per label applied.
    std::string u = upper(value);
    std::size_t k = u.find("_NAME=");
    int guard = 0;
    while (k != std::string::npos && guard++ < 16) {
      std::size_t v0 = k + 6, v1 = value.find(';', v0);
      if (v1 == std::string_view::npos) v1 = value.size();
      std::string_view name = trim(value.substr(v0, std::min<std::size_t>(v1 - v0, 120)));
      if (auto m = lenient(name)) {
        out.push_back(*m);
      } else if (!name.empty()) {
        // An organisation's own label ("Highly Confidential"): a marking all the same.
        MarkingHit m;
        m.hit.detector = "marking.label";
        m.hit.level = upper(name);
        std::string l = m.hit.level;
        bool routine = l == "PUBLIC" || l == "GENERAL" || l == "UNCLASSIFIED" ||
                       l == "NON-BUSINESS" || l == "PERSONAL" || l == "UNRESTRICTED" ||
                       l == "NON BUSINESS" || l == "UNOFFICIAL";
        m.hit.confidence = routine ? Confidence::kLow : Confidence::kMedium;
        m.hit.rank = routine ? 0 : 2;
        m.hit.excerpt = "MSIP label " + printable(name);
        out.push_back(m);
      }
      k = u.find("_NAME=", v1);
    }
    return out;
  }
  std::string decoded;
  if (n == "x-titus-metadata-40") {
    // Base64 of an XML document whose element and attribute values hold the classification.
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned buffer = 0;
    int bits = 0;
    for (char c : value) {
      std::size_t v = kAlphabet.find(c);
      if (v == std::string_view::npos) continue;
      buffer = (buffer << 6) | static_cast<unsigned>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        decoded += static_cast<char>((buffer >> bits) & 0xFF);
      }
    }
    std::string_view xml =
        decoded.find('<') != std::string::npos ? std::string_view(decoded) : value;
    std::size_t i = 0;
    int guard = 0;
    while (i < xml.size() && guard++ < 2000) {
      std::size_t open = xml.find_first_of(">\"", i);
      if (open == std::string_view::npos) break;
      char closer = xml[open] == '>' ? '<' : '"';
      std::size_t close = xml.find(closer, open + 1);
      if (close == std::string_view::npos) break;
      std::string_view v = xml.substr(open + 1, close - open - 1);
      if (!v.empty() && v.size() < 120) {
        if (auto m = lenient(v)) {
          m->hit.excerpt = "x-titus-metadata-40 " + m->hit.excerpt;
          out.push_back(*m);
          break;
        }
      }
      i = closer == '"' ? close + 1 : close;
    }
    return out;
  }
  if (auto m = lenient(value)) {
    out.push_back(*m);
  } else if (auto au = au_sec(value, 0)) {
    out.push_back(*au);
  }
  return out;
}

}  // namespace sendguard::content

namespace sendguard {

int marking_rank(std::string_view level) {
  std::string wanted = content::upper(level);
  for (char& c : wanted) {
    if (c == '_') c = ' ';
  }
  if (wanted == "OFFICIAL:SENSITIVE" || wanted == "OFFICIAL: SENSITIVE") return 3;
  for (const content::Level& l : content::kLevels) {
    if (wanted == l.written) return l.rank;
  }
  return -1;
}

}  // namespace sendguard
