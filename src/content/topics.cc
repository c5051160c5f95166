#include "content/topics.h"

#include <hs/hs.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>

#include "content/validators.h"

namespace sendguard::content {
namespace {

constexpr unsigned kWord = HS_FLAG_SOM_LEFTMOST | HS_FLAG_CASELESS;
constexpr unsigned kExact = HS_FLAG_SOM_LEFTMOST;

void words(std::vector<TopicTerm>& out, Topic topic, double weight, const char* group,
           std::initializer_list<const char*> list, unsigned flags = kWord) {
  for (const char* w : list)
    out.push_back({std::string("\\b") + w + "\\b", flags, topic, weight, TermCheck::kNone, group});
}

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
  t.push_back(
      {R"(\b(?:BA|AA|UA|DL|LH|AF|KL|EK|QR|EY|SQ|QF|VS|U2|FR|IB|AY|SK|LX|OS|TK|AC|NZ|CX|JL|NH|KE|OZ|MU|CZ|AI|ET|WN|B6|NK|F9|VY|W6|EI|TP|SN|LO|AZ|A3|EZY|WS|G4|HA|MS|SV|RJ|LY|KQ|VA|JQ|TG|MH|GA|PR|VN|BR|CI|LS|BE|DY|D8|W9|EW|4U|PC|XQ|UX|SU|KM|OK|RO|FI|WF|LG|BT|HV|TO)\s?\d{1,4}\b)",
       kExact, kTravel, 2, TermCheck::kNone, "flight number"});
  t.push_back({R"(\b[A-Z0-9]{6}\b)", kExact, kTravel, 2, TermCheck::kPnr, "booking reference"});
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
  t.push_back(
      {R"(\b(?:LHR|LGW|STN|LTN|MAN|EDI|GLA|BHX|BRS|JFK|LAX|SFO|ORD|ATL|DFW|DEN|SEA|IAD|BOS|MIA|CDG|ORY|AMS|FRA|MUC|MAD|BCN|FCO|ZRH|GVA|VIE|CPH|ARN|OSL|HEL|DUB|LIS|IST|DXB|DOH|AUH|SIN|HKG|NRT|HND|ICN|PEK|PVG|SYD|MEL|YYZ|YVR|DEL|BOM)\b)",
       kExact, kTravel, 1.5, TermCheck::kNone, "airport code"});
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

bool near_before(std::string_view text, std::size_t from, std::size_t span,
                 std::initializer_list<std::string_view> needles) {
  std::size_t lo = from > span ? from - span : 0;
  std::string before(text.substr(lo, from - lo));
  for (char& c : before) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto n : needles)
    if (before.find(n) != std::string::npos) return true;
  return false;
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
      return near_before(text, from, 40,
                         {"booking", "reference", "ref:", "ref.", "pnr", "confirmation",
                          "record locator", "reservation code", "booking code"});
    case TermCheck::kUtr:
      return near_before(text, from, 60, {"utr", "taxpayer reference", "tax reference"});
  }
  return false;
}

std::optional<Confidence> topic_confidence(const TopicTally& t) {
  if (t.score >= 7 && t.distinct >= 4 && t.specific >= 2) return Confidence::kHigh;
  if (t.score >= 4.5 && t.distinct >= 3 && t.personal >= 1) return Confidence::kMedium;
  if (t.distinct >= 2) return Confidence::kLow;
  return std::nullopt;
}

}  // namespace sendguard::content
