#include "investigate/summary.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace sendguard::investigate_internal {
namespace {

std::string lower_ascii(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Distinct messages, recipients and lookalike domains of one group (a domain, a sender).
struct Tally {
  std::string shown;  // the group's name as first written
  std::set<std::string> messages, recipients, lookalikes, sensitive_messages;

  void add(const MisdirectedMessage& m, const std::string& key, const std::string& name) {
    if (shown.empty()) shown = name;
    messages.insert(key);
    recipients.insert(lower_ascii(m.recipient));
    lookalikes.insert(m.domain);
    if (is_sensitive(m)) sensitive_messages.insert(key);
  }
};

std::vector<GroupSummary> ranked(const std::map<std::string, Tally>& tallies) {
  std::vector<GroupSummary> out;
  for (const auto& [key, tally] : tallies) {
    GroupSummary summary;
    summary.name = tally.shown;
    summary.lookalikes.assign(tally.lookalikes.begin(), tally.lookalikes.end());
    summary.messages = tally.messages.size();
    summary.recipients = tally.recipients.size();
    summary.sensitive_messages = tally.sensitive_messages.size();
    out.push_back(std::move(summary));
  }
  // Most messages first; ties in the order of the (lower-cased) names, so that the report is
  // the same on every run.
  std::stable_sort(out.begin(), out.end(), [](const GroupSummary& a, const GroupSummary& b) {
    return a.messages > b.messages;
  });
  return out;
}

}  // namespace

std::string message_key(const MisdirectedMessage& m) {
  if (!m.message_id.empty()) return "id:" + m.message_id;
  if (!m.queue_id.empty()) return "queue:" + m.queue_id + "|" + m.sender;
  return "time:" + std::to_string(m.time.time_since_epoch().count()) + "|" + m.sender;
}

InvestigationSummary summarize(const Investigation& investigation) {
  InvestigationSummary summary;
  std::set<std::string> messages, recipients, senders, sensitive, uninspected;
  std::map<std::string, Tally> by_intended, by_sender;
  for (const MisdirectedMessage& m : investigation.misdirected) {
    const std::string key = message_key(m);
    messages.insert(key);
    recipients.insert(lower_ascii(m.recipient));
    senders.insert(lower_ascii(m.sender));
    if (is_sensitive(m)) sensitive.insert(key);
    if (!m.body_inspected) uninspected.insert(key);
    by_intended[m.intended].add(m, key, m.intended);
    by_sender[lower_ascii(m.sender)].add(m, key, m.sender);
    if (!summary.first || m.time < *summary.first) summary.first = m.time;
    if (!summary.last || m.time > *summary.last) summary.last = m.time;
  }
  summary.entries = investigation.misdirected.size();
  summary.messages = messages.size();
  summary.recipients = recipients.size();
  summary.senders = senders.size();
  summary.sensitive_messages = sensitive.size();
  summary.uninspected_messages = uninspected.size();
  summary.intended_domains = ranked(by_intended);
  summary.senders_by_messages = ranked(by_sender);
  return summary;
}

}  // namespace sendguard::investigate_internal
