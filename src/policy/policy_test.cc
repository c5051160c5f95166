#include "policy/policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "policy/patterns.h"

namespace sendguard {
namespace {

RecipientVerdict verdict(const std::string& address, Verdict v, const std::string& intended = "",
                         const std::string& explanation = "") {
  RecipientVerdict r;
  r.address = address;
  r.domain = address.substr(address.rfind('@') + 1);
  if (!r.domain.empty() && r.domain.back() == '>') r.domain.pop_back();
  r.verdict = v;
  r.intended = intended;
  r.explanation = explanation;
  return r;
}

Finding marking(const std::string& detector, const std::string& level,
                Confidence c = Confidence::kHigh) {
  Finding f;
  f.detector = detector;
  f.level = level;
  f.rank = marking_rank(level);
  f.confidence = c;
  f.where = "body";
  return f;
}

Finding finding(const std::string& detector, Confidence c, int count = 1) {
  Finding f;
  f.detector = detector;
  f.confidence = c;
  f.count = count;
  f.where = "body";
  return f;
}

RuleConfig rule(const std::string& id, const std::string& action) {
  RuleConfig r;
  r.id = id;
  r.action = action;
  return r;
}

// The shape of the shipped default: reject lookalike/invalid, hold marked and credential mail
// to unknown domains, tag the rest.
PolicyConfig default_like() {
  PolicyConfig p;
  p.internal_domains = {"example.org"};
  RuleConfig lookalike = rule("lookalike-recipient", "reject");
  lookalike.recipient = {"lookalike", "invalid"};
  RuleConfig marked = rule("marked-to-unknown", "hold");
  marked.recipient = {"new"};
  marked.detectors = {"marking.*"};
  marked.min_level = "OFFICIAL-SENSITIVE";
  marked.overridable = true;
  RuleConfig uncleared = rule("marked-uncleared", "hold");
  uncleared.cleared = false;
  RuleConfig credentials = rule("credentials-to-unknown", "hold");
  credentials.recipient = {"new"};
  credentials.detectors = {"secret.*"};
  p.rules = {lookalike, marked, uncleared, credentials, rule("tag-everything", "tag")};
  p.clearance = {{"SECRET", {"*.mil"}, 0}, {"OFFICIAL-SENSITIVE", {"partner.example"}, 0}};
  return p;
}

std::shared_ptr<const Policy> build(const PolicyConfig& config) {
  auto policy = Policy::build(config, "test.yaml");
  EXPECT_TRUE(policy.has_value()) << policy.error().message;
  return policy ? *policy : nullptr;
}

TEST(PolicyPatterns, GlobsAndDomains) {
  EXPECT_TRUE(policy::glob_match("secret.*", "secret.password"));
  EXPECT_FALSE(policy::glob_match("secret.*", "pii.iban"));
  EXPECT_TRUE(policy::glob_match("*", ""));
  EXPECT_TRUE(policy::glob_match("*@FINANCE.example.org", "bob@finance.example.org"));
  EXPECT_TRUE(policy::domain_matches("army.mil", "army.mil"));
  EXPECT_TRUE(policy::domain_matches("army.mil", "hq.army.mil."));
  EXPECT_FALSE(policy::domain_matches("army.mil", "notarmy.mil"));
  EXPECT_TRUE(policy::domain_matches("*.gov.uk", "hmrc.gov.uk"));
  EXPECT_FALSE(policy::domain_matches("*.gov.uk", "gov.uk.evil.example"));
}

TEST(Policy, LookalikeIsRejectedAtRcptWithTheIntendedAddress) {
  auto policy = build(default_like());
  auto d = policy->decide_recipient(
      verdict("Bob <bob@army.ml>", Verdict::kLookalike, "army.mil",
              "army.ml looks like army.mil with the letter i missing from the top-level domain."),
      {"alice@example.org", "alice"});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->action, Action::kReject);
  EXPECT_EQ(d->rule, "lookalike-recipient");
  EXPECT_NE(d->reason.find("army.ml looks like army.mil"), std::string::npos) << d->reason;
  EXPECT_NE(d->reason.find("Did you mean bob@army.mil?"), std::string::npos) << d->reason;
}

TEST(Policy, RcptDecisionWaitsWhenAnEarlierRuleNeedsTheMessage) {
  auto policy = build(default_like());
  // A new domain might receive marked mail (hold), so the RCPT stage cannot decide it.
  EXPECT_FALSE(
      policy->decide_recipient(verdict("x@unknown.example", Verdict::kNew), {}).has_value());
  // A known domain passes the recipient-only rules and reaches the uncleared rule, which
  // needs the message as well.
  EXPECT_FALSE(policy->decide_recipient(verdict("x@army.mil", Verdict::kKnown), {}).has_value());

  PolicyConfig simple;
  RuleConfig lookalike = rule("lookalike", "reject");
  lookalike.recipient = {"lookalike"};
  simple.rules = {lookalike, rule("tag", "tag")};
  auto fast = build(simple);
  auto known = fast->decide_recipient(verdict("x@army.mil", Verdict::kKnown), {});
  ASSERT_TRUE(known.has_value());
  EXPECT_EQ(known->action, Action::kTag);
}

TEST(Policy, OfficialSensitiveToUnknownDomainIsHeldAndTaggedElsewhere) {
  auto policy = build(default_like());
  PolicyInput input;
  input.recipients = {verdict("a@unknown.example", Verdict::kNew)};
  input.findings = {marking("marking.uk", "OFFICIAL-SENSITIVE")};
  Decision d = policy->decide(input);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.rule, "marked-to-unknown");
  EXPECT_NE(d.recipients[0].reason.find("OFFICIAL-SENSITIVE"), std::string::npos)
      << d.recipients[0].reason;
  EXPECT_NE(d.recipients[0].reason.find("unknown.example"), std::string::npos)
      << d.recipients[0].reason;
  bool has_action_header = false;
  for (const auto& [name, value] : d.add_headers)
    has_action_header |= name == "X-Sendguard-Action" && value == "hold";
  EXPECT_TRUE(has_action_header);

  // OFFICIAL alone is routine; a low-confidence OFFICIAL-SENSITIVE is not evidence enough.
  input.findings = {marking("marking.uk", "OFFICIAL"),
                    marking("marking.uk", "OFFICIAL-SENSITIVE", Confidence::kLow)};
  EXPECT_EQ(policy->decide(input).action, Action::kTag);
}

TEST(Policy, EquivalentLevelsOfOtherSchemesCount) {
  auto policy = build(default_like());
  PolicyInput input;
  input.recipients = {verdict("a@unknown.example", Verdict::kNew)};
  for (const char* level : {"NATO RESTRICTED", "SECRET", "COSMIC TOP SECRET"}) {
    input.findings = {marking("marking.nato", level)};
    EXPECT_EQ(policy->decide(input).action, Action::kHold) << level;
  }
  input.findings = {marking("marking.nato", "NATO UNCLASSIFIED")};
  EXPECT_EQ(policy->decide(input).action, Action::kTag);
}

TEST(Policy, ClearanceTableDecidesKnownRecipients) {
  auto policy = build(default_like());
  PolicyInput input;
  input.findings = {marking("marking.uk", "SECRET")};
  input.recipients = {verdict("a@army.mil", Verdict::kKnown),
                      verdict("b@partner.example", Verdict::kKnown),
                      verdict("c@example.org", Verdict::kKnown)};
  Decision d = policy->decide(input);
  EXPECT_EQ(d.recipients[0].action, Action::kTag);   // *.mil cleared for SECRET
  EXPECT_EQ(d.recipients[1].action, Action::kHold);  // partner only up to OFFICIAL-SENSITIVE
  EXPECT_NE(d.recipients[1].reason.find("partner.example is not cleared for SECRET"),
            std::string::npos)
      << d.recipients[1].reason;
  EXPECT_EQ(d.recipients[2].action, Action::kTag);  // internal
  EXPECT_EQ(d.action, Action::kHold);

  input.findings = {marking("marking.uk", "OFFICIAL-SENSITIVE")};
  EXPECT_EQ(policy->decide(input).action, Action::kTag);
}

TEST(Policy, CredentialsToUnknownDomainAreHeldButLowConfidenceIsNot) {
  auto policy = build(default_like());
  PolicyInput input;
  input.recipients = {verdict("a@unknown.example", Verdict::kNew)};
  input.findings = {finding("secret.password", Confidence::kMedium)};
  EXPECT_EQ(policy->decide(input).action, Action::kHold);
  input.findings = {finding("secret.password", Confidence::kLow)};
  EXPECT_EQ(policy->decide(input).action, Action::kTag);
  input.findings = {finding("secret.password", Confidence::kHigh)};
  input.recipients = {verdict("a@army.mil", Verdict::kKnown)};
  EXPECT_EQ(policy->decide(input).action, Action::kTag);
}

TEST(Policy, OverrideWithJustificationTurnsHoldIntoTagAndIsRecorded) {
  auto policy = build(default_like());
  PolicyInput input;
  input.recipients = {verdict("a@unknown.example", Verdict::kNew)};
  input.findings = {marking("marking.uk", "OFFICIAL-SENSITIVE")};
  input.headers = {{"X-Sendguard-Override", "contract 2291 signed, DPA in place"}};
  Decision d = policy->decide(input);
  EXPECT_EQ(d.action, Action::kTag);
  EXPECT_TRUE(d.recipients[0].overridden);
  EXPECT_EQ(d.override_justification, "contract 2291 signed, DPA in place");

  input.headers = {{"X-Sendguard-Override", "ok"}};  // too short to be a justification
  EXPECT_EQ(policy->decide(input).action, Action::kHold);

  input.headers.clear();
  input.subject = "Report [override: requested by their security officer] Q3";
  d = policy->decide(input);
  EXPECT_EQ(d.action, Action::kTag);
  EXPECT_EQ(d.override_justification, "requested by their security officer");
}

TEST(Policy, OverrideDoesNotApplyToRulesThatAreNotOverridable) {
  auto policy = build(default_like());
  PolicyInput input;
  input.recipients = {
      verdict("a@army.ml", Verdict::kLookalike, "army.mil", "army.ml looks like army.mil.")};
  input.headers = {{"X-Sendguard-Override", "I am quite sure about this one"}};
  Decision d = policy->decide(input);
  EXPECT_EQ(d.action, Action::kReject);
  EXPECT_TRUE(d.override_justification.empty());
  EXPECT_NE(d.reply.find("a@army.ml: army.ml looks like army.mil. Did you mean a@army.mil?"),
            std::string::npos)
      << d.reply;
}

TEST(Policy, DropRecipientRemovesOnlyThatRecipientUnlessItIsTheLast) {
  PolicyConfig config;
  RuleConfig drop = rule("drop-new", "drop-recipient");
  drop.recipient = {"new"};
  config.rules = {drop};
  auto policy = build(config);
  PolicyInput input;
  input.recipients = {verdict("a@known.example", Verdict::kKnown),
                      verdict("b@other.example", Verdict::kNew)};
  Decision d = policy->decide(input);
  EXPECT_EQ(d.action, Action::kDropRecipient);
  EXPECT_EQ(d.recipients[0].action, Action::kAccept);
  EXPECT_EQ(d.recipients[1].action, Action::kDropRecipient);
  input.recipients = {verdict("b@other.example", Verdict::kNew)};
  EXPECT_EQ(policy->decide(input).action, Action::kReject);
}

TEST(Policy, MonitorModeDecidesTheSameAndSaysSo) {
  PolicyConfig config = default_like();
  config.mode = "monitor";
  auto policy = build(config);
  PolicyInput input;
  input.recipients = {verdict("a@army.ml", Verdict::kLookalike, "army.mil", "x")};
  Decision d = policy->decide(input);
  EXPECT_TRUE(d.monitor);
  EXPECT_EQ(d.action, Action::kReject);
}

TEST(Policy, SenderGroupsAuthenticationAndAttachments) {
  namespace fs = std::filesystem;
  fs::path groups = fs::temp_directory_path() / ("sendguard-groups-" + std::to_string(::getpid()));
  std::ofstream(groups)
      << "# who may send payroll\nfinance: carol@example.org @payroll.example.org\n";
  PolicyConfig config;
  config.sender_groups_file = groups.string();
  RuleConfig payroll = rule("payroll-outside-finance", "hold");
  payroll.attachment_names = {"payroll*.xlsx"};
  payroll.authenticated = true;
  RuleConfig finance_ok = rule("finance", "accept");
  finance_ok.sender_groups = {"finance"};
  config.rules = {finance_ok, payroll};
  auto policy = build(config);
  fs::remove(groups);
  PolicyInput input;
  input.recipients = {verdict("x@bank.example", Verdict::kKnown)};
  input.attachments = {{"reports/Payroll-2026.XLSX", "", "xlsx", 100}};
  input.sender = {"dave@example.org", "dave"};
  EXPECT_EQ(policy->decide(input).action, Action::kHold);
  input.sender = {"dave@example.org", ""};  // not logged in: the rule asks for authenticated
  EXPECT_EQ(policy->decide(input).action, Action::kAccept);
  input.sender = {"Zed <zed@PAYROLL.example.org>", "zed"};
  EXPECT_EQ(policy->decide(input).action, Action::kAccept);
}

TEST(Policy, ConfigurationErrorsNameFileLineAndValue) {
  PolicyConfig config;
  RuleConfig bad_level = rule("marked", "hold");
  bad_level.detectors = {"marking.*"};
  bad_level.min_level = "VERY SECRET";
  bad_level.line = 12;
  config.rules = {bad_level};
  auto policy = Policy::build(config, "site.yaml");
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().message.find("site.yaml:12:"), std::string::npos)
      << policy.error().message;
  EXPECT_NE(policy.error().message.find("VERY SECRET"), std::string::npos);

  RuleConfig group = rule("g", "tag");
  group.sender_groups = {"nobody"};
  config.rules = {group};
  policy = Policy::build(config, "site.yaml");
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().message.find("\"nobody\""), std::string::npos);

  config.rules = {rule("no-action", "")};
  policy = Policy::build(config, "site.yaml");
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().message.find("not an action"), std::string::npos);

  config.rules.clear();
  config.clearance = {{"SUPER SECRET", {"*.mil"}, 4}};
  policy = Policy::build(config, "site.yaml");
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().message.find("site.yaml:4:"), std::string::npos);
}

TEST(Policy, NoRulesAcceptsEverything) {
  auto policy = build(PolicyConfig{});
  PolicyInput input;
  input.recipients = {verdict("a@army.ml", Verdict::kLookalike, "army.mil", "x")};
  Decision d = policy->decide(input);
  EXPECT_EQ(d.action, Action::kAccept);
  EXPECT_TRUE(d.add_headers.empty());
}

}  // namespace
}  // namespace sendguard

namespace sendguard {
namespace {

TEST(Policy, FindingsAboutOneRecipientDecideForThatRecipientAlone) {
  PolicyConfig config;
  RuleConfig unusual = rule("unusual-recipient", "hold");
  unusual.detectors = {"recipient.unusual-group"};
  unusual.min_confidence = "high";
  config.rules = {unusual, rule("tag-inspected", "tag")};
  auto policy = build(config);
  ASSERT_TRUE(policy);
  PolicyInput input;
  input.sender = {"alice@example.org", ""};
  input.recipients = {verdict("john.smith@gmail.com", Verdict::kNew),
                      verdict("bob@army.mil", Verdict::kKnown)};
  Finding signal = finding("recipient.unusual-group", Confidence::kHigh);
  signal.where = "recipient:john.smith@gmail.com";
  signal.excerpt =
      "you have sent 12 messages to john.smith@army.mil and none to "
      "john.smith@gmail.com";
  input.findings = {signal};
  Decision d = policy->decide(input);
  ASSERT_EQ(d.recipients.size(), 2u);
  EXPECT_EQ(d.recipients[0].action, Action::kHold);
  EXPECT_EQ(d.recipients[0].rule, "unusual-recipient");
  // The reason quotes the evidence, not "the message contains ...".
  EXPECT_NE(d.recipients[0].reason.find("none to john.smith@gmail.com"), std::string::npos)
      << d.recipients[0].reason;
  EXPECT_EQ(d.recipients[0].reason.find("the message contains"), std::string::npos);
  EXPECT_EQ(d.recipients[1].action, Action::kTag);
  EXPECT_EQ(d.recipients[1].rule, "tag-inspected");
}

}  // namespace
}  // namespace sendguard
