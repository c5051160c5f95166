// A compact, immutable multimap from 64-bit key hashes to 24-bit ids (lookalike module internal).
//
// Built once from packed (hash, id) entries, then read by any number of threads. Entries are
// sorted by hash and addressed through a directory of bucket offsets (the top bits of the hash),
// so a lookup costs two memory reads. Each entry packs the id with 8 further hash bits, which
// weeds out most keys that merely share a bucket; the caller still verifies every id it gets
// back, because distinct keys may collide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sendguard::lookalike_internal {

inline constexpr std::uint32_t kMaxPostingId = (1u << 24) - 1;

std::uint64_t hash_key(std::string_view key, std::uint64_t tag);

class HashPostings {
 public:
  // One entry under construction: the top 40 bits of the hash and the id in the low 24, so
  // that building sorts plain 8-byte integers (half the memory of a hash and an id apart).
  static std::uint64_t pack(std::uint64_t hash, std::uint32_t id) {
    return (hash & ~std::uint64_t{kMaxPostingId}) | id;
  }

  HashPostings() = default;
  // `packed` is consumed (sorted and deduplicated in place, then released). A key with more
  // than `max_ids_per_key` ids (0: no limit) is dropped whole: a lookup would have to verify
  // every one of them, and a key that common says little about which domain was meant.
  explicit HashPostings(std::vector<std::uint64_t>& packed, std::size_t max_ids_per_key = 0);

  // Calls visit(id) for every id stored under a hash equal to `hash` in its bucket and check bits.
  template <typename Visit>
  void for_each(std::uint64_t hash, Visit&& visit) const {
    if (entries_.empty()) return;
    std::uint64_t bucket = hash >> shift_;
    std::uint32_t check = static_cast<std::uint32_t>(hash >> (shift_ - 8)) & 0xFF;
    for (std::uint32_t k = directory_[bucket]; k < directory_[bucket + 1]; ++k) {
      std::uint32_t e = entries_[k];
      if ((e & 0xFF) == check) visit(e >> 8);
    }
  }

  // Calls visit(id) for the ids under each of `hashes`, in order. The lookups of one query are
  // independent, so the directory and entry reads of all of them are started before any is
  // used: the cache misses overlap instead of following one another.
  template <typename Visit>
  void for_each_of(std::span<const std::uint64_t> hashes, Visit&& visit) const {
    if (entries_.empty()) return;
    for (std::uint64_t h : hashes) __builtin_prefetch(&directory_[h >> shift_]);
    for (std::uint64_t h : hashes) __builtin_prefetch(entries_.data() + directory_[h >> shift_]);
    for (std::uint64_t h : hashes) for_each(h, visit);
  }

  std::size_t memory_bytes() const {
    return directory_.capacity() * sizeof(std::uint32_t) +
           entries_.capacity() * sizeof(std::uint32_t);
  }
  std::size_t size() const { return entries_.size(); }
  std::size_t dropped() const { return dropped_; }  // ids left out under over-common keys

 private:
  unsigned shift_ = 64;
  std::size_t dropped_ = 0;
  std::vector<std::uint32_t> directory_;  // bucket b's entries are [directory_[b], directory_[b+1])
  std::vector<std::uint32_t> entries_;    // id << 8 | the 8 hash bits below the bucket bits
};

}  // namespace sendguard::lookalike_internal
