#include "store/day_list.h"

#include <algorithm>
#include <iterator>

namespace sendguard::store_internal {
namespace {

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// Reads one varint at `pos`; false on a truncated or overlong one.
bool get_varint(std::string_view in, std::size_t& pos, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    auto byte = static_cast<unsigned char>(in[pos++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

}  // namespace

void encode_day_list(std::span<const std::int64_t> days, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < days.size(); ++i) {
    if (i == 0) {
      put_varint(out, zigzag(days[0]));
    } else {
      put_varint(out, static_cast<std::uint64_t>(days[i]) - static_cast<std::uint64_t>(days[i - 1]));
    }
  }
}

std::string encode_day_list(std::span<const std::int64_t> days) {
  std::string out;
  out.reserve(days.size() + 4);
  encode_day_list(days, out);
  return out;
}

std::optional<std::vector<std::int64_t>> decode_day_list(std::string_view encoded) {
  std::vector<std::int64_t> days;
  std::size_t pos = 0;
  std::uint64_t value = 0;
  while (pos < encoded.size()) {
    if (!get_varint(encoded, pos, value)) return std::nullopt;
    if (days.empty()) {
      days.push_back(unzigzag(value));
      continue;
    }
    // A gap of zero would repeat a day; one that wraps around would go backwards.
    std::int64_t previous = days.back();
    if (value == 0 || value > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    auto gap = static_cast<std::int64_t>(value);
    if (previous > INT64_MAX - gap) return std::nullopt;
    days.push_back(previous + gap);
  }
  return days;
}

std::optional<std::string> merge_day_lists(std::string_view a, std::string_view b) {
  auto left = decode_day_list(a);
  auto right = decode_day_list(b);
  if (!left || !right) return std::nullopt;
  if (std::includes(left->begin(), left->end(), right->begin(), right->end())) {
    return std::string(a);
  }
  std::vector<std::int64_t> both;
  both.reserve(left->size() + right->size());
  std::set_union(left->begin(), left->end(), right->begin(), right->end(),
                 std::back_inserter(both));
  return encode_day_list(both);
}

}  // namespace sendguard::store_internal
