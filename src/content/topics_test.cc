// The scanner's database finds a few topic terms and the context words through cheaper
// stand-ins (topics.h TermScan, detectors.h ContextIndex). These tests hold the stand-ins to
// the exact expressions: on tricky and on generated text, Hyperscan running the exact
// expression must find the same matches.
#include "content/topics.h"

#include <gtest/gtest.h>
#include <hs/hs.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "content/detectors.h"
#include "content/patterns.h"

namespace sendguard::content {
namespace {

using Span = std::pair<std::size_t, std::size_t>;

// A compiled database with its scratch, freed on scope exit.
struct Database {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  Database(const std::vector<std::string>& expressions, const std::vector<unsigned>& flags,
           const std::vector<unsigned>& ids) {
    std::vector<const char*> c;
    for (const auto& e : expressions) c.push_back(e.c_str());
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(c.data(), flags.data(), ids.data(), static_cast<unsigned>(c.size()),
                         HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
      ADD_FAILURE() << (err ? err->message : "compile error");
      hs_free_compile_error(err);
      return;
    }
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) ADD_FAILURE() << "no scratch";
  }
  ~Database() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Every (id, from, to) reported.
  std::vector<std::tuple<unsigned, std::size_t, std::size_t>> scan(std::string_view text) const {
    std::vector<std::tuple<unsigned, std::size_t, std::size_t>> out;
    auto on_match = [](unsigned id, unsigned long long from, unsigned long long to, unsigned,
                       void* ctx) {
      static_cast<decltype(out)*>(ctx)->emplace_back(id, from, to);
      return 0;
    };
    EXPECT_EQ(
        hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_match, &out),
        HS_SUCCESS);
    return out;
  }
};

const TopicTerm& term_with(TermScan scan) {
  for (const TopicTerm& t : topic_terms())
    if (t.scan == scan) return t;
  ADD_FAILURE() << "no such term";
  return topic_terms().front();
}

// The exact expression of a term, and the stand-ins the scanner's database compiles for it.
struct TermDatabases {
  Database exact;
  Database stand_in;
  std::vector<std::size_t> lengths;  // of each stand-in's matches, for literals

  explicit TermDatabases(const TopicTerm& term)
      : exact({term.expression}, {term.flags | HS_FLAG_SOM_LEFTMOST}, {0}),
        stand_in(stand_in_expressions(term), stand_in_flags(term), stand_in_ids(term)) {
    for (const TermExpression& e : database_expressions(term)) lengths.push_back(e.length);
  }

  static std::vector<std::string> stand_in_expressions(const TopicTerm& term) {
    std::vector<std::string> out;
    for (const TermExpression& e : database_expressions(term)) out.push_back(e.expression);
    return out;
  }
  static std::vector<unsigned> stand_in_flags(const TopicTerm& term) {
    std::vector<unsigned> out;
    for (const TermExpression& e : database_expressions(term)) out.push_back(e.flags);
    return out;
  }
  static std::vector<unsigned> stand_in_ids(const TopicTerm& term) {
    std::vector<unsigned> out(database_expressions(term).size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<unsigned>(i);
    return out;
  }
};

// What the exact expression matches (start of match, end).
std::set<Span> exact_matches(const TermDatabases& dbs, std::string_view text) {
  std::set<Span> out;
  for (auto [id, from, to] : dbs.exact.scan(text)) out.emplace(from, to);
  return out;
}

// What the stand-ins and the scanner's confirmation make of the same text.
std::set<Span> stand_in_matches(const TopicTerm& term, const TermDatabases& dbs,
                                std::string_view text) {
  std::set<Span> out;
  for (auto [id, from, to] : dbs.stand_in.scan(text)) {
    if (term.scan == TermScan::kFlightNumber) {
      if (auto m = flight_number_at(text, to)) out.insert(*m);
    } else if (term.scan == TermScan::kAirportCode || term.scan == TermScan::kPlainWord) {
      std::size_t length = dbs.lengths[id];
      if (word_at(text, to - length, to)) out.emplace(to - length, to);
    }
  }
  return out;
}

std::vector<std::string> tricky_texts() {
  return {
      "flight BA 117 departs LHR",
      "BA117 BA 1 BA12345 BA1234 xBA 12 BA 12x BA_12 BA\t12 BA\n12 BA  12",
      "EZY1234 EZY 12 ZY12 XEZY12 EZ12 ezy12 Ba12",
      "B612 B6 12 4U12 A4U2 4U 9876 U2 1 W9 0000 XB612",
      "BA 12-BA 13.BA14,BA15;(BA16) BA17/BA18 BA19é BA20",
      "LHR LHRx xLHR LHR1 _LHR LHR_ (JFK) JFK-LAX lhr LHR.",
      "SFOSFO SFO SFO",
      "BA1",
      "BA",
      "1",
      "",
      "\xC3\xA9LHR \xC3\xA9"
      "BA 12",
  };
}

// Deterministic text dense with codes, capitals, digits and separators.
std::vector<std::string> generated_texts() {
  static const char* kPieces[] = {"BA",
                                  "EZY",
                                  "ZY",
                                  "B6",
                                  "4U",
                                  "U2",
                                  "LHR",
                                  "JFK",
                                  "SFO",
                                  "AA",
                                  "TO",
                                  "OK",
                                  "1",
                                  "12",
                                  "123",
                                  "1234",
                                  "12345",
                                  "A",
                                  "Q",
                                  "QX7RT2",
                                  "ABCDEF",
                                  "123456",
                                  "x",
                                  "_",
                                  "booking",
                                  "Ref:",
                                  "PNR",
                                  "reference",
                                  "record locator"};
  static const char* kSeparators[] = {"",  "",  " ", "  ",       "\t", "\n", "-",
                                      ".", "_", "x", "\xC3\xA9", "\v", "/",  ":"};
  std::mt19937 rng(20261128);
  std::vector<std::string> out;
  for (int t = 0; t < 300; ++t) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      s += kPieces[rng() % std::size(kPieces)];
      s += kSeparators[rng() % std::size(kSeparators)];
    }
    out.push_back(s);
  }
  return out;
}

TEST(ContentTermScan, FlightNumbersAsTheExactExpression) {
  const TopicTerm& term = term_with(TermScan::kFlightNumber);
  TermDatabases dbs(term);
  for (const auto& texts : {tricky_texts(), generated_texts()})
    for (const std::string& text : texts)
      EXPECT_EQ(stand_in_matches(term, dbs, text), exact_matches(dbs, text)) << text;
}

TEST(ContentTermScan, AirportCodesAsTheExactExpression) {
  const TopicTerm& term = term_with(TermScan::kAirportCode);
  TermDatabases dbs(term);
  for (const auto& texts : {tricky_texts(), generated_texts()})
    for (const std::string& text : texts)
      EXPECT_EQ(stand_in_matches(term, dbs, text), exact_matches(dbs, text)) << text;
}

// Texts of the plain topic words in every case, inside other words, beside digits, underscores,
// hyphens, apostrophes and UTF-8 letters.
std::vector<std::string> plain_word_texts() {
  std::vector<std::string> words;
  for (const TopicTerm& t : topic_terms())
    if (t.scan == TermScan::kPlainWord) words.push_back(t.expression.substr(2, t.expression.size() - 4));
  static const char* kAround[] = {"", " ", "  ", "x", "_", "1", "-", "'", ".", "\n", "\xC3\xA9", "s"};
  std::mt19937 rng(20261128);
  std::vector<std::string> out;
  for (int t = 0; t < 200; ++t) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      std::string w = words[rng() % words.size()];
      if (rng() % 3 == 0)
        for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (rng() % 4 == 0 && !w.empty()) w[0] = static_cast<char>(std::toupper(w[0]));
      s += kAround[rng() % std::size(kAround)];
      s += w;
      s += kAround[rng() % std::size(kAround)];
    }
    out.push_back(s);
  }
  return out;
}

TEST(ContentTermScan, PlainWordsAsTheExactExpression) {
  const std::vector<std::string> texts = plain_word_texts();
  std::size_t plain = 0, matched = 0;
  for (const TopicTerm& term : topic_terms()) {
    if (term.scan != TermScan::kPlainWord) continue;
    ++plain;
    ASSERT_EQ(database_expressions(term).front().flags & HS_FLAG_SOM_LEFTMOST, 0u);
    TermDatabases dbs(term);
    for (const std::string& text : texts) {
      std::set<Span> exact = exact_matches(dbs, text);
      matched += exact.size();
      EXPECT_EQ(stand_in_matches(term, dbs, text), exact) << term.expression << " in " << text;
    }
  }
  // Most topic words are plain, and the texts hold them as whole words and as parts of others.
  EXPECT_GT(plain, 150u);
  EXPECT_GT(matched, 500u);
}

TEST(ContentTermScan, BookingReferencesAsTheExactExpression) {
  const TopicTerm& term = term_with(TermScan::kBookingWord);
  TermDatabases dbs(term);
  std::vector<std::string> texts = generated_texts();
  for (const std::string& t : tricky_texts()) texts.push_back(t);
  texts.push_back("Booking reference QX7T2L. Other ABCDEF and 123456 and A1B2C3D and A1B2C");
  texts.push_back("QX7T2L booking 123456 A1B2C3 " + std::string(40, ' ') + "ZZZZZZ");
  texts.push_back(std::string(100, 'A') + " ref: " + std::string(31, 'x') + " AB12CD");
  texts.push_back("PNRs: QX7T2L, ZK4P9W and 123456, ZZ99ZZ" + std::string(30, '.') + " AB12CD");
  texts.push_back("BOOKING NUMBER QX7T2L; record locator 8HJK2L booking reference 8HJK2L X1Y2Z3");
  for (const std::string& text : texts) {
    // Every reference, in order.
    std::vector<std::size_t> found;
    for (std::size_t at = next_booking_reference(text, 0); at != SIZE_MAX;
         at = next_booking_reference(text, at + 6))
      found.push_back(at);
    std::vector<std::size_t> expected;
    for (auto [from, to] : exact_matches(dbs, text)) expected.push_back(from);
    EXPECT_EQ(found, expected) << text;

    // Those check_term() accepts, each found once from the booking words as the scanner
    // does: in the order the database reports the words.
    std::vector<std::size_t> vouched_expected;
    for (std::size_t at : expected)
      if (check_term(term, text, at, at + 6)) vouched_expected.push_back(at);
    std::vector<std::size_t> vouched;
    std::size_t search_from = 0;
    for (auto [id, from, to] : dbs.stand_in.scan(text))
      vouched_booking_references(text, to - dbs.lengths[id], to, search_from,
                                 [&](std::size_t at) { vouched.push_back(at); });
    EXPECT_EQ(vouched, vouched_expected) << text;
  }
}

TEST(ContentTermScan, BookingReferencesInLongText) {
  // The sixteen-byte steps: references at every offset near block edges.
  for (std::size_t pad = 0; pad < 40; ++pad) {
    std::string text = std::string(pad, 'a') + " QX7T2L " + std::string(50, 'b') + " 9X7T2L";
    std::vector<std::size_t> found;
    for (std::size_t at = next_booking_reference(text, 0); at != SIZE_MAX;
         at = next_booking_reference(text, at + 6))
      found.push_back(at);
    EXPECT_EQ(found, (std::vector<std::size_t>{pad + 1, pad + 59})) << pad;
    EXPECT_EQ(next_booking_reference(text, pad + 2), pad + 59) << pad;
    // A last start: references that start after it are not looked for.
    EXPECT_EQ(next_booking_reference(text, 0, pad + 1), pad + 1) << pad;
    EXPECT_EQ(next_booking_reference(text, 0, pad), SIZE_MAX) << pad;
    EXPECT_EQ(next_booking_reference(text, pad + 2, pad + 58), SIZE_MAX) << pad;
    EXPECT_EQ(next_booking_reference(text, pad + 2, pad + 59), pad + 59) << pad;
  }
}

// ContextIndex against a reference: every context word of the whole text, then the distance
// rule applied by hand.
TEST(ContentContextIndex, WindowsAndIndexAgreeWithTheWholeText) {
  std::vector<std::string> expressions;
  std::vector<unsigned> flags, ids;
  for (const PatternSpec& p : context_patterns()) {
    expressions.emplace_back(p.expression);
    flags.push_back(p.flags);
    ids.push_back(static_cast<unsigned>(p.arg));
  }
  Database db(expressions, flags, ids);

  static const char* kWords[] = {"card",    "cardholder", "credit card",
                                 "bank",    "banking",    "nhs",
                                 "patient", "ssn",        "social security",
                                 "hmrc",    "iban",       "visa",
                                 "meeting", "report",     "tin",
                                 "aws",     "x",          "12",
                                 "-"};
  std::mt19937 rng(7);
  for (int t = 0; t < 40; ++t) {
    std::string text;
    int n = 20 + static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) {
      text += kWords[rng() % std::size(kWords)];
      text += rng() % 5 ? " " : "";
    }
    auto all = db.scan(text);
    const std::size_t window = 1 + rng() % 200;
    ContextIndex shared(text, db.db, db.scratch);  // turns into a whole-text index
    for (int q = 0; q < 60; ++q) {
      std::size_t from = rng() % text.size(), to = std::min(text.size(), from + rng() % 20);
      int category = static_cast<int>(rng() % kCtxCount);
      bool expected = false;
      for (auto [id, wf, wt] : all) {
        std::size_t distance = wt <= from ? from - wt : wf >= to ? wf - to : 0;
        if (static_cast<int>(id) == category && distance <= window) expected = true;
      }
      ContextIndex fresh(text, db.db, db.scratch);  // always a window
      EXPECT_EQ(fresh.near(category, from, to, window), expected) << text << " @" << from;
      EXPECT_EQ(shared.near(category, from, to, window), expected) << text << " @" << from;
    }
  }
}

}  // namespace
}  // namespace sendguard::content
