// The ContentScanner: one Hyperscan database for every pattern, scanned once per text, then
// the candidates are confirmed (detectors.h, markings.h, topics.h) and folded into findings.
#include <hs/hs.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>

#include "content/content.h"
#include "content/detectors.h"
#include "content/markings.h"
#include "content/patterns.h"
#include "content/redact.h"
#include "content/topics.h"

namespace sendguard {

std::string_view to_string(Confidence confidence) {
  switch (confidence) {
    case Confidence::kLow:
      return "low";
    case Confidence::kMedium:
      return "medium";
    case Confidence::kHigh:
      return "high";
  }
  return "low";
}

namespace content {

void ContextIndex::add(int category, std::size_t from, std::size_t to) {
  if (category < 0 || category >= kCtxCount) return;
  auto& v = hits_[category];
  if (v.size() < kMaxPerCategory) v.emplace_back(from, to);
}

void ContextIndex::finish() {
  for (auto& v : hits_) std::sort(v.begin(), v.end());
}

bool ContextIndex::near(int category, std::size_t from, std::size_t to, std::size_t window) const {
  const auto& v = hits_[category];
  // Context words are short (< 64 bytes), so any word ending within the window starts after
  // from - window - 64; scan forward from there while words start before to + window.
  std::size_t lo = from > window + 64 ? from - window - 64 : 0;
  auto it = std::lower_bound(v.begin(), v.end(), std::make_pair(lo, std::size_t{0}));
  for (; it != v.end() && it->first <= to + window; ++it) {
    std::size_t distance = it->second <= from ? from - it->second
                           : it->first >= to  ? it->first - to
                                              : 0;
    if (distance <= window) return true;
  }
  return false;
}

namespace {

constexpr std::size_t kMaxCandidatesPerPattern = 4096;
constexpr std::size_t kMaxFindingsPerDetector = 1000;
constexpr std::size_t kMaxMarkingLines = 1000;
constexpr std::size_t kMaxScanBytes = 256u << 20;  // hs_scan takes an unsigned int length

struct PatternRef {
  Kind kind;
  int arg;
};

struct RawMatch {
  unsigned id;
  std::size_t from, to;
};

struct Collector {
  const std::vector<PatternRef>* refs;
  ContextIndex* context;
  std::vector<RawMatch> matches;
  std::vector<std::uint32_t> per_pattern;
};

int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
  auto* c = static_cast<Collector*>(ctx);
  const PatternRef& ref = (*c->refs)[id];
  if (ref.kind == Kind::kContext) {
    c->context->add(ref.arg, from, to);
    return 0;
  }
  if (c->per_pattern[id] >= kMaxCandidatesPerPattern) return 0;
  ++c->per_pattern[id];
  c->matches.push_back({id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;
}

// Each thread keeps clones of the scanners' prototype scratch, keyed by a scanner id that is
// never reused, so a scratch never meets a database it was not allocated for. Four slots:
// a thread normally serves one scanner, and briefly two across a reload.
struct ScratchCache {
  struct Slot {
    std::uint64_t id = 0;
    hs_scratch_t* scratch = nullptr;
  };
  std::array<Slot, 4> slots{};
  std::size_t next = 0;
  ~ScratchCache() {
    for (auto& s : slots)
      if (s.scratch) hs_free_scratch(s.scratch);
  }
  hs_scratch_t* get(std::uint64_t id, const hs_scratch_t* prototype) {
    for (auto& s : slots)
      if (s.id == id && s.scratch) return s.scratch;
    Slot& s = slots[next++ % slots.size()];
    if (s.scratch) hs_free_scratch(s.scratch);
    s = {};
    hs_scratch_t* fresh = nullptr;
    if (hs_clone_scratch(prototype, &fresh) != HS_SUCCESS) return nullptr;
    s = {id, fresh};
    return fresh;
  }
};

std::atomic<std::uint64_t> g_next_scanner_id{1};

std::string escape_keyword(std::string_view keyword) {
  std::string out;
  for (char c : keyword) {
    if (std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) {
      out += c;
    } else if (c == ' ') {
      out += "\\s+";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!keyword.empty() && word(keyword.front())) out = "\\b" + out;
  if (!keyword.empty() && word(keyword.back())) out += "\\b";
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Headers that machines write: scanning them as text finds only noise (hashes, ids, routes).
bool is_machine_header(std::string_view n) {
  static constexpr std::string_view kExact[] = {"received",
                                                "dkim-signature",
                                                "message-id",
                                                "references",
                                                "in-reply-to",
                                                "authentication-results",
                                                "return-path",
                                                "date",
                                                "mime-version",
                                                "x-mailer",
                                                "received-spf",
                                                "x-originating-ip",
                                                "thread-index",
                                                "thread-topic",
                                                "domainkey-signature",
                                                "x-received",
                                                "delivered-to",
                                                "x-forefront-antispam-report",
                                                "x-microsoft-antispam",
                                                "x-ms-exchange-organization-authas",
                                                "list-unsubscribe",
                                                "feedback-id",
                                                "x-spam-status"};
  if (std::find(std::begin(kExact), std::end(kExact), n) != std::end(kExact)) return true;
  return n.starts_with("arc-") || n.starts_with("content-") || n.starts_with("x-ms-") ||
         n.starts_with("x-google-") || n.starts_with("x-gm-") || n.starts_with("list-") ||
         n.starts_with("x-microsoft-") || n.starts_with("x-forefront-");
}

class HyperscanScanner final : public ContentScanner {
 public:
  HyperscanScanner(hs_database_t* db, hs_scratch_t* prototype, std::vector<PatternRef> refs,
                   ContentOptions options)
      : db_(db),
        prototype_(prototype),
        refs_(std::move(refs)),
        options_(std::move(options)),
        id_(g_next_scanner_id.fetch_add(1)) {}
  ~HyperscanScanner() override {
    hs_free_scratch(prototype_);
    hs_free_database(db_);
  }
  HyperscanScanner(const HyperscanScanner&) = delete;
  HyperscanScanner& operator=(const HyperscanScanner&) = delete;

  void scan_text(std::string_view text, std::string_view where,
                 std::vector<Finding>& out) const override;
  void scan_header(std::string_view name, std::string_view value,
                   std::vector<Finding>& out) const override;

 private:
  void emit(std::string_view where, std::vector<Hit>& hits, std::vector<Finding>& out) const;

  hs_database_t* db_;
  hs_scratch_t* prototype_;
  std::vector<PatternRef> refs_;
  ContentOptions options_;
  std::uint64_t id_;
};

bool better(const Hit& a, const Hit& b) {
  if (a.confidence != b.confidence) return a.confidence > b.confidence;
  if (a.rank != b.rank) return a.rank > b.rank;
  return a.from < b.from;
}

void HyperscanScanner::emit(std::string_view where, std::vector<Hit>& hits,
                            std::vector<Finding>& out) const {
  // One finding per detector and place: count of matches, the best one's confidence and excerpt.
  std::map<std::string_view, std::vector<const Hit*>> by_detector;
  for (const Hit& h : hits) by_detector[h.detector].push_back(&h);
  for (auto& [detector, list] : by_detector) {
    const Hit* best = *std::min_element(list.begin(), list.end(),
                                        [](const Hit* a, const Hit* b) { return better(*a, *b); });
    Finding f;
    f.detector = std::string(detector);
    f.confidence = best->confidence;
    f.where = std::string(where);
    f.count = static_cast<int>(list.size());
    f.excerpt = best->excerpt;
    f.level = best->level;
    f.rank = best->rank;
    out.push_back(std::move(f));
  }
}

void HyperscanScanner::scan_text(std::string_view text, std::string_view where,
                                 std::vector<Finding>& out) const {
  if (text.empty()) return;
  std::vector<Hit> hits;
  if (text.size() > kMaxScanBytes) {
    hits.push_back({"unscannable", Confidence::kLow, 0, 0,
                    "text larger than 256 MB: tail not scanned", "", 0});
    text = text.substr(0, kMaxScanBytes);
  }
  static thread_local ScratchCache cache;
  hs_scratch_t* scratch = cache.get(id_, prototype_);
  ContextIndex context;
  Collector collector{&refs_, &context, {}, std::vector<std::uint32_t>(refs_.size(), 0)};
  if (scratch == nullptr || hs_scan(db_, text.data(), static_cast<unsigned>(text.size()), 0,
                                    scratch, on_match, &collector) != HS_SUCCESS) {
    // Fail closed: the caller sees that this text was not examined.
    hits.push_back({"unscannable", Confidence::kHigh, 0, 0, "content scanner error", "", 0});
    emit(where, hits, out);
    return;
  }
  context.finish();
  auto& matches = collector.matches;
  std::sort(matches.begin(), matches.end(), [](const RawMatch& a, const RawMatch& b) {
    if (a.id != b.id) return a.id < b.id;
    if (a.from != b.from) return a.from < b.from;
    return a.to > b.to;  // longest first for the same start
  });

  const DetectInput in{text, context, options_.context_window_bytes};
  const bool subject = lower(where) == "subject" || lower(where) == "header:subject";
  std::map<std::string_view, std::size_t> confirmed;  // per detector, for the cap
  std::map<std::string_view, std::size_t> covered;    // per detector, end of the last hit
  std::vector<MarkingHit> markings;
  std::unordered_set<std::size_t> marking_lines;
  bool us_evidence = false;
  const auto& terms = topic_terms();
  std::vector<bool> term_seen(terms.size(), false);
  std::array<TopicTally, kTopicCount> tallies{};
  std::array<std::size_t, kTopicCount> topic_first{};
  topic_first.fill(SIZE_MAX);
  std::vector<std::pair<double, std::size_t>> custom_score(options_.custom_detectors.size(),
                                                           {0.0, 0});
  std::vector<std::size_t> custom_first(options_.custom_detectors.size(), SIZE_MAX);
  std::vector<std::size_t> custom_first_end(options_.custom_detectors.size(), 0);

  std::size_t previous_from = SIZE_MAX;
  unsigned previous_id = UINT32_MAX;
  for (const RawMatch& m : matches) {
    bool same_start = m.id == previous_id && m.from == previous_from;
    previous_id = m.id;
    previous_from = m.from;
    const PatternRef& ref = refs_[m.id];
    std::optional<Hit> hit;
    switch (ref.kind) {
      case Kind::kCard:
        if (!same_start) hit = confirm_card(in, m.from);
        break;
      case Kind::kIban:
        if (!same_start) hit = confirm_iban(in, m.from);
        break;
      case Kind::kNino:
        hit = confirm_nino(in, m.from, m.to);
        break;
      case Kind::kNhs:
        if (!same_start) hit = confirm_nhs(in, m.from);
        break;
      case Kind::kSsn:
        if (!same_start) hit = confirm_ssn(in, m.from);
        break;
      case Kind::kPrivateKey:
        hit = confirm_private_key(in, m.from, m.to);
        break;
      case Kind::kAwsKey:
        hit = confirm_aws_key(in, m.from, m.to);
        break;
      case Kind::kPassword:
        hit = confirm_password(in, m.from, m.to);
        break;
      case Kind::kGithub:
      case Kind::kSlack:
      case Kind::kStripe:
        if (!same_start) hit = confirm_token(in, ref.kind, m.from, m.to);
        break;
      case Kind::kJwt:
        if (!same_start) hit = confirm_jwt(in, m.from, m.to);
        break;
      case Kind::kConnUrl:
        hit = confirm_conn_url(in, m.from, m.to);
        break;  // no start tracking
      case Kind::kConnAdo:
        hit = confirm_conn_ado(in, m.from, m.to);
        break;
      case Kind::kMarking: {
        if (marking_lines.size() >= kMaxMarkingLines) break;
        std::size_t line = 0;
        auto mh = marking_at(text, m.from, subject, line);
        if (marking_lines.insert(line).second && mh) markings.push_back(std::move(*mh));
        break;
      }
      case Kind::kUsHint:
        us_evidence = true;
        break;
      case Kind::kTopicTerm: {
        const TopicTerm& term = terms[ref.arg];
        int t = static_cast<int>(term.topic);
        if (term_seen[ref.arg] && !same_start) {
          ++tallies[t].matches;
          break;
        }
        if (same_start || !check_term(term, text, m.from, m.to)) break;
        term_seen[ref.arg] = true;
        TopicTally& tally = tallies[t];
        tally.score += term.weight;
        ++tally.distinct;
        ++tally.matches;
        if (term.weight >= 2) ++tally.specific;
        if (term.weight >= 1.5) ++tally.personal;
        if (std::find(tally.groups.begin(), tally.groups.end(), term.group) == tally.groups.end())
          tally.groups.push_back(term.group);
        topic_first[t] = std::min(topic_first[t], m.from);
        break;
      }
      case Kind::kCustom: {
        if (same_start) break;
        auto& [score, count] = custom_score[ref.arg];
        score += options_.custom_detectors[ref.arg].weight;
        ++count;
        if (m.from < custom_first[ref.arg]) {
          custom_first[ref.arg] = m.from;
          custom_first_end[ref.arg] = m.to;
        }
        break;
      }
      case Kind::kContext:
        break;
    }
    if (!hit) continue;
    // Overlapping candidates of one detector (a loose pattern matching inside a confirmed
    // value) count once.
    auto& end = covered[hit->detector];
    if (hit->from < end) continue;
    if (confirmed[hit->detector]++ >= kMaxFindingsPerDetector) continue;
    end = hit->to;
    hits.push_back(std::move(*hit));
  }

  // Markings: a bare SECRET banner is UK or US by what else the text says.
  bool uk_evidence = false;
  for (const MarkingHit& m : markings) {
    if (m.ambiguous) continue;
    if (m.hit.detector == std::string_view("marking.us")) us_evidence = true;
    if (m.hit.detector == std::string_view("marking.uk")) uk_evidence = true;
  }
  for (MarkingHit& m : markings) {
    if (m.ambiguous) m.hit.detector = resolve_jurisdiction(us_evidence, uk_evidence);
    hits.push_back(std::move(m.hit));
  }

  for (int t = 0; t < kTopicCount; ++t) {
    auto confidence = topic_confidence(tallies[t]);
    if (!confidence) continue;
    Hit h;
    h.detector = topic_detector(static_cast<Topic>(t));
    h.confidence = *confidence;
    h.from = topic_first[t];
    std::string groups;
    for (const char* g : tallies[t].groups) groups += (groups.empty() ? "" : ", ") + std::string(g);
    h.excerpt = std::to_string(tallies[t].distinct) + " signals: " + groups;
    for (int k = 1; k < tallies[t].matches; ++k) hits.push_back(h);  // count = matches
    hits.push_back(std::move(h));
  }

  for (std::size_t d = 0; d < custom_score.size(); ++d) {
    auto [score, count] = custom_score[d];
    if (count == 0) continue;
    Hit h;
    h.detector = options_.custom_detectors[d].id;
    h.confidence = score >= 1.0   ? Confidence::kHigh
                   : score >= 0.5 ? Confidence::kMedium
                                  : Confidence::kLow;
    h.from = custom_first[d];
    std::string_view value = text.substr(custom_first[d], custom_first_end[d] - custom_first[d]);
    h.excerpt =
        context_before(text, custom_first[d]) + " " + mask_after(value.substr(0, 64), 3, 12);
    std::size_t n = std::min(count, kMaxFindingsPerDetector);
    for (std::size_t k = 1; k < n; ++k) hits.push_back(h);
    hits.push_back(std::move(h));
  }
  emit(where, hits, out);
}

void HyperscanScanner::scan_header(std::string_view name, std::string_view value,
                                   std::vector<Finding>& out) const {
  std::string n = lower(name);
  if (is_label_header(n)) {
    std::vector<Hit> hits;
    for (MarkingHit& m : label_header(n, value)) hits.push_back(std::move(m.hit));
    std::string where = "header:" + printable(name);
    emit(where, hits, out);
    return;
  }
  if (n == "subject") {
    scan_text(value, "subject", out);
    return;
  }
  if (is_machine_header(n)) return;
  scan_text(value, "header:" + printable(name), out);
}

}  // namespace
}  // namespace content

Result<std::shared_ptr<const ContentScanner>> ContentScanner::build(const ContentOptions& options) {
  using namespace content;
  if (options.context_window_bytes > (1u << 20))
    return make_error(ErrorCode::kConfig, "content: context_window_bytes must be at most 1 MiB");
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  std::vector<PatternRef> refs;
  std::vector<std::string> owner;  // who wrote each expression, for error messages
  for (const PatternSpec& p : builtin_patterns()) {
    expressions.emplace_back(p.expression);
    flags.push_back(p.flags);
    refs.push_back({p.kind, p.arg});
    owner.emplace_back("built-in");
  }
  const auto& terms = topic_terms();
  for (std::size_t i = 0; i < terms.size(); ++i) {
    expressions.push_back(terms[i].expression);
    flags.push_back(terms[i].flags);
    refs.push_back({Kind::kTopicTerm, static_cast<int>(i)});
    owner.emplace_back("built-in topic");
  }
  static constexpr std::string_view kReserved[] = {"pii.", "secret.", "marking.", "sensitive.",
                                                   "unscannable"};
  for (std::size_t d = 0; d < options.custom_detectors.size(); ++d) {
    const CustomDetector& c = options.custom_detectors[d];
    if (c.id.empty())
      return make_error(ErrorCode::kConfig,
                        "content: custom detector #" + std::to_string(d + 1) + " has no id");
    for (auto r : kReserved)
      if (c.id.starts_with(r))
        return make_error(ErrorCode::kConfig, "content: custom detector '" + c.id +
                                                  "' uses a built-in prefix (" + std::string(r) +
                                                  ")");
    for (std::size_t e = 0; e < d; ++e)
      if (options.custom_detectors[e].id == c.id)
        return make_error(ErrorCode::kConfig,
                          "content: custom detector '" + c.id + "' is defined twice");
    if (!(c.weight > 0))
      return make_error(ErrorCode::kConfig,
                        "content: custom detector '" + c.id + "' needs a weight above 0");
    if (c.keywords.empty() && c.patterns.empty())
      return make_error(ErrorCode::kConfig,
                        "content: custom detector '" + c.id + "' has no keywords or patterns");
    for (const std::string& k : c.keywords) {
      if (k.empty())
        return make_error(ErrorCode::kConfig,
                          "content: custom detector '" + c.id + "' has an empty keyword");
      expressions.push_back(escape_keyword(k));
      flags.push_back(HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST);
      refs.push_back({Kind::kCustom, static_cast<int>(d)});
      owner.push_back("custom detector '" + c.id + "' keyword '" + k + "'");
    }
    for (const std::string& p : c.patterns) {
      // Start-of-match tracking is refused for some patterns; the excerpt then starts at the
      // match end, which is all we lose.
      unsigned f = HS_FLAG_SOM_LEFTMOST;
      hs_expr_info_t* info = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_expression_info(p.c_str(), f, &info, &err) != HS_SUCCESS) {
        std::string why = err ? err->message : "invalid";
        hs_free_compile_error(err);
        return make_error(ErrorCode::kConfig,
                          "content: custom detector '" + c.id + "' pattern '" + p + "': " + why);
      }
      bool empty_match = info->min_width == 0;
      std::free(info);
      if (empty_match)
        return make_error(ErrorCode::kConfig, "content: custom detector '" + c.id + "' pattern '" +
                                                  p + "' can match empty text");
      expressions.push_back(p);
      flags.push_back(f);
      refs.push_back({Kind::kCustom, static_cast<int>(d)});
      owner.push_back("custom detector '" + c.id + "' pattern '" + p + "'");
    }
  }
  std::vector<const char*> cexpr;
  std::vector<unsigned> ids;
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    cexpr.push_back(expressions[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(cexpr.data(), flags.data(), ids.data(), static_cast<unsigned>(cexpr.size()),
                       HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    std::string who =
        err && err->expression >= 0 && static_cast<std::size_t>(err->expression) < owner.size()
            ? owner[err->expression]
            : "the pattern set";
    std::string why = err ? err->message : "unknown error";
    hs_free_compile_error(err);
    ErrorCode code = who.starts_with("custom") ? ErrorCode::kConfig : ErrorCode::kInternal;
    return make_error(code, "content: " + who + " does not compile: " + why);
  }
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
    hs_free_database(db);
    return make_error(ErrorCode::kInternal, "content: cannot allocate Hyperscan scratch space");
  }
  return std::shared_ptr<const ContentScanner>(
      std::make_shared<HyperscanScanner>(db, scratch, std::move(refs), options));
}

}  // namespace sendguard
