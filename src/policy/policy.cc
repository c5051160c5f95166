#include "policy/policy.h"

#include <algorithm>
#include <map>

#include "policy/patterns.h"
#include "policy/sender_groups.h"

namespace sendguard {
namespace {

using policy::any_domain_matches;
using policy::any_glob_matches;
using policy::ascii_lower;

// Recipients are cleared for unmarked and OFFICIAL mail (rank 1) whatever the table says:
// under every scheme on the scale, OFFICIAL may go to anyone with a need to know.
constexpr int kBaselineClearance = 1;
constexpr int kInternalClearance = 1000;

struct Rule {
  RuleConfig config;
  std::vector<Verdict> verdicts;
  Confidence min_confidence = Confidence::kMedium;
  int min_rank = -1;  // -1: no level condition
  Action action = Action::kAccept;

  bool has_finding_condition() const { return !config.detectors.empty(); }
  // Conditions that need the message itself, so cannot be decided at RCPT time.
  bool needs_message() const {
    return has_finding_condition() || config.cleared.has_value() ||
           !config.attachment_types.empty() || !config.attachment_names.empty();
  }
};

std::optional<Action> parse_action(std::string_view name) {
  if (name == "accept") return Action::kAccept;
  if (name == "tag") return Action::kTag;
  if (name == "hold") return Action::kHold;
  if (name == "reject") return Action::kReject;
  if (name == "drop-recipient") return Action::kDropRecipient;
  return std::nullopt;
}

std::optional<Verdict> parse_verdict(std::string_view name) {
  for (Verdict v : {Verdict::kKnown, Verdict::kNew, Verdict::kLookalike, Verdict::kInvalid}) {
    if (to_string(v) == name) return v;
  }
  return std::nullopt;
}

Confidence parse_confidence(std::string_view name) {
  if (name == "low") return Confidence::kLow;
  if (name == "high") return Confidence::kHigh;
  return Confidence::kMedium;
}

// The mailbox inside "Name <local@domain>", or the text as given.
std::string_view bare_mailbox(std::string_view address) {
  std::size_t open = address.rfind('<');
  std::size_t close = address.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
    return address.substr(open + 1, close - open - 1);
  }
  return address;
}

std::string_view local_part(std::string_view address) {
  std::string_view mailbox = bare_mailbox(address);
  std::size_t at = mailbox.rfind('@');
  return at == std::string_view::npos ? std::string_view() : mailbox.substr(0, at);
}

// Findings whose `where` starts so concern one recipient only.
constexpr std::string_view kRecipientScope = "recipient:";

// What a finding is, in words a sender knows.
std::string describe(const Finding& f) {
  if (f.detector.starts_with("marking.") && !f.level.empty()) return "the marking " + f.level;
  static const std::map<std::string, std::string, std::less<>> kNames = {
      {"pii.credit-card", "a payment card number"},
      {"pii.iban", "a bank account number (IBAN)"},
      {"pii.uk-nino", "a National Insurance number"},
      {"pii.uk-nhs", "an NHS number"},
      {"pii.us-ssn", "a Social Security number"},
      {"secret.private-key", "a private key"},
      {"secret.aws-access-key", "an AWS access key"},
      {"secret.password", "a password"},
      {"sensitive.medical", "medical information"},
      {"sensitive.travel-itinerary", "a travel itinerary"},
      {"sensitive.tax", "tax information"},
      {"unscannable", "content sendguard could not read"},
  };
  if (auto it = kNames.find(f.detector); it != kNames.end()) return it->second;
  if (f.detector.starts_with("secret.")) return "a credential (" + f.detector.substr(7) + ")";
  return f.detector;
}

std::string join_words(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " and " : ", ";
    out += items[i];
  }
  return out;
}

}  // namespace

std::string_view to_string(Action action) {
  switch (action) {
    case Action::kAccept:
      return "accept";
    case Action::kTag:
      return "tag";
    case Action::kDropRecipient:
      return "drop-recipient";
    case Action::kHold:
      return "hold";
    case Action::kReject:
      return "reject";
  }
  return "accept";
}

struct Policy::Impl {
  std::vector<Rule> rules;
  bool monitor = false;
  std::vector<std::string> internal_domains;
  std::vector<std::pair<int, std::vector<std::string>>> clearance;  // rank, domain patterns
  policy::SenderGroups groups;
  OverrideConfig override_with;
  std::string subject_prefix;

  bool sender_matches(const Rule& rule, const Sender& sender) const {
    const RuleConfig& c = rule.config;
    if (c.authenticated && *c.authenticated == sender.auth_user.empty()) return false;
    std::string address = ascii_lower(bare_mailbox(sender.address));
    std::string login = ascii_lower(sender.auth_user);
    if (!c.senders.empty() && !any_glob_matches(c.senders, address) &&
        !(login.find('@') != std::string::npos && any_glob_matches(c.senders, login))) {
      return false;
    }
    if (!c.sender_groups.empty()) {
      bool member =
          std::any_of(c.sender_groups.begin(), c.sender_groups.end(), [&](const std::string& g) {
            return groups.contains(g, address) || (!login.empty() && groups.contains(g, login));
          });
      if (!member) return false;
    }
    return true;
  }

  bool recipient_matches(const Rule& rule, const RecipientVerdict& r) const {
    const RuleConfig& c = rule.config;
    if (!rule.verdicts.empty() &&
        std::find(rule.verdicts.begin(), rule.verdicts.end(), r.verdict) == rule.verdicts.end()) {
      return false;
    }
    if (!c.recipient_scope.empty()) {
      bool internal = !r.domain.empty() && any_domain_matches(internal_domains, r.domain);
      if ((c.recipient_scope == "internal") != internal) return false;
    }
    if (!c.recipient_domains.empty() &&
        (r.domain.empty() || !any_domain_matches(c.recipient_domains, r.domain))) {
      return false;
    }
    return true;
  }

  int clearance_of(const RecipientVerdict& r) const {
    if (r.domain.empty()) return kBaselineClearance;
    if (any_domain_matches(internal_domains, r.domain)) return kInternalClearance;
    int rank = kBaselineClearance;
    for (const auto& [level_rank, domains] : clearance) {
      if (level_rank > rank && any_domain_matches(domains, r.domain)) rank = level_rank;
    }
    return rank;
  }

  // The findings a rule's finding condition counts for recipient `r`: the message's own, and
  // those about `r` alone (where "recipient:<address>", e.g. the history's signals).
  std::vector<const Finding*> matching_findings(const Rule& rule,
                                                const std::vector<Finding>& findings,
                                                const RecipientVerdict& r) const {
    std::vector<const Finding*> out;
    for (const Finding& f : findings) {
      if (f.confidence < rule.min_confidence) continue;
      if (f.where.starts_with(kRecipientScope) &&
          std::string_view(f.where).substr(kRecipientScope.size()) != r.address)
        continue;
      if (rule.min_rank >= 0 && (!f.detector.starts_with("marking.") || f.rank < rule.min_rank))
        continue;
      if (any_glob_matches(rule.config.detectors, f.detector)) out.push_back(&f);
    }
    return out;
  }

  // The highest marking a rule would consider, or nullptr.
  const Finding* top_marking(const Rule& rule, const std::vector<Finding>& findings) const {
    const Finding* top = nullptr;
    Confidence floor =
        rule.config.min_confidence.empty() ? Confidence::kMedium : rule.min_confidence;
    for (const Finding& f : findings) {
      if (!f.detector.starts_with("marking.") || f.confidence < floor) continue;
      if (!top || f.rank > top->rank) top = &f;
    }
    return top;
  }

  bool attachment_matches(const Rule& rule, const std::vector<Attachment>& attachments) const {
    const RuleConfig& c = rule.config;
    if (c.attachment_types.empty() && c.attachment_names.empty()) return true;
    for (const Attachment& a : attachments) {
      if (any_glob_matches(c.attachment_types, a.detected_type)) return true;
      std::string_view name = a.filename;
      std::string_view base = name.substr(
          name.find_last_of('/') == std::string_view::npos ? 0 : name.find_last_of('/') + 1);
      if (any_glob_matches(c.attachment_names, name) || any_glob_matches(c.attachment_names, base))
        return true;
    }
    return false;
  }

  // Whether the rule holds for this recipient of this message; `why` collects the evidence in
  // words for the reason shown to the sender.
  bool message_matches(const Rule& rule, const PolicyInput& input, const RecipientVerdict& r,
                       std::vector<std::string>& why) const {
    if (rule.has_finding_condition()) {
      std::vector<const Finding*> found = matching_findings(rule, input.findings, r);
      int count = 0;
      for (const Finding* f : found) count += f->count;
      if (found.empty() || count < rule.config.min_count) return false;
      std::vector<std::string> described;
      for (const Finding* f : found) {
        // A finding about the recipient carries its own evidence, in words for the sender.
        if (f->where.starts_with(kRecipientScope)) {
          if (!f->excerpt.empty()) why.push_back(f->excerpt);
          continue;
        }
        std::string d = describe(*f);
        if (std::find(described.begin(), described.end(), d) == described.end())
          described.push_back(d);
        if (described.size() == 3) break;
      }
      if (!described.empty()) why.push_back("the message contains " + join_words(described));
    }
    if (rule.config.cleared) {
      const Finding* top = top_marking(rule, input.findings);
      bool uncleared = top && top->rank > clearance_of(r);
      if (uncleared == *rule.config.cleared) return false;
      if (uncleared) {
        why.push_back((r.domain.empty() ? std::string("the recipient") : r.domain) +
                      " is not cleared for " + (top->level.empty() ? "its marking" : top->level));
      }
    }
    if (!attachment_matches(rule, input.attachments)) return false;
    if (!rule.config.attachment_types.empty() || !rule.config.attachment_names.empty()) {
      why.push_back("the message has an attachment of a kind the policy names");
    }
    return true;
  }

  std::string reason_for(const Rule& rule, const RecipientVerdict& r,
                         std::vector<std::string> why) const {
    std::string reason;
    if (r.verdict == Verdict::kLookalike && !rule.verdicts.empty()) {
      reason = r.explanation;
      if (!r.intended.empty()) {
        std::string_view local = local_part(r.address);
        reason += " Did you mean " +
                  (local.empty() ? r.intended : std::string(local) + "@" + r.intended) + "?";
      }
    } else if (r.verdict == Verdict::kInvalid && !rule.verdicts.empty()) {
      reason = r.explanation.empty() ? "The address is not valid." : r.explanation;
    } else {
      if (r.verdict == Verdict::kNew && std::find(rule.verdicts.begin(), rule.verdicts.end(),
                                                  Verdict::kNew) != rule.verdicts.end()) {
        why.push_back((r.domain.empty() ? std::string("the recipient") : r.domain) +
                      " is not among the domains your organisation writes to");
      }
      if (!why.empty()) {
        // Domains stay lower case even at the start of the sentence: they are what the sender
        // has to recognise.
        reason = join_words(why) + ".";
        if (reason.starts_with("the ")) reason[0] = 'T';
      }
    }
    if (!rule.config.reply.empty()) reason += (reason.empty() ? "" : " ") + rule.config.reply;
    return reason;
  }
};

Policy::Policy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Policy::~Policy() = default;

Result<std::shared_ptr<const Policy>> Policy::build(const PolicyConfig& config,
                                                    const std::string& source) {
  auto impl = std::make_unique<Impl>();
  auto at = [&](int line) {
    return source + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": ";
  };
  impl->monitor = config.mode == "monitor";
  for (const std::string& d : config.internal_domains)
    impl->internal_domains.push_back(ascii_lower(d));
  impl->override_with = config.override_with;
  impl->subject_prefix = config.subject_prefix;
  auto groups = policy::SenderGroups::load(config.sender_groups_file);
  if (!groups) return std::unexpected(groups.error());
  impl->groups = std::move(*groups);
  for (const ClearanceConfig& c : config.clearance) {
    int rank = marking_rank(c.level);
    if (rank < 0) {
      return make_error(ErrorCode::kConfig,
                        at(c.line) + "policy.clearance: \"" + c.level +
                            "\" is not a marking level (e.g. OFFICIAL-SENSITIVE, SECRET, "
                            "NATO SECRET, CUI)");
    }
    std::vector<std::string> domains;
    for (const std::string& d : c.domains) domains.push_back(ascii_lower(d));
    impl->clearance.emplace_back(rank, std::move(domains));
  }
  for (const RuleConfig& c : config.rules) {
    Rule rule;
    rule.config = c;
    const std::string where = at(c.line) + "policy.rules." + c.id + ": ";
    for (const std::string& v : c.recipient) {
      auto verdict = parse_verdict(v);
      if (!verdict) return make_error(ErrorCode::kConfig, where + "\"" + v + "\" is not a verdict");
      rule.verdicts.push_back(*verdict);
    }
    if (!c.min_confidence.empty()) rule.min_confidence = parse_confidence(c.min_confidence);
    if (!c.min_level.empty()) {
      rule.min_rank = marking_rank(c.min_level);
      if (rule.min_rank < 0) {
        return make_error(ErrorCode::kConfig,
                          where + "min_level \"" + c.min_level +
                              "\" is not a marking level (e.g. OFFICIAL-SENSITIVE, SECRET, CUI)");
      }
    }
    for (const std::string& g : c.sender_groups) {
      if (!impl->groups.has_group(g)) {
        return make_error(ErrorCode::kConfig,
                          where + "sender group \"" + g + "\" is not defined in " +
                              (config.sender_groups_file.empty()
                                   ? std::string("policy.sender_groups_file (none is set)")
                                   : config.sender_groups_file));
      }
    }
    for (auto* list : {&rule.config.recipient_domains, &rule.config.senders}) {
      for (std::string& p : *list) p = ascii_lower(p);
    }
    std::optional<Action> action = parse_action(c.action);
    if (!action) {
      return make_error(ErrorCode::kConfig,
                        where + "\"" + c.action +
                            "\" is not an action (accept, tag, hold, reject, drop-recipient)");
    }
    rule.action = *action;
    if (rule.action == Action::kAccept && c.overridable) {
      return make_error(ErrorCode::kConfig, where + "an accept rule has nothing to override");
    }
    impl->rules.push_back(std::move(rule));
  }
  return std::shared_ptr<const Policy>(new Policy(std::move(impl)));
}

bool Policy::monitor() const { return impl_->monitor; }

bool Policy::is_internal(std::string_view domain) const {
  return any_domain_matches(impl_->internal_domains, domain);
}

std::optional<RecipientDecision> Policy::decide_recipient(const RecipientVerdict& recipient,
                                                          const Sender& sender) const {
  for (const Rule& rule : impl_->rules) {
    if (!impl_->sender_matches(rule, sender) || !impl_->recipient_matches(rule, recipient))
      continue;
    // This rule may decide, but only the message can tell whether it does (or whether the
    // sender confirmed past it).
    if (rule.needs_message() || rule.config.overridable) return std::nullopt;
    RecipientDecision d;
    d.address = recipient.address;
    d.action = rule.action;
    d.rule = rule.config.id;
    if (rule.action != Action::kAccept) d.reason = impl_->reason_for(rule, recipient, {});
    return d;
  }
  return RecipientDecision{recipient.address, Action::kAccept, "", "", false};
}

Decision Policy::decide(const PolicyInput& input) const {
  Decision decision;
  decision.monitor = impl_->monitor;
  std::optional<std::string> justification =
      override_justification(input.headers, input.subject, impl_->override_with);
  for (const RecipientVerdict& r : input.recipients) {
    RecipientDecision d;
    d.address = r.address;
    for (const Rule& rule : impl_->rules) {
      std::vector<std::string> why;
      if (!impl_->sender_matches(rule, input.sender) || !impl_->recipient_matches(rule, r) ||
          !impl_->message_matches(rule, input, r, why)) {
        continue;
      }
      d.rule = rule.config.id;
      d.action = rule.action;
      if (rule.action != Action::kAccept) d.reason = impl_->reason_for(rule, r, std::move(why));
      if (rule.config.overridable && justification) {
        d.action = Action::kTag;
        d.overridden = true;
        decision.override_justification = *justification;
      }
      break;
    }
    if (d.action >= decision.action && (d.action > decision.action || decision.rule.empty())) {
      decision.action = d.action;
      decision.rule = d.rule;
    }
    decision.recipients.push_back(std::move(d));
  }
  bool all_dropped =
      !decision.recipients.empty() &&
      std::all_of(decision.recipients.begin(), decision.recipients.end(),
                  [](const RecipientDecision& d) { return d.action == Action::kDropRecipient; });
  if (all_dropped) decision.action = Action::kReject;

  if (decision.action == Action::kReject) {
    std::vector<std::string> parts;
    for (const RecipientDecision& d : decision.recipients) {
      if (d.action == Action::kReject || d.action == Action::kDropRecipient) {
        std::string part = std::string(bare_mailbox(d.address));
        if (!d.reason.empty()) part += ": " + d.reason;
        if (std::find(parts.begin(), parts.end(), part) == parts.end()) parts.push_back(part);
      }
    }
    decision.reply = "Message not sent. ";
    for (std::size_t i = 0; i < parts.size(); ++i) decision.reply += (i ? " " : "") + parts[i];
  }
  if (decision.action == Action::kTag || decision.action == Action::kHold) {
    decision.add_headers.emplace_back("X-Sendguard-Action",
                                      std::string(to_string(decision.action)));
    if (!decision.rule.empty())
      decision.add_headers.emplace_back("X-Sendguard-Rule", decision.rule);
    std::string summary;
    for (const Finding& f : input.findings) {
      if (f.confidence == Confidence::kLow) continue;
      std::string item = f.detector + (f.level.empty() ? "" : "=" + f.level) + "/" +
                         std::string(to_string(f.confidence));
      if (summary.find(item) != std::string::npos) continue;
      if (summary.size() + item.size() > 800) break;
      summary += (summary.empty() ? "" : ", ") + item;
    }
    decision.add_headers.emplace_back("X-Sendguard-Findings", summary.empty() ? "none" : summary);
    if (!decision.override_justification.empty()) {
      decision.add_headers.emplace_back("X-Sendguard-Overridden", "confirmed by the sender");
    }
    decision.subject_prefix = impl_->subject_prefix;
  }
  if (!decision.override_justification.empty()) {
    const OverrideConfig& with = impl_->override_with;
    std::string wanted = ascii_lower(with.header);
    for (const auto& [name, value] : input.headers) {
      if (!with.header.empty() && ascii_lower(name) == wanted) {
        decision.remove_headers.push_back(with.header);
        break;
      }
    }
    decision.subject_without_override = subject_without_override_tag(input.subject, with);
  }
  return decision;
}

namespace {

std::string trimmed(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return std::string();
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// Where "[<keyword>: ...]" sits in the subject: the offsets of '[' and of the text after ':'
// and of ']'. The keyword is matched without regard to case.
struct SubjectTag {
  std::size_t open, text, close;
};

std::optional<SubjectTag> find_subject_tag(std::string_view subject, const OverrideConfig& config) {
  if (config.subject_keyword.empty()) return std::nullopt;
  std::string lower_subject = ascii_lower(subject);
  std::string marker = "[" + ascii_lower(config.subject_keyword) + ":";
  std::size_t start = lower_subject.find(marker);
  if (start == std::string::npos) return std::nullopt;
  std::size_t close = subject.find(']', start);
  if (close == std::string_view::npos) return std::nullopt;
  return SubjectTag{start, start + marker.size(), close};
}

}  // namespace

std::optional<std::string> override_justification(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view subject,
    const OverrideConfig& config) {
  auto long_enough = [&](const std::string& s) {
    return static_cast<int>(s.size()) >= config.min_justification_chars;
  };
  if (!config.header.empty()) {
    std::string wanted = ascii_lower(config.header);
    for (const auto& [name, value] : headers) {
      if (ascii_lower(name) != wanted) continue;
      std::string justification = trimmed(value);
      if (long_enough(justification)) return justification.substr(0, 500);
    }
  }
  if (auto tag = find_subject_tag(subject, config)) {
    std::string justification = trimmed(subject.substr(tag->text, tag->close - tag->text));
    if (long_enough(justification)) return justification.substr(0, 500);
  }
  return std::nullopt;
}

std::optional<std::string> subject_without_override_tag(std::string_view subject,
                                                        const OverrideConfig& config) {
  auto tag = find_subject_tag(subject, config);
  if (!tag) return std::nullopt;
  std::string before = trimmed(subject.substr(0, tag->open));
  std::string after = trimmed(subject.substr(tag->close + 1));
  return before + (before.empty() || after.empty() ? "" : " ") + after;
}

}  // namespace sendguard
