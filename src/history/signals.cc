#include "history/signals.h"

#include <algorithm>
#include <array>

namespace sendguard {
namespace {

// Shared mailboxes that many organisations have: info@ at a new domain says nothing about a
// slip of autocomplete.
constexpr std::array<std::string_view, 24> kRoleLocalParts = {
    "info", "admin",   "sales",    "support",    "contact",   "office",    "enquiries", "hello",
    "mail", "noreply", "no-reply", "postmaster", "webmaster", "hr",        "billing",   "accounts",
    "team", "help",    "press",    "jobs",       "careers",   "reception", "finance",   "abuse"};

std::string plural(std::int64_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

std::string_view local_of(std::string_view address) {
  std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(0, at);
}

Finding recipient_finding(std::string detector, Confidence confidence, const RecipientVerdict& r,
                          std::string evidence) {
  return {std::move(detector), confidence, "recipient:" + r.address, 1, std::move(evidence), "", 0};
}

}  // namespace

HistorySignals::HistorySignals(Store& store, const HistoryKeys& keys, const HistoryConfig& config,
                               std::vector<std::string> internal_domains)
    : store_(store), keys_(keys), config_(config), internal_domains_(std::move(internal_domains)) {}

bool HistorySignals::internal(std::string_view domain) const {
  for (const std::string& d : internal_domains_) {
    if (domain == d || (domain.size() > d.size() && domain.ends_with(d) &&
                        domain[domain.size() - d.size() - 1] == '.'))
      return true;
  }
  return false;
}

Result<bool> HistorySignals::history_is_large_enough() {
  std::lock_guard lock(size_mutex_);
  auto now = std::chrono::steady_clock::now();
  if (known_messages_ < config_.signals_after_messages &&
      (known_messages_ < 0 || now - size_checked_ > std::chrono::minutes(1))) {
    auto size = store_.history_size();
    if (!size) return std::unexpected(size.error());
    known_messages_ = *size;
    size_checked_ = now;
  }
  return known_messages_ >= config_.signals_after_messages;
}

Result<std::vector<Finding>> HistorySignals::for_message(
    std::string_view sender, const std::vector<RecipientVerdict>& recipients) {
  std::vector<Finding> findings;
  auto enough = history_is_large_enough();
  if (!enough) return std::unexpected(enough.error());
  if (!*enough) return findings;

  struct Subject {
    const RecipientVerdict* verdict;
    HistoryRecipient key;
  };
  std::vector<Subject> subjects;
  for (const RecipientVerdict& r : recipients) {
    if (r.verdict != Verdict::kKnown && r.verdict != Verdict::kNew) continue;
    auto key = keys_.recipient(r.address);
    if (key) subjects.push_back({&r, std::move(*key)});
  }
  if (subjects.empty()) return findings;
  std::string from = keys_.sender(sender);

  // Everything about every recipient in one round trip: the domain, the address, and the
  // sender's own mail to the address.
  std::vector<HistoryKey> wanted;
  for (const Subject& s : subjects) {
    wanted.push_back({HistoryScope::kDomain, "", s.key.domain});
    wanted.push_back({HistoryScope::kAddress, "", s.key.address});
    wanted.push_back({HistoryScope::kSenderAddress, from, s.key.address});
  }
  // And every pair of recipients, for "addressed together".
  bool pairs = subjects.size() >= 3 &&
               subjects.size() <= static_cast<std::size_t>(config_.max_together) && !from.empty();
  std::vector<std::vector<std::size_t>> pair_index(subjects.size(),
                                                   std::vector<std::size_t>(subjects.size()));
  if (pairs) {
    for (std::size_t a = 0; a < subjects.size(); ++a) {
      for (std::size_t b = a + 1; b < subjects.size(); ++b) {
        const std::string& x = subjects[a].key.address;
        const std::string& y = subjects[b].key.address;
        pair_index[a][b] = pair_index[b][a] = wanted.size();
        wanted.push_back({HistoryScope::kTogether, from, x < y ? x + "\n" + y : y + "\n" + x});
      }
    }
  }
  auto stats = store_.history(wanted);
  if (!stats) return std::unexpected(stats.error());

  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const RecipientVerdict& r = *subjects[i].verdict;
    const HistoryStats& domain = (*stats)[3 * i];
    const HistoryStats& address = (*stats)[3 * i + 1];
    const HistoryStats& mine = (*stats)[3 * i + 2];
    bool is_internal = internal(r.domain);

    if (!is_internal && r.verdict == Verdict::kNew && domain.messages == 0) {
      findings.push_back(
          recipient_finding("recipient.first-time-domain", Confidence::kMedium, r,
                            "first message from the organisation to " + subjects[i].key.domain));
    }
    if (from.empty() || mine.messages > 0) continue;
    findings.push_back(
        recipient_finding("recipient.first-time-for-sender",
                          address.messages == 0 ? Confidence::kMedium : Confidence::kLow, r,
                          address.messages == 0 ? "first message from anyone here to " + r.address
                                                : "first message from this sender to " + r.address +
                                                      " (others "
                                                      "have sent " +
                                                      plural(address.messages, "message") + ")"));

    // The same name at another address the sender writes to: the address book offered the
    // wrong one.
    std::string_view plain_local = local_of(r.address);
    bool role =
        std::any_of(kRoleLocalParts.begin(), kRoleLocalParts.end(), [&](std::string_view x) {
          return std::equal(
              x.begin(), x.end(), plain_local.begin(), plain_local.end(),
              [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b + 32 : b); });
        });
    if (!role) {
      auto same_name =
          store_.history_list({HistoryScope::kSenderAddress, from, subjects[i].key.local, 0, 5});
      if (!same_name) return std::unexpected(same_name.error());
      const HistoryStats* usual = nullptr;
      for (const HistoryStats& other : *same_name) {
        if (other.key != subjects[i].key.address && other.messages >= 3) {
          usual = &other;
          break;
        }
      }
      if (usual) {
        std::string where = keys_.hashed() ? "the same name at another address" : usual->key;
        findings.push_back(recipient_finding("recipient.unusual-group", Confidence::kHigh, r,
                                             "you have sent " + plural(usual->messages, "message") +
                                                 " to " + where + " and none to " + r.address));
        continue;
      }
    }
    // A stranger among recipients the sender often addresses together.
    if (!pairs) continue;
    std::int64_t with_others = 0, others_together = 0;
    for (std::size_t a = 0; a < subjects.size(); ++a) {
      if (a == i) continue;
      with_others += (*stats)[pair_index[i][a]].messages;
      for (std::size_t b = a + 1; b < subjects.size(); ++b) {
        if (b == i) continue;
        others_together = std::max(others_together, (*stats)[pair_index[a][b]].messages);
      }
    }
    if (with_others == 0 && others_together >= 3) {
      findings.push_back(recipient_finding("recipient.unusual-group", Confidence::kMedium, r,
                                           "the other recipients have been addressed together in " +
                                               plural(others_together, "message") + ", " +
                                               r.address + " never with them"));
    }
  }
  return findings;
}

Result<std::string> HistorySignals::lookalike_evidence(const RecipientVerdict& recipient) {
  if (recipient.verdict != Verdict::kLookalike || recipient.intended.empty()) return "";
  std::string intended = keys_.organisation_domain(recipient.intended);
  std::string actual = keys_.organisation_domain(recipient.domain);
  auto stats =
      store_.history({{HistoryScope::kDomain, "", intended}, {HistoryScope::kDomain, "", actual}});
  if (!stats) return std::unexpected(stats.error());
  const HistoryStats& meant = (*stats)[0];
  const HistoryStats& got = (*stats)[1];
  if (meant.messages == 0) return "";
  return "You have sent " + plural(meant.messages, "message") + " to " + intended + " and " +
         (got.messages == 0 ? std::string("none") : std::to_string(got.messages)) + " to " +
         actual + ".";
}

}  // namespace sendguard
