#include "content/topics.h"

#include <hs/hs.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <bitset>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <iterator>

#include "content/validators.h"

namespace sendguard::content {
namespace {

constexpr unsigned kWord = HS_FLAG_SOM_LEFTMOST | HS_FLAG_CASELESS;
constexpr unsigned kExact = HS_FLAG_SOM_LEFTMOST;

// True for a word or phrase that is its own literal: letters, digits, spaces, hyphens and
// apostrophes, starting and ending with a letter or digit (so that \b around it means what
// word_at() checks).
bool plain_word(std::string_view w) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (w.empty() || !alnum(w.front()) || !alnum(w.back())) return false;
  return std::all_of(w.begin(), w.end(),
                     [&](char c) { return alnum(c) || c == ' ' || c == '-' || c == '\''; });
}

void words(std::vector<TopicTerm>& out, Topic topic, double weight, const char* group,
           std::initializer_list<const char*> list, unsigned flags = kWord) {
  for (const char* w : list) {
    TermScan scan = flags == kWord && plain_word(w) ? TermScan::kPlainWord : TermScan::kAsWritten;
    out.push_back(
        {std::string("\\b") + w + "\\b", flags, topic, weight, TermCheck::kNone, group, scan});
  }
}

// IATA codes of the airlines and airports most mail mentions.
constexpr const char* kAirlineCodes[] = {
    "BA", "AA", "UA",  "DL", "LH", "AF", "KL", "EK", "QR", "EY", "SQ", "QF", "VS", "U2",
    "FR", "IB", "AY",  "SK", "LX", "OS", "TK", "AC", "NZ", "CX", "JL", "NH", "KE", "OZ",
    "MU", "CZ", "AI",  "ET", "WN", "B6", "NK", "F9", "VY", "W6", "EI", "TP", "SN", "LO",
    "AZ", "A3", "EZY", "WS", "G4", "HA", "MS", "SV", "RJ", "LY", "KQ", "VA", "JQ", "TG",
    "MH", "GA", "PR",  "VN", "BR", "CI", "LS", "BE", "DY", "D8", "W9", "EW", "4U", "PC",
    "XQ", "UX", "SU",  "KM", "OK", "RO", "FI", "WF", "LG", "BT", "HV", "TO"};
constexpr const char* kAirportCodes[] = {
    "LHR", "LGW", "STN", "LTN", "MAN", "EDI", "GLA", "BHX", "BRS", "JFK", "LAX",
    "SFO", "ORD", "ATL", "DFW", "DEN", "SEA", "IAD", "BOS", "MIA", "CDG", "ORY",
    "AMS", "FRA", "MUC", "MAD", "BCN", "FCO", "ZRH", "GVA", "VIE", "CPH", "ARN",
    "OSL", "HEL", "DUB", "LIS", "IST", "DXB", "DOH", "AUH", "SIN", "HKG", "NRT",
    "HND", "ICN", "PEK", "PVG", "SYD", "MEL", "YYZ", "YVR", "DEL", "BOM"};
// Words that make six capitals and digits a booking reference when they come first.
constexpr std::string_view kBookingWords[] = {
    "booking",        "reference",        "ref:",        "ref.", "pnr", "confirmation",
    "record locator", "reservation code", "booking code"};
constexpr std::size_t kBookingWordSpan = 40;  // bytes before the reference

// "(?:A|B|C)" with `before` and `after` around it.
template <std::size_t N>
std::string alternation(const char* before, const char* const (&codes)[N], const char* after) {
  std::string out = before;
  out += "(?:";
  for (std::size_t i = 0; i < N; ++i) {
    if (i) out += '|';
    out += codes[i];
  }
  out += ')';
  out += after;
  return out;
}

// \w as Hyperscan reads it outside UTF-8 mode (is_word_byte, without the call into libc: the
// booking reference search asks this of many bytes).
bool is_word(char c) {
  char lower = static_cast<char>(c | 0x20);
  return (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
// Hyperscan's \s.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::vector<TopicTerm> build_terms() {
  std::vector<TopicTerm> t;
  using enum Topic;
  // Medical.
  words(t, kMedical, 2, "diagnosis",
        {"diabetes",
         "diabetic",
         "cancer",
         "carcinoma",
         "tumou?r",
         "leuka?emia",
         "lymphoma",
         "hiv",
         "hepatitis [abc]",
         "schizophrenia",
         "bipolar disorder",
         "ptsd",
         "dementia",
         "alzheimer'?s",
         "epilepsy",
         "multiple sclerosis",
         "parkinson'?s",
         "asthma",
         "copd",
         "hypertension",
         "chemotherapy",
         "radiotherapy",
         "dialysis",
         "hba1c",
         "miscarriage",
         "chlamydia",
         "syphilis",
         "tuberculosis",
         "anorexia",
         "bulimia",
         "self-harm",
         "suicidal",
         "myocardial infarction",
         "atrial fibrillation",
         "crohn'?s",
         "coeliac",
         "celiac",
         "cirrhosis",
         "psychosis",
         "major depressive disorder",
         "anxiety disorder",
         "adhd",
         "autism",
         "heart failure",
         "kidney disease",
         "melanoma",
         "sickle cell",
         "type [12] diabetes",
         "clinical depression",
         "eating disorder"});
  words(t, kMedical, 2, "medication",
        {"metformin",     "insulin",      "sertraline",    "fluoxetine",        "citalopram",
         "escitalopram",  "mirtazapine",  "amitriptyline", "lithium carbonate", "quetiapine",
         "olanzapine",    "risperidone",  "aripiprazole",  "methotrexate",      "warfarin",
         "apixaban",      "rivaroxaban",  "atorvastatin",  "simvastatin",       "amlodipine",
         "ramipril",      "lisinopril",   "bisoprolol",    "omeprazole",        "lansoprazole",
         "levothyroxine", "prednisolone", "prednisone",    "morphine",          "oxycodone",
         "codeine",       "tramadol",     "diazepam",      "lorazepam",         "gabapentin",
         "pregabalin",    "salbutamol",   "methadone",     "buprenorphine",     "antiretrovirals?",
         "tamoxifen",     "adalimumab",   "levetiracetam", "sodium valproate",  "lamotrigine",
         "carbamazepine", "semaglutide",  "ozempic",       "antidepressants?",  "fentanyl",
         "clopidogrel",   "venlafaxine"});
  t.push_back({R"(\b[A-TV-Z][0-9]{2}\.[0-9A-Z]{1,4}\b)", kExact, kMedical, 2, TermCheck::kIcd10,
               "ICD-10 code"});
  t.push_back({R"(\b\d{1,4} ?(?:mg|mcg|ml)\b)", kWord, kMedical, 1.5, TermCheck::kNone, "dosage"});
  words(t, kMedical, 1.5, "clinical wording",
        {"diagnosed",     "diagnosis",         "prognosis",       "prescribed",
         "prescription",  "symptoms",          "medical history", "medical records?",
         "test results",  "blood tests?",      "biopsy",          "mri scan",
         "ct scan",       "discharge summary", "referral",        "treatment plan",
         "dosage",        "outpatient",        "inpatient",       "admitted to",
         "sick note",     "fit note",          "nhs number",      "date of birth",
         "clinic letter", "consultant",        "twice daily",     "once daily"});
  words(t, kMedical, 1, "health word",
        {"patient", "hospital", "gp", "doctor", "nurse", "clinic", "medication", "treatment",
         "surgery", "health", "nhs", "medical", "therapy", "sick leave", "pharmacy", "dob"});
  // Travel.
  t.push_back({alternation("\\b", kAirlineCodes, "\\s?\\d{1,4}\\b"), kExact, kTravel, 2,
               TermCheck::kNone, "flight number", TermScan::kFlightNumber});
  t.push_back({R"(\b[A-Z0-9]{6}\b)", kExact, kTravel, 2, TermCheck::kPnr, "booking reference",
               TermScan::kBookingWord});
  words(t, kTravel, 2, "travel document",
        {"boarding pass", "e-ticket", "eticket", "itinerary", "passport number",
         "booking confirmation", "flight confirmation", "record locator", "ticket number"});
  words(t, kTravel, 1.5, "journey",
        {"departure",
         "departs",
         "departing",
         "arrival",
         "arrives",
         "arriving",
         "check-in",
         "terminal [0-9A-Z]",
         "gate [A-Z]?[0-9]{1,3}",
         "seat [0-9]{1,2}[A-K]",
         "baggage",
         "layover",
         "connecting flight",
         "return flight",
         "outbound",
         "inbound flight",
         "check-out",
         "hotel reservation",
         "room reservation",
         "frequent flyer"});
  words(t, kTravel, 1, "travel word",
        {"flight", "flights", "hotel", "airport", "airline", "travel", "trip", "reservation",
         "booking", "passport", "car hire", "rental car", "accommodation", "nights", "return"});
  t.push_back({alternation("\\b", kAirportCodes, "\\b"), kExact, kTravel, 1.5, TermCheck::kNone,
               "airport code", TermScan::kAirportCode});
  // Tax.
  t.push_back({R"(\bW-2\b)", kExact, kTax, 2, TermCheck::kNone, "tax form"});
  t.push_back({R"(\b(?:Form\s+1099|1099-(?:MISC|NEC|INT|DIV|B|R|K|G|S|SA|C))\b)", kExact, kTax, 2,
               TermCheck::kNone, "tax form"});
  t.push_back({R"(\b(?:Form\s+1040|1040-?(?:SR|NR|X|ES))\b)", kExact, kTax, 2, TermCheck::kNone,
               "tax form"});
  t.push_back({R"(\b(?:SA100|SA102|SA103|SA105|SA108|SA302|P60|P45|P11D|CT600|W-4|W-9|1040)\b)",
               kExact, kTax, 2, TermCheck::kNone, "tax form"});
  t.push_back({R"(\b\d{5} ?\d{5}\b)", kExact, kTax, 2, TermCheck::kUtr, "UTR"});
  words(t, kTax, 2, "tax filing",
        {"tax return", "self assessment", "self-assessment", "unique taxpayer reference",
         "adjusted gross income", "schedule c", "employer identification number"});
  words(t, kTax, 1.5, "tax wording",
        {"hmrc", "irs", "tax code", "tax refund", "tax year", "taxable income", "income tax",
         "national insurance contributions", "tax owed", "tax bill", "capital gains", "withholding",
         "payslip", "p11d benefits"});
  words(t, kTax, 1, "tax word",
        {"tax", "taxes", "taxpayer", "deductions?", "refund", "accountant", "payroll", "salary",
         "earnings", "pension", "dividends?", "vat", "allowance", "filing"});
  return t;
}

template <typename Needles>
bool near_before(std::string_view text, std::size_t from, std::size_t span,
                 const Needles& needles) {
  std::size_t lo = from > span ? from - span : 0;
  std::string before(text.substr(lo, from - lo));
  for (char& c : before) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view n : needles)
    if (before.find(n) != std::string::npos) return true;
  return false;
}

// One bit per byte of the 16 at `p`: set for a capital or a digit.
std::uint32_t upper_or_digit_mask(const char* p) {
#if defined(__SSE2__)
  __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // c - 'A' < 26 (and c - '0' < 10) as unsigned, with signed compares shifted by 128.
  __m128i upper = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(128 - 'A'))),
                                 _mm_set1_epi8(static_cast<char>(-128 + 26)));
  __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(128 - '0'))),
                                 _mm_set1_epi8(static_cast<char>(-128 + 10)));
  return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(upper, digit)));
#else
  std::uint32_t mask = 0;
  for (unsigned i = 0; i < 16; ++i)
    mask |= static_cast<std::uint32_t>(is_upper_or_digit(p[i])) << i;
  return mask;
#endif
}

// Asked for every capital-and-digit pair in the text, so tables rather than a search.
bool flight_code(std::string_view code) {
  struct Codes {
    std::bitset<1 << 16> two;
    std::vector<std::string_view> three;
  };
  static const Codes codes = [] {
    Codes c;
    for (std::string_view code : kAirlineCodes) {
      if (code.size() == 2)
        c.two.set(static_cast<unsigned char>(code[0]) << 8 | static_cast<unsigned char>(code[1]));
      else
        c.three.push_back(code);
    }
    return c;
  }();
  if (code.size() == 2)
    return codes.two.test(static_cast<unsigned char>(code[0]) << 8 |
                          static_cast<unsigned char>(code[1]));
  return std::find(codes.three.begin(), codes.three.end(), code) != codes.three.end();
}

}  // namespace

std::string_view topic_detector(Topic topic) {
  switch (topic) {
    case Topic::kMedical:
      return "sensitive.medical";
    case Topic::kTravel:
      return "sensitive.travel-itinerary";
    case Topic::kTax:
      return "sensitive.tax";
  }
  return "sensitive.unknown";
}

const std::vector<TopicTerm>& topic_terms() {
  static const std::vector<TopicTerm> terms = build_terms();
  return terms;
}

bool check_term(const TopicTerm& term, std::string_view text, std::size_t from, std::size_t to) {
  std::string_view m = text.substr(from, to - from);
  switch (term.check) {
    case TermCheck::kNone:
      return true;
    case TermCheck::kIcd10:
      return icd10_valid(m);
    case TermCheck::kPnr:
      // Six upper-case characters are everywhere; beside "booking"/"PNR" they are a booking.
      if (std::all_of(m.begin(), m.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
      return near_before(text, from, kBookingWordSpan, kBookingWords);
    case TermCheck::kUtr:
      return near_before(
          text, from, 60,
          std::initializer_list<std::string_view>{"utr", "taxpayer reference", "tax reference"});
  }
  return false;
}

std::vector<TermExpression> database_expressions(const TopicTerm& term) {
  switch (term.scan) {
    case TermScan::kAsWritten:
      break;
    case TermScan::kFlightNumber:
      // Every airline code is two characters with a letter among them, or EZY (whose ZY
      // this finds too).
      return {{R"((?:[A-Z][A-Z0-9]|[0-9][A-Z])\s?\d)", 0, 0}};
    case TermScan::kAirportCode:
      return {{alternation("", kAirportCodes, ""), 0, 3}};
    case TermScan::kPlainWord: {
      // The expression is \b<word>\b; the word holds nothing a pattern would read otherwise
      // but the apostrophe and the hyphen, which are literal outside a class.
      std::string word = term.expression.substr(2, term.expression.size() - 4);
      return {{word, HS_FLAG_CASELESS, word.size()}};
    }
    case TermScan::kBookingWord: {
      std::vector<TermExpression> out;
      for (std::string_view w : kBookingWords) {
        std::string e;
        for (char c : w) {
          if (std::isalnum(static_cast<unsigned char>(c))) {
            e += c;
          } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
            e += buf;
          }
        }
        out.push_back({e, HS_FLAG_CASELESS, w.size()});
      }
      return out;
    }
  }
  return {{term.expression, term.flags, 0}};
}

std::optional<std::pair<std::size_t, std::size_t>> flight_number_at(std::string_view text,
                                                                    std::size_t digit_end) {
  if (digit_end < 3 || digit_end > text.size()) return std::nullopt;
  std::size_t digits = digit_end - 1;
  std::size_t code_end = is_space(text[digits - 1]) ? digits - 1 : digits;
  if (code_end < 2) return std::nullopt;
  std::size_t from = code_end - 2;
  auto boundary_before = [&](std::size_t i) { return i == 0 || !is_word(text[i - 1]); };
  if (!(flight_code(text.substr(from, 2)) && boundary_before(from))) {
    if (from == 0 || !flight_code(text.substr(from - 1, 3)) || !boundary_before(from - 1))
      return std::nullopt;
    --from;
  }
  std::size_t to = digits;
  while (to < text.size() && to - digits < 5 && text[to] >= '0' && text[to] <= '9') ++to;
  if (to - digits > 4 || (to < text.size() && is_word(text[to]))) return std::nullopt;
  return std::make_pair(from, to);
}

bool word_at(std::string_view text, std::size_t from, std::size_t to) {
  return (from == 0 || !is_word(text[from - 1])) && (to >= text.size() || !is_word(text[to]));
}

std::size_t next_booking_reference(std::string_view text, std::size_t from, std::size_t last) {
  auto reference_at = [&](std::size_t i) {
    if (i < from || i + 6 > text.size() || (i > 0 && is_word(text[i - 1]))) return false;
    for (std::size_t k = i; k < i + 6; ++k)
      if (!is_upper_or_digit(text[k])) return false;
    return i + 6 == text.size() || !is_word(text[i + 6]);
  };
  // Sixteen bytes at a time, and only where six capitals or digits follow one another: prose
  // has a capital now and then, almost never six in a row.
  std::size_t i = from;
  if (i + 32 <= text.size()) {
    std::uint32_t next = upper_or_digit_mask(text.data() + i);
    for (; i + 32 <= text.size() && i <= last; i += 16) {
      std::uint32_t mask = next;
      next = upper_or_digit_mask(text.data() + i + 16);
      std::uint32_t both = mask | next << 16;
      std::uint32_t runs = both & both >> 1 & both >> 2 & both >> 3 & both >> 4 & both >> 5;
      for (runs &= 0xffff; runs != 0; runs &= runs - 1) {
        std::size_t at = i + static_cast<std::size_t>(std::countr_zero(runs));
        if (at > last) return SIZE_MAX;
        if (reference_at(at)) return at;
      }
    }
  }
  for (; i + 6 <= text.size() && i <= last; ++i)
    if (reference_at(i)) return i;
  return SIZE_MAX;
}

std::size_t booking_reference_after(std::string_view text, std::size_t word_from,
                                    std::size_t word_to, std::size_t from) {
  // Only references that start within the span are asked for: a booking word with none
  // after it must not send the search on to the next reference, wherever that is.
  const std::size_t last = word_from + kBookingWordSpan;
  for (std::size_t at = next_booking_reference(text, std::max(word_to, from), last);
       at != SIZE_MAX;
       at = next_booking_reference(text, at + 6, last)) {
    std::string_view ref = text.substr(at, 6);
    if (!std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return at;
  }
  return SIZE_MAX;
}

std::optional<Confidence> topic_confidence(const TopicTally& t) {
  if (t.score >= 7 && t.distinct >= 4 && t.specific >= 2) return Confidence::kHigh;
  if (t.score >= 4.5 && t.distinct >= 3 && t.personal >= 1) return Confidence::kMedium;
  if (t.distinct >= 2) return Confidence::kLow;
  return std::nullopt;
}

}  // namespace sendguard::content
