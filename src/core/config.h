// sendguard's configuration file (YAML, `version: 1`) and the defaults embedded in the binary.
//
// load_config() validates everything once, at start: an error names the file, the line and the
// key, and the caller refuses to run on it. Relative paths inside a file are taken relative to
// that file's directory. Thread-safety: a Config is a plain value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace sendguard {

struct RecipientConfig {
  std::vector<std::string> known_domains;               // inline list; default empty
  std::vector<std::string> known_domains_files;         // one domain a line, '#' comments
  std::vector<std::string> trusted_suffixes;            // default empty (see LookalikeOptions)
  std::vector<std::vector<std::string>> sister_groups;  // default empty
  std::string mail_providers_file;  // default empty: the list shipped in data/, embedded
};

// An organisation's own detector (see content/content.h, CustomDetector).
struct CustomDetectorConfig {
  std::string id;  // must start with "org."
  std::vector<std::string> keywords;
  std::vector<std::string> patterns;
  double weight = 1.0;  // 0..1 per match; >= 1 reports at high confidence
};

// What one message may cost before it is reported unscannable (see mime/mime.h, MimeLimits).
struct MessageLimitsConfig {
  std::size_t max_message_bytes = 64u << 20;
  int max_depth = 12;
  int max_parts = 500;
  std::size_t max_decoded_bytes = 256u << 20;
  int time_budget_ms = 10'000;
};

struct ContentConfig {
  std::vector<CustomDetectorConfig> custom_detectors;  // default: none
  MessageLimitsConfig limits;
};

// One rule of the policy. Conditions that are given must all hold; a rule with none always
// matches. What each condition means is in policy/policy.h; the policy module checks the values
// (levels, patterns) when it compiles the rules and names `line` in its errors.
struct RuleConfig {
  std::string id;
  int line = 0;  // where the rule starts in the configuration file
  std::string description;
  std::vector<std::string> recipient;          // verdicts: known | new | lookalike | invalid
  std::string recipient_scope;                 // "" (any) | internal | external
  std::vector<std::string> recipient_domains;  // "army.mil", "*.gov.uk"
  std::vector<std::string> detectors;          // finding ids with '*' wildcards: "secret.*"
  std::string min_confidence;        // "" (medium when detectors are given) | low | medium | high
  int min_count = 1;                 // matches of those detectors, all places together
  std::string min_level;             // a marking level; matches markings at or above it
  std::optional<bool> cleared;       // false: a marking above the recipient's clearance
  std::vector<std::string> senders;  // sender address patterns: "*@hq.example"
  std::vector<std::string> sender_groups;     // groups from policy.sender_groups_file
  std::optional<bool> authenticated;          // the sender logged in (SMTP AUTH) or not
  std::vector<std::string> attachment_types;  // types by content: pdf, zip, docx, xlsx, ...
  std::vector<std::string> attachment_names;  // file name patterns: "*.xlsx"
  std::string action;                         // accept | tag | hold | reject | drop-recipient
  bool overridable = false;                   // a sender may confirm past it with a justification
  std::string reply;                          // reject, drop-recipient: a sentence for the sender
};

// Markings of `level` and below may go to domains matching `domains` ("*.mil", "partner.example").
struct ClearanceConfig {
  std::string level;
  std::vector<std::string> domains;
  int line = 0;
};

// How a sender who is sure confirms past an overridable rule.
struct OverrideConfig {
  std::string header = "X-Sendguard-Override";  // its value is the justification
  std::string subject_keyword = "override";     // "[override: justification]" in the subject
  int min_justification_chars = 10;             // shorter justifications are not accepted
};

struct PolicyConfig {
  std::string mode = "enforce";               // enforce | monitor (record only, change nothing)
  std::vector<std::string> internal_domains;  // the organisation's own; also known domains
  std::string sender_groups_file;             // "group: address @domain ..." lines; default none
  std::vector<ClearanceConfig> clearance;     // default empty: no external domain is cleared
  OverrideConfig override_with;
  std::string subject_prefix;  // tag: prefix for the subject; default none
  // First match decides, per recipient. A configuration file without policy.rules gets the
  // shipped rules (config/sendguard.yaml), so that a site file need only say what differs.
  std::vector<RuleConfig> rules;
  bool rules_given = false;  // whether the file had policy.rules (an empty list counts)
};

// The milter daemon.
struct GatewayConfig {
  std::string listen = "inet:8891@127.0.0.1";  // inet:PORT@HOST or unix:PATH
  // unix:PATH only: the socket's permission bits (YAML: an octal string such as "0660"). The
  // MTA's user must be able to write to it: with 0660, put Postfix in sendguard's group.
  int socket_mode = 0660;
  std::string state_dir = "/var/lib/sendguard";
  // When sendguard cannot decide (store down, stage over its time limit, internal error):
  // tempfail (fail closed: the MTA keeps the mail queued and retries) or accept (fail open).
  std::string on_failure = "tempfail";
  int rcpt_time_limit_ms = 2'000;      // deciding one recipient
  int message_time_limit_ms = 30'000;  // inspecting the message at end of data
  int mta_timeout_s = 60;              // silence from the MTA before the connection is dropped
  std::string postfix_config_dir = "/etc/postfix";  // where held mail is released (postsuper -c)
  std::string postsuper = "/usr/sbin/postsuper";
  // A release or discard still under way (state releasing) after this many seconds is taken to
  // have been cut short (a crash, a lost connection): the next `quarantine release` or
  // `discard` of it asks the hold queue what became of the message and finishes the job.
  int stale_release_s = 600;
  // When drop-recipient removes a recipient at the end of the message, the sender is told by a
  // short notice submitted with this command (no shell; the notice on its standard input,
  // recipient in its To header). It must send from the null sender so that the notice cannot
  // bounce back. Empty: no notices.
  std::vector<std::string> sender_notice_command = {"/usr/sbin/sendmail", "-t", "-oi", "-f", "<>"};
  std::string sender_notice_from = "postmaster";  // the notice's From header
};

// The mail history (history/): what it learns and when it speaks up.
struct HistoryConfig {
  bool record = true;        // the gateway adds the mail it lets through to the history
  int known_after_days = 3;  // distinct days of mail to a domain before it counts as known
  // A domain written to on enough days is still not learned when it looks like a domain
  // written to this many times as often: it is most likely an old slip, not a partner.
  int typo_ratio = 10;
  // The first-time signals stay silent until the history holds this many messages: a new
  // installation has seen nobody, and flagging every recipient would teach senders to ignore it.
  int signals_after_messages = 500;
  // Messages with more recipients than this do not count for "addressed together": a mailing
  // to a hundred people says nothing about who works with whom.
  int max_together = 10;
  // When set, addresses are kept only as keyed hashes (HMAC-SHA256 with the key in this file),
  // so that the history holds no plain address. Domains stay plain: learning needs them.
  std::string hash_key_file;
};

struct StoreConfig {
  std::string backend = "sqlite";  // sqlite (a file in the state directory) | postgresql
  std::string postgresql_dsn;      // libpq conninfo, for backend postgresql
};

struct Config {
  std::string source = "<embedded default>";  // where it was read from, for messages
  // Public Suffix List file (Debian package "publicsuffix").
  std::string public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";
  RecipientConfig recipients;
  ContentConfig content;
  PolicyConfig policy;
  GatewayConfig gateway;
  StoreConfig store;
  HistoryConfig history;
};

// Reads and validates a configuration file.
Result<Config> load_config(const std::string& path);

// The configuration in config/sendguard.yaml, compiled in.
Result<Config> default_config();

// Reads a domain list file: one domain a line, blank lines and '#' comments ignored. Entries
// are returned as written; errors name the file and line.
Result<std::vector<std::string>> read_domain_list(const std::string& path);

// The shipped list of large mail providers' domains (data/mail-providers.txt), compiled in.
std::vector<std::string> embedded_mail_providers();

}  // namespace sendguard
