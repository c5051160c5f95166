// Patterns the policy matches names against (policy internal).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sendguard::policy {

// '*' matches any run of characters (none included); everything else matches itself, ignoring
// ASCII case. Linear-time for the patterns policies use (at most a few stars).
bool glob_match(std::string_view pattern, std::string_view text);

// A domain pattern: with '*' a glob ("*.gov.uk"); without, the domain itself and all of its
// subdomains ("army.mil" covers "hq.army.mil"). A trailing dot on either side is ignored.
bool domain_matches(std::string_view pattern, std::string_view domain);

bool any_glob_matches(const std::vector<std::string>& patterns, std::string_view text);
bool any_domain_matches(const std::vector<std::string>& patterns, std::string_view domain);

std::string ascii_lower(std::string_view s);

}  // namespace sendguard::policy
