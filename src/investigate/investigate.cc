#include "investigate/investigate.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

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
  std::unordered_set<std::int64_t> days;
  Clock::time_point first, last;
};

// Everything the first pass keeps: the messages (without their bodies) and what each
// recipient address normalises to.
class FirstPass {
 public:
  explicit FirstPass(const HistoryKeys& keys) : keys_(keys) {}

  void add(SentMail&& mail) {
    ++messages_;
    std::vector<std::string_view> counted;
    for (const std::string& r : mail.recipients) {
      const HistoryRecipient* key = recipient(r);
      if (!key) continue;
      ++recipients_;
      if (std::find(counted.begin(), counted.end(), key->domain) != counted.end()) continue;
      counted.push_back(key->domain);
      DomainTally& t = tally_[key->domain];
      if (t.messages++ == 0 || mail.time < t.first) t.first = mail.time;
      if (mail.time > t.last) t.last = mail.time;
      t.days.insert(day_of(mail.time));
    }
    bool has_body = !mail.raw.empty();
    mail.raw.clear();
    mail.raw.shrink_to_fit();
    kept_.push_back({std::move(mail), has_body});
  }

  const HistoryRecipient* recipient(const std::string& address) {
    auto it = recipients_cache_.find(address);
    if (it == recipients_cache_.end())
      it = recipients_cache_.emplace(address, keys_.recipient(address)).first;
    return it->second ? &*it->second : nullptr;
  }

  std::vector<HistoryStats> domain_stats() const {
    std::vector<HistoryStats> out;
    for (const auto& [domain, t] : tally_) {
      out.push_back(
          {domain, "", t.messages, static_cast<std::int64_t>(t.days.size()), t.first, t.last});
    }
    return out;
  }

  struct Kept {
    SentMail mail;
    bool has_body;
  };
  std::vector<Kept>& kept() { return kept_; }
  std::size_t messages() const { return messages_; }
  std::size_t recipients() const { return recipients_; }

 private:
  const HistoryKeys& keys_;
  std::unordered_map<std::string, DomainTally> tally_;
  std::unordered_map<std::string, std::optional<HistoryRecipient>> recipients_cache_;
  std::vector<Kept> kept_;
  std::size_t messages_ = 0, recipients_ = 0;
};

std::string_view domain_of(std::string_view normalised_address) {
  return normalised_address.substr(normalised_address.rfind('@') + 1);
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

  MailSourceOptions read_options;
  read_options.since = options.since;
  read_options.until = options.until;
  FirstPass first(keys);
  auto read = read_mail_sources(
      options.sources, read_options, [&](SentMail&& mail) { first.add(std::move(mail)); },
      options.progress);
  if (!read) return std::unexpected(read.error());
  st.read = *read;
  out.messages_read = first.messages();
  out.recipients_checked = first.recipients();

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
    auto learned = learn_known_domains(first.domain_stats(), config.history, *lookalike, suffixes);
    if (!learned) return std::unexpected(learned.error());
    for (const LearnedDomain& d : learned->known) lookalike->known_domains.push_back(d.domain);
    st.learned_from_sources = learned->known.size();
  }
  auto index = LookalikeIndex::build(*lookalike, suffixes);
  if (!index) return std::unexpected(index.error());
  out.known_domains = (*index)->size();

  // Each distinct recipient domain is classified once.
  std::unordered_map<std::string, RecipientVerdict> verdicts;
  std::unordered_map<std::string, std::vector<std::size_t>> by_identity;  // archive messages
  for (FirstPass::Kept& kept : first.kept()) {
    const SentMail& mail = kept.mail;
    for (const std::string& r : mail.recipients) {
      const HistoryRecipient* key = first.recipient(r);
      if (!key) continue;
      std::string domain(domain_of(key->address));
      auto it = verdicts.find(domain);
      if (it == verdicts.end()) {
        auto normalised = normalize_domain(domain);
        RecipientVerdict v;
        if (normalised) v = (*index)->classify(*normalised);
        it = verdicts.emplace(domain, std::move(v)).first;
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
      if (kept.has_body) by_identity[mail.identity].push_back(out.misdirected.size());
      out.misdirected.push_back(std::move(m));
    }
  }

  // The second pass, over the archives alone, reads what the misdirected messages carried.
  if (!by_identity.empty()) {
    std::vector<std::filesystem::path> archives;
    for (const auto& p : options.sources) {
      auto kind = detect_source_kind(p);
      if (kind && *kind != SourceKind::kMailLog) archives.push_back(p);
    }
    auto guard = Guard::build(config, extra_known_files);
    if (!guard) return std::unexpected(guard.error());
    auto inspected = read_mail_sources(
        archives, read_options,
        [&](SentMail&& mail) {
          auto it = by_identity.find(mail.identity);
          if (it == by_identity.end() || mail.raw.empty()) return;
          Envelope envelope;
          envelope.sender = mail.sender;
          envelope.recipients = mail.recipients;
          MessageReport report = (*guard)->inspect(mail.raw, envelope);
          for (std::size_t i : it->second) {
            out.misdirected[i].findings = report.findings;
            out.misdirected[i].body_inspected = true;
          }
          ++st.inspected;
          by_identity.erase(it);  // a copy of the same message later on adds nothing
        },
        options.progress);
    if (!inspected) return std::unexpected(inspected.error());
  }

  std::stable_sort(
      out.misdirected.begin(), out.misdirected.end(),
      [](const MisdirectedMessage& a, const MisdirectedMessage& b) { return a.time < b.time; });
  return out;
}

}  // namespace sendguard
