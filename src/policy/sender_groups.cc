#include "policy/sender_groups.h"

#include <fstream>
#include <sstream>

#include "policy/patterns.h"

namespace sendguard::policy {

Result<SenderGroups> SenderGroups::load(const std::string& path) {
  SenderGroups groups;
  if (path.empty()) return groups;
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kConfig, path + ": cannot read the sender groups file");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::size_t colon = line.find(':');
    std::istringstream name_part(line.substr(0, colon == std::string::npos ? 0 : colon));
    std::string name;
    name_part >> name;
    if (colon == std::string::npos || name.empty()) {
      return make_error(ErrorCode::kConfig, path + ":" + std::to_string(number) +
                                                ": expected \"group: member member ...\"");
    }
    std::istringstream rest(line.substr(colon + 1));
    std::vector<std::string>& members = groups.members_[name];
    for (std::string member; rest >> member;) {
      if (member.find('@') == std::string::npos) {
        return make_error(ErrorCode::kConfig, path + ":" + std::to_string(number) + ": \"" +
                                                  member + "\" is neither an address nor @domain");
      }
      members.push_back(member.front() == '@' ? "*" + ascii_lower(member) : ascii_lower(member));
    }
  }
  return groups;
}

bool SenderGroups::contains(const std::string& name, std::string_view address) const {
  auto it = members_.find(name);
  return it != members_.end() && any_glob_matches(it->second, address);
}

}  // namespace sendguard::policy
