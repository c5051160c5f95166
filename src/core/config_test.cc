#include "core/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace sendguard {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sendguard-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_;
};

TEST_F(ConfigTest, EmbeddedDefaultIsValid) {
  auto config = default_config();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->public_suffix_list, "/usr/share/publicsuffix/public_suffix_list.dat");
  EXPECT_FALSE(config->recipients.sister_groups.empty());
}

TEST_F(ConfigTest, ReadsEveryKeyAndResolvesRelativePaths) {
  std::string path = write("sendguard.yaml", R"(version: 1
recipients:
  known_domains: [army.mil, navy.mil]
  known_domains_files: [partners.txt]
  trusted_suffixes: [gov.uk]
  sister_groups:
    - [nhs.net, nhs.uk]
  mail_providers_file: providers.txt
)");
  auto config = load_config(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->recipients.known_domains, (std::vector<std::string>{"army.mil", "navy.mil"}));
  EXPECT_EQ(config->recipients.known_domains_files.at(0), (dir_ / "partners.txt").string());
  EXPECT_EQ(config->recipients.trusted_suffixes.at(0), "gov.uk");
  EXPECT_EQ(config->recipients.sister_groups.at(0).size(), 2u);
  EXPECT_EQ(config->recipients.mail_providers_file, (dir_ / "providers.txt").string());
}

TEST_F(ConfigTest, ErrorsNameFileLineAndKey) {
  std::string path = write("bad.yaml", "version: 1\nrecipients:\n  known_domain: [army.mil]\n");
  auto config = load_config(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::kConfig);
  EXPECT_NE(config.error().message.find(path + ":3"), std::string::npos) << config.error().message;
  EXPECT_NE(config.error().message.find("recipients.known_domain"), std::string::npos);
}

TEST_F(ConfigTest, RejectsWrongVersionBrokenYamlAndWrongTypes) {
  auto no_version = load_config(write("a.yaml", "recipients: {}\n"));
  ASSERT_FALSE(no_version.has_value());
  EXPECT_NE(no_version.error().message.find("version"), std::string::npos);

  auto version2 = load_config(write("b.yaml", "version: 2\n"));
  ASSERT_FALSE(version2.has_value());
  EXPECT_NE(version2.error().message.find(":1"), std::string::npos);

  auto broken = load_config(write("c.yaml", "version: 1\nrecipients: [unclosed\n"));
  ASSERT_FALSE(broken.has_value());
  EXPECT_NE(broken.error().message.find("not valid YAML"), std::string::npos);

  auto wrong_type =
      load_config(write("d.yaml", "version: 1\nrecipients:\n  known_domains: army.mil\n"));
  ASSERT_FALSE(wrong_type.has_value());
  EXPECT_NE(wrong_type.error().message.find("expected a list"), std::string::npos);

  auto lonely =
      load_config(write("e.yaml", "version: 1\nrecipients:\n  sister_groups: [[nhs.uk]]\n"));
  ASSERT_FALSE(lonely.has_value());
  EXPECT_NE(lonely.error().message.find("at least two"), std::string::npos);

  auto missing = load_config((dir_ / "nope.yaml").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("cannot read"), std::string::npos);

  auto binary = load_config(write("f.yaml", std::string("\x00\xff\xfe garbage", 11)));
  EXPECT_FALSE(binary.has_value());
}

TEST_F(ConfigTest, DomainListSkipsCommentsAndNamesBadLines) {
  std::string good = write("known.txt", "# partners\narmy.mil\n\n  navy.mil  # the navy\r\n");
  auto list = read_domain_list(good);
  ASSERT_TRUE(list.has_value()) << list.error().message;
  EXPECT_EQ(*list, (std::vector<std::string>{"army.mil", "navy.mil"}));

  std::string bad = write("bad.txt", "army.mil\nnot a domain\n");
  auto failed = read_domain_list(bad);
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message.find(bad + ":2"), std::string::npos) << failed.error().message;

  std::string invalid = write("invalid.txt", "army.mil\nexa_mple.com\n");
  auto rejected = read_domain_list(invalid);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().message.find(invalid + ":2"), std::string::npos);
}

TEST_F(ConfigTest, ReadsCustomDetectorsAndLimits) {
  std::string path = write("content.yaml", R"(version: 1
content:
  custom_detectors:
    - id: org.project-falcon
      keywords: [falcon, "project falcon"]
      patterns: ['FAL-[0-9]{6}']
      weight: 0.5
  limits:
    max_depth: 5
    time_budget_ms: 2000
)");
  auto config = load_config(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  ASSERT_EQ(config->content.custom_detectors.size(), 1u);
  const CustomDetectorConfig& d = config->content.custom_detectors[0];
  EXPECT_EQ(d.id, "org.project-falcon");
  EXPECT_EQ(d.keywords.size(), 2u);
  EXPECT_EQ(d.patterns.at(0), "FAL-[0-9]{6}");
  EXPECT_DOUBLE_EQ(d.weight, 0.5);
  EXPECT_EQ(config->content.limits.max_depth, 5);
  EXPECT_EQ(config->content.limits.time_budget_ms, 2000);
  EXPECT_EQ(config->content.limits.max_parts, 500);  // default kept
}

TEST_F(ConfigTest, RejectsBadCustomDetectorsAndLimits) {
  auto no_prefix = load_config(
      write("a.yaml",
            "version: 1\ncontent:\n  custom_detectors:\n    - id: falcon\n      keywords: [x]\n"));
  ASSERT_FALSE(no_prefix.has_value());
  EXPECT_NE(no_prefix.error().message.find(":4: content.custom_detectors.id"), std::string::npos)
      << no_prefix.error().message;

  auto empty =
      load_config(write("b.yaml", "version: 1\ncontent:\n  custom_detectors:\n    - id: org.x\n"));
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().message.find("neither keywords nor patterns"), std::string::npos);

  auto depth = load_config(write("c.yaml", "version: 1\ncontent:\n  limits:\n    max_depth: -3\n"));
  ASSERT_FALSE(depth.has_value());
  EXPECT_NE(depth.error().message.find(":4: content.limits.max_depth"), std::string::npos)
      << depth.error().message;

  auto words =
      load_config(write("d.yaml", "version: 1\ncontent:\n  limits:\n    time_budget_ms: soon\n"));
  ASSERT_FALSE(words.has_value());
  EXPECT_NE(words.error().message.find("whole number"), std::string::npos);

  auto weight = load_config(write("e.yaml",
                                  "version: 1\ncontent:\n  custom_detectors:\n    - id: org.x\n    "
                                  "  keywords: [x]\n      weight: 0\n"));
  ASSERT_FALSE(weight.has_value());
  EXPECT_NE(weight.error().message.find("content.custom_detectors.weight"), std::string::npos);
}

TEST_F(ConfigTest, EmbeddedMailProvidersIncludeTheUsualOnes) {
  auto providers = embedded_mail_providers();
  for (const char* d : {"gmail.com", "ymail.com", "mail.com", "email.com", "outlook.com"}) {
    EXPECT_NE(std::find(providers.begin(), providers.end(), d), providers.end()) << d;
  }
}

TEST_F(ConfigTest, DefaultPolicyHasTheShippedRules) {
  auto config = default_config();
  ASSERT_TRUE(config.has_value()) << config.error().message;
  ASSERT_GE(config->policy.rules.size(), 4u);
  EXPECT_EQ(config->policy.rules.front().id, "lookalike-recipient");
  EXPECT_EQ(config->policy.rules.front().action, "reject");
  EXPECT_EQ(config->policy.mode, "enforce");
  EXPECT_EQ(config->gateway.on_failure, "tempfail");
  EXPECT_EQ(config->gateway.sender_notice_command,
            (std::vector<std::string>{"/usr/sbin/sendmail", "-t", "-oi", "-f", "<>"}));
  EXPECT_EQ(config->gateway.stale_release_s, 600);
  EXPECT_EQ(config->store.backend, "sqlite");
}

TEST_F(ConfigTest, ReadsPolicyGatewayAndStore) {
  std::string path = write("sendguard.yaml", R"(version: 1
policy:
  mode: monitor
  internal_domains: [example.org]
  clearance:
    SECRET: ["*.mil"]
  rules:
    - id: hold-secrets
      when:
        recipient: [new, lookalike]
        finding: { detector: "secret.*", min_count: 2 }
        authenticated: true
      action: hold
      overridable: true
gateway:
  listen: unix:/run/sendguard/milter.sock
  socket_mode: "0666"
  state_dir: state
  on_failure: accept
  stale_release_s: 120
  sender_notice_command: [/usr/sbin/sendmail, -C, /etc/postfix-out, -t, -oi, -f, "<>"]
  sender_notice_from: "Mail guard <postmaster@example.org>"
store:
  backend: postgresql
  postgresql_dsn: "host=127.0.0.1 dbname=sendguard"
)");
  auto config = load_config(path);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->policy.mode, "monitor");
  ASSERT_EQ(config->policy.rules.size(), 1u);
  const RuleConfig& rule = config->policy.rules[0];
  EXPECT_EQ(rule.line, 8);  // the line of "- id: hold-secrets"
  EXPECT_EQ(rule.recipient, (std::vector<std::string>{"new", "lookalike"}));
  EXPECT_EQ(rule.detectors, (std::vector<std::string>{"secret.*"}));
  EXPECT_EQ(rule.min_count, 2);
  EXPECT_EQ(rule.authenticated, true);
  EXPECT_TRUE(rule.overridable);
  EXPECT_EQ(config->policy.clearance.at(0).level, "SECRET");
  EXPECT_EQ(config->gateway.state_dir, (dir_ / "state").string());
  EXPECT_EQ(config->gateway.on_failure, "accept");
  EXPECT_EQ(config->gateway.socket_mode, 0666);
  EXPECT_EQ(config->gateway.stale_release_s, 120);
  EXPECT_EQ(config->gateway.sender_notice_command,
            (std::vector<std::string>{"/usr/sbin/sendmail", "-C", "/etc/postfix-out", "-t", "-oi",
                                      "-f", "<>"}));
  EXPECT_EQ(config->gateway.sender_notice_from, "Mail guard <postmaster@example.org>");
  EXPECT_EQ(config->store.backend, "postgresql");
}

TEST_F(ConfigTest, PolicyMistakesAreNamedWithTheirLine) {
  struct Case {
    const char* yaml;
    const char* expected;
  } cases[] = {
      {"version: 1\npolicy:\n  rules:\n    - id: a\n      action: block\n",
       ":5: policy.rules[0].action"},
      {"version: 1\npolicy:\n  rules:\n    - id: a\n      when: { recipient: [unknown] }\n      "
       "action: tag\n",
       "policy.rules[0].when.recipient"},
      {"version: 1\npolicy:\n  rules:\n    - action: tag\n", "policy.rules[0].id"},
      {"version: 1\npolicy:\n  rules:\n    - id: a\n      action: tag\n    - id: a\n      action: "
       "hold\n",
       "used twice"},
      {"version: 1\npolicy:\n  mode: relaxed\n", ":3: policy.mode"},
      {"version: 1\ngateway:\n  listen: 8891\n", "gateway.listen"},
      {"version: 1\ngateway:\n  on_failure: maybe\n", "gateway.on_failure"},
      {"version: 1\ngateway:\n  socket_mode: rw-rw----\n", "gateway.socket_mode"},
      {"version: 1\ngateway:\n  socket_mode: \"01777\"\n", "gateway.socket_mode"},
      {"version: 1\ngateway:\n  sender_notice_command: [sendmail, -t]\n",
       ":3: gateway.sender_notice_command"},
      {"version: 1\ngateway:\n  stale_release_s: 0\n", "gateway.stale_release_s"},
      {"version: 1\nstore:\n  backend: postgresql\n", "store.postgresql_dsn"},
      {"version: 1\npolicy:\n  rules:\n    - id: a\n      when: { finding: { min_count: 2 } }\n    "
       "  action: tag\n",
       "finding.detector"},
  };
  int n = 0;
  for (const Case& c : cases) {
    auto config = load_config(write("case" + std::to_string(n++) + ".yaml", c.yaml));
    ASSERT_FALSE(config.has_value()) << c.yaml;
    EXPECT_NE(config.error().message.find(c.expected), std::string::npos)
        << c.yaml << " gave: " << config.error().message;
  }
}

TEST_F(ConfigTest, AFileWithoutRulesKeepsTheShippedRulesAndAnEmptyListMeansNone) {
  auto without = load_config(write("a.yaml", "version: 1\npolicy:\n  mode: monitor\n"));
  ASSERT_TRUE(without.has_value()) << without.error().message;
  auto shipped = default_config();
  ASSERT_TRUE(shipped.has_value());
  ASSERT_EQ(without->policy.rules.size(), shipped->policy.rules.size());
  EXPECT_EQ(without->policy.rules.front().id, "lookalike-recipient");
  auto empty = load_config(write("b.yaml", "version: 1\npolicy:\n  rules: []\n"));
  ASSERT_TRUE(empty.has_value()) << empty.error().message;
  EXPECT_TRUE(empty->policy.rules.empty());
}

}  // namespace
}  // namespace sendguard
