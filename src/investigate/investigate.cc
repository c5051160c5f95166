#include "investigate/investigate.h"

#include <algorithm>
#include <unordered_map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/string_hash.h"
#include "guard/guard.h"
#include "history/history_keys.h"
#include "history/learned_domains.h"
#include "lookalike/lookalike.h"

namespace sendguard {
namespace {

using Clock = std::chrono::system_clock;

std::int64_t day_of(Clock::time_point time) {
  return std::chrono::floor<std::chrono::days>(time).time_since_epoch().count();
}

// How often the sources wrote to one organisation domain.
struct DomainTally {
  std::int64_t messages = 0;
  std::vector<std::int64_t> days;  // ascending: mail comes nearly in time order
  Clock::time_point first, last;

  void add_day(std::int64_t day) {
    if (!days.empty() && days.back() == day) return;
    auto at = std::lower_bound(days.begin(), days.end(), day);
    if (at == days.end() || *at != day) days.insert(at, day);
  }
};

// What each recipient address normalises to, worked out once per distinct address. Pointers it
// gives stay valid until the next start_message().
class RecipientKeys {
 public:
  explicit RecipientKeys(const HistoryKeys& keys) : keys_(keys) {}

  // Bounded, so that a log of millions of distinct addresses cannot grow it without end; a
  // million entries take about 250 MB. Clearing it costs one normalisation (IDNA, the Public
  // Suffix List) per address seen again, which a smaller bound pays many times over in a log of
  // many correspondents.
  void start_message() {
    if (cache_.size() >= kLimit) cache_.clear();
  }

  const HistoryRecipient* operator()(const std::string& address) {
    auto it = cache_.find(address);
    if (it == cache_.end()) it = cache_.emplace(address, keys_.recipient(address)).first;
    return it->second ? &*it->second : nullptr;
  }

 private:
  static constexpr std::size_t kLimit = 1'000'000;
  const HistoryKeys& keys_;
  std::unordered_map<std::string, std::optional<HistoryRecipient>> cache_;
};

// The first read, when the sources teach known domains: how often each domain was written to.
// Nothing of the messages is kept, so memory grows with the domains, not with the messages.
class DomainTallies {
 public:
  explicit DomainTallies(RecipientKeys& recipients) : recipients_(recipients) {}

  void add(const SentMail& mail) {
    recipients_.start_message();
    counted_.clear();
    for (const std::string& r : mail.recipients) {
      const HistoryRecipient* key = recipients_(r);
      if (!key) continue;
      if (std::find(counted_.begin(), counted_.end(), key->domain) != counted_.end()) continue;
      counted_.push_back(key->domain);
      DomainTally& t = tally_[key->domain];
      if (t.messages++ == 0 || mail.time < t.first) t.first = mail.time;
      if (mail.time > t.last) t.last = mail.time;
      t.add_day(day_of(mail.time));
    }
  }

  std::vector<HistoryStats> domain_stats() const {
    std::vector<HistoryStats> out;
    for (const auto& [domain, t] : tally_) {
      out.push_back(
          {domain, "", t.messages, static_cast<std::int64_t>(t.days.size()), t.first, t.last});
    }
    return out;
  }

 private:
  RecipientKeys& recipients_;
  std::unordered_map<std::string, DomainTally> tally_;
  std::vector<std::string_view> counted_;
};

std::string_view domain_of(std::string_view normalised_address) {
  return normalised_address.substr(normalised_address.rfind('@') + 1);
}

// Progress of one of `passes` reads of the same sources, as a share of all of them.
MailProgress pass_progress(const MailProgress& progress, int pass, int passes) {
  if (!progress) return {};
  return [progress, pass, passes](std::uint64_t done, std::uint64_t total) {
    progress(total * static_cast<std::uint64_t>(pass) + done,
             total * static_cast<std::uint64_t>(passes));
  };
}

}  // namespace

Result<Investigation> investigate(const Config& config,
                                  const std::vector<std::string>& extra_known_files, Store* store,
                                  const InvestigateOptions& options, InvestigateStats* stats) {
  InvestigateStats local_stats;
  InvestigateStats& st = stats ? *stats : local_stats;
  Investigation out;
  out.generated_at = Clock::now();
  out.since = options.since;
  out.until = options.until;
  for (const auto& p : options.sources) out.sources.push_back(p.string());

  auto loaded = PublicSuffixList::load(config.public_suffix_list);
  if (!loaded) return std::unexpected(loaded.error());
  auto suffixes = std::make_shared<const PublicSuffixList>(std::move(*loaded));
  HistoryKeys keys(suffixes);  // plain: an investigation names addresses
  RecipientKeys recipients(keys);

  MailSourceOptions read_options;
  read_options.since = options.since;
  read_options.until = options.until;
  // Known domains learned from the sources need a read of their own before anything can be
  // classified; reading twice costs less than keeping every message of a large log in memory.
  const int passes = options.learn_from_sources ? 2 : 1;

  // The known domains: configured, internal, learned by the store, learned from the sources.
  auto lookalike = lookalike_options(config, extra_known_files);
  if (!lookalike) return std::unexpected(lookalike.error());
  for (const std::string& d : config.policy.internal_domains) lookalike->known_domains.push_back(d);
  if (store) {
    auto learned = learn_known_domains(*store, config.history, *lookalike, suffixes);
    if (!learned) return std::unexpected(learned.error());
    for (const LearnedDomain& d : learned->known) lookalike->known_domains.push_back(d.domain);
    st.learned_from_store = learned->known.size();
  }
  if (options.learn_from_sources) {
    DomainTallies tallies(recipients);
    MailSourceOptions envelopes_only = read_options;
    envelopes_only.archive.keep_bodies = false;
    auto read = read_mail_sources(
        options.sources, envelopes_only, [&](SentMail&& mail) { tallies.add(mail); },
        pass_progress(options.progress, 0, passes));
    if (!read) return std::unexpected(read.error());
    auto learned = learn_known_domains(tallies.domain_stats(), config.history, *lookalike, suffixes);
    if (!learned) return std::unexpected(learned.error());
    for (const LearnedDomain& d : learned->known) lookalike->known_domains.push_back(d.domain);
    st.learned_from_sources = learned->known.size();
  }
  auto index = LookalikeIndex::build(*lookalike, suffixes);
  if (!index) return std::unexpected(index.error());
  out.known_domains = (*index)->size();
  // The detectors are compiled when the first slip with a body turns up: logs never need them.
  std::shared_ptr<const Guard> guard;
  std::optional<Error> guard_error;

  // Each distinct recipient domain is classified once; each misdirected message that carries
  // its body is inspected once, however many copies of it the archives hold.
  std::unordered_map<std::string, RecipientVerdict, StringHash, std::equal_to<>> verdicts;
  std::unordered_map<std::string, std::vector<Finding>> findings_by_identity;
  auto classify = [&](SentMail&& mail) {
    ++out.messages_read;
    recipients.start_message();
    std::size_t first_slip = out.misdirected.size();
    for (const std::string& r : mail.recipients) {
      const HistoryRecipient* key = recipients(r);
      if (!key) continue;
      ++out.recipients_checked;
      std::string_view domain = domain_of(key->address);
      auto it = verdicts.find(domain);
      if (it == verdicts.end()) {
        auto normalised = normalize_domain(domain);
        RecipientVerdict v;
        if (normalised) v = (*index)->classify(*normalised);
        it = verdicts.emplace(std::string(domain), std::move(v)).first;
      }
      const RecipientVerdict& v = it->second;
      if (v.verdict != Verdict::kLookalike) continue;
      MisdirectedMessage m;
      m.time = mail.time;
      m.sender = mail.sender;
      m.recipient = r;
      m.domain = domain;
      m.intended = v.intended;
      m.kind = v.kind;
      m.score = v.score;
      m.explanation = v.explanation;
      m.queue_id = mail.queue_id;
      m.message_id = mail.message_id;
      m.origin = mail.origin;
      out.misdirected.push_back(std::move(m));
    }
    if (mail.raw.empty() || first_slip == out.misdirected.size() || guard_error) return;
    if (!guard) {
      auto built = Guard::build(config, extra_known_files);
      if (!built) {
        guard_error = built.error();
        return;
      }
      guard = std::move(*built);
    }
    auto [inspected, fresh] = findings_by_identity.try_emplace(mail.identity);
    if (fresh) {
      Envelope envelope;
      envelope.sender = mail.sender;
      envelope.recipients = mail.recipients;
      inspected->second = guard->inspect(mail.raw, envelope).findings;
      ++st.inspected;
    }
    for (std::size_t i = first_slip; i < out.misdirected.size(); ++i) {
      out.misdirected[i].findings = inspected->second;
      out.misdirected[i].body_inspected = true;
    }
  };
  auto read = read_mail_sources(options.sources, read_options, classify,
                                pass_progress(options.progress, passes - 1, passes));
  if (!read) return std::unexpected(read.error());
  if (guard_error) return std::unexpected(*guard_error);
  st.read = *read;

  std::stable_sort(
      out.misdirected.begin(), out.misdirected.end(),
      [](const MisdirectedMessage& a, const MisdirectedMessage& b) { return a.time < b.time; });
  return out;
}

}  // namespace sendguard
