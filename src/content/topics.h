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

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content/content.h"

namespace sendguard::content {

enum class Topic { kMedical, kTravel, kTax };
inline constexpr int kTopicCount = 3;
std::string_view topic_detector(Topic topic);

enum class TermCheck { kNone, kIcd10, kPnr, kUtr };

struct TopicTerm {
  std::string expression;  // Hyperscan expression
  unsigned flags;          // HS_FLAG_*
  Topic topic;
  double weight;
  TermCheck check;
  const char* group;  // what the excerpt says instead of the word: "medication", "flight number"
};

const std::vector<TopicTerm>& topic_terms();

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
