// Groups of senders, read from a file (policy internal).
//
// Format: one group a line, "name: member member ...", '#' comments. A member is an address
// pattern ("alice@example.org", "*@finance.example.org") or "@domain" for everyone there.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace sendguard::policy {

class SenderGroups {
 public:
  static Result<SenderGroups> load(const std::string& path);

  bool has_group(const std::string& name) const { return members_.contains(name); }
  // True when `address` belongs to the group `name`.
  bool contains(const std::string& name, std::string_view address) const;

 private:
  std::map<std::string, std::vector<std::string>> members_;  // group -> address patterns
};

}  // namespace sendguard::policy
