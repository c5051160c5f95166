#include "lookalike/hash_postings.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace sendguard::lookalike_internal {

std::uint64_t hash_key(std::string_view key, std::uint64_t tag) {
  // std::hash is strong enough for keys we chose ourselves; the final mix (splitmix64) spreads
  // the tag into every bit so that one string under two tags lands in unrelated buckets.
  std::uint64_t h = std::hash<std::string_view>{}(key) ^ (tag * 0x9E3779B97F4A7C15ull);
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

HashPostings::HashPostings(std::vector<Pair>& pairs) {
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.id < b.id;
  });
  pairs.erase(std::unique(pairs.begin(), pairs.end(),
                          [](const Pair& a, const Pair& b) { return a.hash == b.hash && a.id == b.id; }),
              pairs.end());
  // About two entries a bucket: a small directory, and buckets short enough to scan.
  std::uint64_t buckets = std::bit_ceil(std::max<std::uint64_t>(pairs.size() / 2, 2));
  unsigned bits = static_cast<unsigned>(std::countr_zero(buckets));
  shift_ = 64 - bits;
  directory_.assign(buckets + 1, 0);
  entries_.reserve(pairs.size());
  std::uint64_t bucket = 0;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    std::uint64_t b = pairs[k].hash >> shift_;
    while (bucket < b) directory_[++bucket] = static_cast<std::uint32_t>(k);
    entries_.push_back(pairs[k].id << 8 | static_cast<std::uint32_t>(pairs[k].hash & 0xFF));
  }
  while (bucket < buckets) directory_[++bucket] = static_cast<std::uint32_t>(pairs.size());
}

}  // namespace sendguard::lookalike_internal
