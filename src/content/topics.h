// Topic detectors: sensitive.medical, sensitive.travel-itinerary, sensitive.tax. Weighted
// dictionaries and a few checked patterns, compiled into the scanner's one database.
// Internal to content/. Thread-safe (the term table is built once, then read-only).
//
// A topic word alone says little ("hospital" is in the news every day), so a topic is scored
// by the DISTINCT terms a text holds, each counted once, with weights:
//   2   specific evidence: a diagnosis, a medication, a valid ICD-10 code, a flight number,
//       a booking reference next to "booking"/"PNR", a tax form (W-2, SA100, P60), a UTR;
//   1.5 personal wording: "diagnosed", "prescribed", "departure", "tax return", "HMRC";
//   1   topic words: "patient", "hotel", "tax".
// Tiers: high   = score >= 7 with >= 4 distinct terms, at least two specific ones;
//        medium = score >= 4.5 with >= 3 distinct terms, at least one weight >= 1.5 term;
//        low    = >= 2 distinct terms; a single term is not reported.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "content/content.h"

namespace sendguard::content {

enum class Topic { kMedical, kTravel, kTax };
inline constexpr int kTopicCount = 3;
std::string_view topic_detector(Topic topic);

enum class TermCheck { kNone, kIcd10, kPnr, kUtr };

// How the scanner's database finds a term. Most terms are compiled as written. A few, written
// as they are, slow the whole database down several times over (Hyperscan finds short
// alternations behind a \b, and expressions that are only character classes, with engines
// that run over every byte), so the database looks for something cheaper and the scanner
// rebuilds the exact match from it:
//   kFlightNumber: the database finds a two-character code and the first digit after it;
//                  flight_number_at() re-reads the code list, the boundaries and the digits.
//   kAirportCode:  the database finds the codes as plain literals; word_at() checks the
//                  boundaries.
//   kBookingWord:  the six-character booking reference itself is not in the database; its
//                  booking words are, and the scanner looks for references that start within
//                  40 bytes of each word's start (vouched_booking_references()). So only the
//                  references check_term() accepts are counted, not every six capitals.
//   kPlainWord:    a word or phrase of letters, digits, spaces, hyphens and apostrophes: the
//                  database finds it as a caseless literal of known length, without the \b
//                  around it and without start of match (Hyperscan about 5% faster over prose
//                  than with 209 such words written out); word_at() checks the boundaries.
enum class TermScan { kAsWritten, kFlightNumber, kAirportCode, kBookingWord, kPlainWord };

struct TopicTerm {
  std::string expression;  // Hyperscan expression: exactly what the term matches
  unsigned flags;          // HS_FLAG_*
  Topic topic;
  double weight;
  TermCheck check;
  const char* group;  // what the excerpt says instead of the word: "medication", "flight number"
  TermScan scan = TermScan::kAsWritten;
};

const std::vector<TopicTerm>& topic_terms();

// What the database compiles for a term; one term may need several expressions.
struct TermExpression {
  std::string expression;
  unsigned flags;
  std::size_t length;  // of every match, for literals compiled without start of match; else 0
};
std::vector<TermExpression> database_expressions(const TopicTerm& term);

// The flight number whose first digit ends at `digit_end` (a kFlightNumber match), as the
// exact expression would match it: [from, to) or nullopt.
std::optional<std::pair<std::size_t, std::size_t>> flight_number_at(std::string_view text,
                                                                    std::size_t digit_end);
// True when [from, to) is a whole word (\b on both sides).
bool word_at(std::string_view text, std::size_t from, std::size_t to);

// Booking references (\b[A-Z0-9]{6}\b): the first one that starts at or after `from` and at
// or before `last`, or SIZE_MAX.
std::size_t next_booking_reference(std::string_view text, std::size_t from,
                                   std::size_t last = SIZE_MAX);
// The first booking reference that check_term() accepts after the booking word at
// [word_from, word_to) and at or after `from`, or SIZE_MAX: one that starts within the word's
// span (40 bytes from its start) and is not all digits.
std::size_t booking_reference_after(std::string_view text, std::size_t word_from,
                                    std::size_t word_to, std::size_t from = 0);

// Calls found(at) for every booking reference that the booking word at [word_from, word_to)
// vouches for, in order, from `search_from` on, and moves `search_from` past each one. Given
// the booking words of a text in the order of their end, with one `search_from`, it finds
// every reference that check_term() accepts exactly once: a reference within two words' spans
// that the first word found lies before where the second word's search starts.
template <typename Found>
void vouched_booking_references(std::string_view text, std::size_t word_from, std::size_t word_to,
                                std::size_t& search_from, Found found) {
  for (std::size_t at = booking_reference_after(text, word_from, word_to, search_from);
       at != SIZE_MAX; at = booking_reference_after(text, word_from, word_to, search_from)) {
    found(at);
    search_from = at + 6;
  }
}

// Confirms a term match that needs more than the expression (an ICD-10 chapter range, a
// booking word before a PNR).
bool check_term(const TopicTerm& term, std::string_view text, std::size_t from, std::size_t to);

struct TopicTally {
  double score = 0;
  int distinct = 0;
  int specific = 0;  // weight >= 2
  int personal = 0;  // weight >= 1.5
  int matches = 0;
  std::vector<const char*> groups;  // distinct, in order of first sight
};

// The tier for a tally, or nullopt when it is not worth reporting.
std::optional<Confidence> topic_confidence(const TopicTally& tally);

}  // namespace sendguard::content
