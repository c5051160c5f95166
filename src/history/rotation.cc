// Rotation families (see rotation.h).
#include "history/rotation.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>

namespace sendguard::history_internal {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct RotationName {
  std::string base;
  int age_class = 2;       // 0 dateext, 1 numbered, 2 the live file
  std::int64_t order = 0;  // within the class, ascending is older first
};

RotationName parse_rotation_name(std::string name) {
  if (ends_with(name, ".gz")) name.resize(name.size() - 3);
  RotationName out{name};
  if (std::size_t dot = name.rfind('.'); dot != std::string::npos && dot > 0) {
    std::string suffix = name.substr(dot + 1);
    if (all_digits(suffix) && suffix.size() <= 6) {
      return {name.substr(0, dot), 1, -std::stoll(suffix)};
    }
  }
  if (std::size_t dash = name.rfind('-'); dash != std::string::npos && dash > 0) {
    std::string suffix = name.substr(dash + 1);
    if (all_digits(suffix) && (suffix.size() == 8 || suffix.size() == 10)) {
      // 2026112708 (dateext with an hour) sorts after 20261127: pad days to hours.
      std::int64_t value = std::stoll(suffix);
      if (suffix.size() == 8) value *= 100;
      return {name.substr(0, dash), 0, value};
    }
  }
  return out;
}

}  // namespace

std::string rotation_base_name(const std::string& file_name) {
  return parse_rotation_name(file_name).base;
}

std::vector<std::vector<std::filesystem::path>> group_rotation_families(
    const std::vector<std::filesystem::path>& paths) {
  std::vector<std::vector<std::filesystem::path>> families;
  std::map<std::filesystem::path, std::size_t> index;  // family key -> position in families
  for (const auto& path : paths) {
    std::filesystem::path key =
        path.parent_path().lexically_normal() / rotation_base_name(path.filename().string());
    auto [it, added] = index.emplace(key, families.size());
    if (added) families.emplace_back();
    auto& family = families[it->second];
    if (std::find(family.begin(), family.end(), path) == family.end()) family.push_back(path);
  }
  for (auto& family : families) {
    std::stable_sort(family.begin(), family.end(), [](const auto& a, const auto& b) {
      RotationName x = parse_rotation_name(a.filename().string());
      RotationName y = parse_rotation_name(b.filename().string());
      return std::tie(x.age_class, x.order) < std::tie(y.age_class, y.order);
    });
  }
  return families;
}

}  // namespace sendguard::history_internal
