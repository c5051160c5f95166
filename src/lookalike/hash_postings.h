// A compact, immutable multimap from 64-bit key hashes to 24-bit ids (lookalike module internal).
//
// Built once from (hash, id) pairs, then read by any number of threads. Entries are sorted by
// hash and addressed through a directory of bucket offsets (the top bits of the hash), so a
// lookup costs two memory reads. Each entry packs the id with 8 further hash bits, which weeds
// out most keys that merely share a bucket; the caller still verifies every id it gets back,
// because distinct keys may collide.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sendguard::lookalike_internal {

inline constexpr std::uint32_t kMaxPostingId = (1u << 24) - 1;

std::uint64_t hash_key(std::string_view key, std::uint64_t tag);

class HashPostings {
 public:
  struct Pair {
    std::uint64_t hash;
    std::uint32_t id;
  };

  HashPostings() = default;
  // `pairs` is consumed (sorted and deduplicated in place).
  explicit HashPostings(std::vector<Pair>& pairs);

  // Calls visit(id) for every id stored under a hash equal to `hash` in its bucket and tag bits.
  template <typename Visit>
  void for_each(std::uint64_t hash, Visit&& visit) const {
    if (entries_.empty()) return;
    std::uint64_t bucket = hash >> shift_;
    std::uint32_t check = static_cast<std::uint32_t>(hash & 0xFF);
    for (std::uint32_t k = directory_[bucket]; k < directory_[bucket + 1]; ++k) {
      std::uint32_t e = entries_[k];
      if ((e & 0xFF) == check) visit(e >> 8);
    }
  }

  std::size_t memory_bytes() const {
    return directory_.capacity() * sizeof(std::uint32_t) + entries_.capacity() * sizeof(std::uint32_t);
  }
  std::size_t size() const { return entries_.size(); }

 private:
  unsigned shift_ = 64;
  std::vector<std::uint32_t> directory_;  // bucket b's entries are [directory_[b], directory_[b+1])
  std::vector<std::uint32_t> entries_;    // id << 8 | low 8 bits of the hash
};

}  // namespace sendguard::lookalike_internal
