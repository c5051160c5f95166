// A hash for unordered containers keyed by std::string that can also be searched with a
// std::string_view, without building a string for the lookup:
//   std::unordered_map<std::string, T, StringHash, std::equal_to<>>
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace sendguard {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace sendguard
