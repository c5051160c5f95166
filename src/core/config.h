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
  std::vector<std::string> known_domains;             // inline list; default empty
  std::vector<std::string> known_domains_files;       // one domain a line, '#' comments
  std::vector<std::string> trusted_suffixes;          // default empty (see LookalikeOptions)
  std::vector<std::vector<std::string>> sister_groups;  // default empty
  std::string mail_providers_file;  // default empty: the list shipped in data/, embedded
};

// An organisation's own detector (see content/content.h, CustomDetector).
struct CustomDetectorConfig {
  std::string id;                     // must start with "org."
  std::vector<std::string> keywords;
  std::vector<std::string> patterns;
  double weight = 1.0;                // 0..1 per match; >= 1 reports at high confidence
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

struct Config {
  std::string source = "<embedded default>";  // where it was read from, for messages
  // Public Suffix List file (Debian package "publicsuffix").
  std::string public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";
  RecipientConfig recipients;
  ContentConfig content;
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
