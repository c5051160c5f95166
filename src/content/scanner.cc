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

namespace {

struct WindowSearch {
  int category;
  std::size_t base, from, to, window;
  bool found = false;
};

int on_context_in_window(unsigned id, unsigned long long from, unsigned long long to, unsigned,
                         void* ctx) {
  auto* w = static_cast<WindowSearch*>(ctx);
  if (static_cast<int>(id) != w->category) return 0;
  std::size_t wf = w->base + from, wt = w->base + to;
  std::size_t distance = wt <= w->from ? w->from - wt : wf >= w->to ? wf - w->to : 0;
  if (distance > w->window) return 0;
  w->found = true;
  return 1;  // enough: stop the scan
}

using ContextHits = std::vector<std::pair<std::size_t, std::size_t>>[kCtxCount];

int on_context_in_text(unsigned id, unsigned long long from, unsigned long long to, unsigned,
                       void* ctx) {
  if (id >= kCtxCount) return 0;
  auto& v = (*static_cast<ContextHits*>(ctx))[id];
  if (v.size() < ContextIndex::kMaxPerCategory) v.emplace_back(from, to);
  return 0;
}

}  // namespace

void ContextIndex::index_all() const {
  indexed_ = true;
  if (hs_scan(db_, text_.data(), static_cast<unsigned>(text_.size()), 0, scratch_,
              on_context_in_text, &hits_) != HS_SUCCESS) {
    for (auto& v : hits_) v.clear();
  }
  for (auto& v : hits_) std::sort(v.begin(), v.end());
}

bool ContextIndex::near(int category, std::size_t from, std::size_t to, std::size_t window) const {
  if (category < 0 || category >= kCtxCount) return false;
  if (!indexed_) {
    // A context word is most often the label just before the value ("NHS number 943 ..."), so
    // a narrow window first; the whole window only when that finds nothing.
    constexpr std::size_t kNarrow = 32;
    if (window > kNarrow && scan_window(category, from, to, kNarrow)) return true;
    if (!indexed_ && scan_window(category, from, to, window)) return true;
    if (!indexed_) return false;
  }
  const auto& v = hits_[category];
  std::size_t first = from > window + kMaxWordBytes ? from - window - kMaxWordBytes : 0;
  auto it = std::lower_bound(v.begin(), v.end(), std::make_pair(first, std::size_t{0}));
  for (; it != v.end() && it->first <= to + window; ++it) {
    std::size_t distance = it->second <= from ? from - it->second
                           : it->first >= to  ? it->first - to
                                              : 0;
    if (distance <= window) return true;
  }
  return false;
}

bool ContextIndex::scan_window(int category, std::size_t from, std::size_t to,
                               std::size_t window) const {
  // A word within the window ends at or after from - window, so starts after
  // from - window - kMaxWordBytes; one more byte before that decides its \b.
  const std::size_t reach = window + kMaxWordBytes + 1;
  std::size_t lo = from > reach ? from - reach : 0;
  std::size_t hi = std::min(text_.size(), to + reach);
  if (scanned_ + (hi - lo) > text_.size()) {
    index_all();
    return false;  // near() asks the index
  }
  // Matches that the window's own edges make up (a \b where the text has none) lie farther
  // than `window` from the candidate, so the distance test drops them.
  scanned_ += hi - lo;
  WindowSearch search{category, lo, from, to, window};
  hs_error_t rc = hs_scan(db_, text_.data() + lo, static_cast<unsigned>(hi - lo), 0, scratch_,
                          on_context_in_window, &search);
  return (rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED) && search.found;
}

namespace {

constexpr std::size_t kMaxCandidatesPerPattern = 4096;
constexpr std::size_t kMaxFindingsPerDetector = 1000;
constexpr std::size_t kMaxMarkingLines = 1000;
constexpr std::size_t kMaxScanBytes = 256u << 20;  // hs_scan takes an unsigned int length

struct PatternRef {
  Kind kind;
  int arg;
  TermScan scan = TermScan::kAsWritten;
  std::uint32_t length = 0;  // TermExpression::length
};

struct RawMatch {
  unsigned id;
  std::size_t from, to;
};

// scan_text()'s candidate lists, kept per thread from one text to the next: a message is many
// small texts, and these lists were allocated, zeroed and freed for each of them.
struct CandidateBuffers {
  // A list that a huge text grew is given back rather than held for the thread's life.
  static constexpr std::size_t kKeptMatches = 1u << 16;

  std::vector<RawMatch> matches;
  std::vector<std::uint32_t> per_pattern;  // candidates so far, by pattern id

  void reset(std::size_t patterns) {
    matches.clear();
    per_pattern.assign(patterns, 0);
  }
  void trim() {
    if (matches.capacity() > kKeptMatches) std::vector<RawMatch>().swap(matches);
  }
};

struct Collector {
  const std::vector<PatternRef>* refs;
  std::string_view text;
  std::vector<RawMatch>& matches;
  std::vector<std::uint32_t>& per_pattern;
  unsigned booking_id;  // the booking reference term's id (it has no expression of its own)
  std::size_t booking_search_from = 0;  // vouched_booking_references()
};

void add(Collector& c, unsigned id, std::size_t from, std::size_t to) {
  if (c.per_pattern[id] >= kMaxCandidatesPerPattern) return;
  ++c.per_pattern[id];
  c.matches.push_back({id, from, to});
}

int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
  auto* c = static_cast<Collector*>(ctx);
  const PatternRef& ref = (*c->refs)[id];
  // Terms the database finds through a stand-in become the term's own matches here, before
  // the per-pattern cap counts them (see TermScan).
  switch (ref.scan) {
    case TermScan::kAsWritten:
      add(*c, id, from, to);
      break;
    case TermScan::kFlightNumber:
      if (auto m = flight_number_at(c->text, to)) add(*c, id, m->first, m->second);
      break;
    case TermScan::kAirportCode:
    case TermScan::kPlainWord:
      if (word_at(c->text, to - ref.length, to)) add(*c, id, to - ref.length, to);
      break;
    case TermScan::kBookingWord:
      // Hyperscan reports matches in order of their end, so each reference is added once,
      // however many words vouch for it (topics_test holds this to check_term()).
      vouched_booking_references(c->text, to - ref.length, to, c->booking_search_from,
                                 [&](std::size_t at) { add(*c, c->booking_id, at, at + 6); });
      break;
  }
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

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
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
  HyperscanScanner(hs_database_t* db, hs_database_t* context_db, hs_scratch_t* prototype,
                   std::vector<PatternRef> refs, unsigned booking_id, ContentOptions options)
      : db_(db),
        context_db_(context_db),
        prototype_(prototype),
        refs_(std::move(refs)),
        booking_id_(booking_id),
        options_(std::move(options)),
        id_(g_next_scanner_id.fetch_add(1)) {}
  ~HyperscanScanner() override {
    hs_free_scratch(prototype_);
    hs_free_database(context_db_);
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
  hs_database_t* context_db_;  // context words, scanned around candidates (ContextIndex)
  hs_scratch_t* prototype_;    // allocated for both databases
  std::vector<PatternRef> refs_;
  unsigned booking_id_;  // the booking reference term, found through booking words
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
    f.count = 0;
    for (const Hit* h : list) f.count += h->matches;
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
  static thread_local CandidateBuffers buffers;
  buffers.reset(refs_.size());
  struct TrimOnReturn {
    CandidateBuffers& buffers;
    ~TrimOnReturn() { buffers.trim(); }
  } trim_on_return{buffers};
  Collector collector{&refs_, text, buffers.matches, buffers.per_pattern, booking_id_};
  if (scratch == nullptr || hs_scan(db_, text.data(), static_cast<unsigned>(text.size()), 0,
                                    scratch, on_match, &collector) != HS_SUCCESS) {
    // Fail closed: the caller sees that this text was not examined.
    hits.push_back({"unscannable", Confidence::kHigh, 0, 0, "content scanner error", "", 0});
    emit(where, hits, out);
    return;
  }
  const ContextIndex context(text, context_db_, scratch);
  auto& matches = collector.matches;
  std::sort(matches.begin(), matches.end(), [](const RawMatch& a, const RawMatch& b) {
    if (a.id != b.id) return a.id < b.id;
    if (a.from != b.from) return a.from < b.from;
    return a.to > b.to;  // longest first for the same start
  });

  const DetectInput in{text, context, options_.context_window_bytes};
  const bool subject = iequals(where, "subject") || iequals(where, "header:subject");
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
    h.matches = tallies[t].matches;
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
    h.matches = static_cast<int>(std::min(count, kMaxFindingsPerDetector));
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

// The context words' own database (ContextIndex): match id = ContextCategory.
Result<hs_database_t*> compile_context_database() {
  std::vector<const char*> expressions;
  std::vector<unsigned> flags, ids;
  for (const PatternSpec& p : context_patterns()) {
    // ContextIndex's windows assume every context word is shorter than kMaxWordBytes.
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(p.expression, p.flags, &info, &err) != HS_SUCCESS) {
      hs_free_compile_error(err);
      return make_error(ErrorCode::kInternal, "content: a context expression does not compile");
    }
    bool too_long = info->max_width >= ContextIndex::kMaxWordBytes;
    std::free(info);
    if (too_long)
      return make_error(ErrorCode::kInternal, "content: a context word is too long for its window");
    expressions.push_back(p.expression);
    flags.push_back(p.flags);
    ids.push_back(static_cast<unsigned>(p.arg));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr, &db,
                       &err) != HS_SUCCESS) {
    std::string why = err ? err->message : "unknown error";
    hs_free_compile_error(err);
    return make_error(ErrorCode::kInternal, "content: context words do not compile: " + why);
  }
  return db;
}

}  // namespace
}  // namespace content

Result<std::shared_ptr<const ContentScanner>> ContentScanner::build(const ContentOptions& options) {
  using namespace content;
  if (options.context_window_bytes > (1u << 20))
    return make_error(ErrorCode::kConfig, "content: context_window_bytes must be at most 1 MiB");
  // Parallel vectors, one entry per compiled expression; refs is indexed by the match id,
  // and an id may have no expression of its own (the booking reference term).
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  std::vector<std::string> owner;  // who wrote each expression, for error messages
  std::vector<PatternRef> refs;
  auto add = [&](std::string expression, unsigned f, PatternRef ref, std::string who) {
    expressions.push_back(std::move(expression));
    flags.push_back(f);
    ids.push_back(static_cast<unsigned>(refs.size()));
    owner.push_back(std::move(who));
    refs.push_back(ref);
  };
  for (const PatternSpec& p : builtin_patterns())
    add(p.expression, p.flags, {p.kind, p.arg}, "built-in");
  const auto& terms = topic_terms();
  unsigned booking_id = UINT32_MAX;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const PatternRef term_ref{Kind::kTopicTerm, static_cast<int>(i)};
    if (terms[i].scan == TermScan::kBookingWord) {
      booking_id = static_cast<unsigned>(refs.size());
      refs.push_back(term_ref);
    }
    for (const TermExpression& e : database_expressions(terms[i])) {
      PatternRef ref = term_ref;
      ref.scan = terms[i].scan;
      ref.length = static_cast<std::uint32_t>(e.length);
      add(e.expression, e.flags, ref, "built-in topic");
    }
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
      add(escape_keyword(k), HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST,
          {Kind::kCustom, static_cast<int>(d)},
          "custom detector '" + c.id + "' keyword '" + k + "'");
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
      add(p, f, {Kind::kCustom, static_cast<int>(d)},
          "custom detector '" + c.id + "' pattern '" + p + "'");
    }
  }
  std::vector<const char*> cexpr;
  for (const std::string& e : expressions) cexpr.push_back(e.c_str());
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
  auto context_db = compile_context_database();
  if (!context_db) {
    hs_free_database(db);
    return std::unexpected(context_db.error());
  }
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS ||
      hs_alloc_scratch(*context_db, &scratch) != HS_SUCCESS) {
    hs_free_scratch(scratch);
    hs_free_database(*context_db);
    hs_free_database(db);
    return make_error(ErrorCode::kInternal, "content: cannot allocate Hyperscan scratch space");
  }
  return std::shared_ptr<const ContentScanner>(std::make_shared<HyperscanScanner>(
      db, *context_db, scratch, std::move(refs), booking_id, options));
}

}  // namespace sendguard
