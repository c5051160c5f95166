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
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sendguard::lookalike_internal {

// Allocates arrays of 2 MiB and more on 2 MiB boundaries and asks the kernel for transparent
// huge pages there. A lookup reads a few dozen random places in 100 MB of postings and
// records; with 4 KiB pages nearly each of those reads also misses the TLB, and a page walk
// (two-dimensional under a hypervisor) can cost as much as the read itself.
void* allocate_huge_page_backed(std::size_t bytes);
void free_huge_page_backed(void* p);
inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(std::size_t n) {
    if (n * sizeof(T) < kHugePageBytes) return std::allocator<T>().allocate(n);
    return static_cast<T*>(allocate_huge_page_backed(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < kHugePageBytes) return std::allocator<T>().deallocate(p, n);
    free_huge_page_backed(p);
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;
using HugeString = std::basic_string<char, std::char_traits<char>, HugePageAllocator<char>>;

inline constexpr std::uint32_t kMaxPostingId = (1u << 24) - 1;

// A lookup hashes a few dozen short keys, so this is inline and reads eight bytes at a time.
// The final mix (splitmix64) spreads every bit, the tag's included, so that one string under
// two tags lands in unrelated buckets. Keys are chosen by us, not by whoever sends mail, and
// every id found is verified, so the hash needs to spread well, not to resist attack.
inline std::uint64_t hash_key(std::string_view key, std::uint64_t tag) {
  std::uint64_t h = (tag * 0x9E3779B97F4A7C15ull) ^ key.size();
  const char* p = key.data();
  std::size_t n = key.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    for (std::size_t i = 0; i < n; ++i)
      w |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 32;
  }
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

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

  // Calls visit(id), or visit(k, id) with the index k of the hash, for the ids under each of
  // `hashes`, in order. The lookups of one query are independent, so the directory and entry
  // reads of all of them are started before any is used: the cache misses overlap instead of
  // following one another.
  template <typename Visit>
  void for_each_of(std::span<const std::uint64_t> hashes, Visit&& visit) const {
    if (entries_.empty()) return;
    for (std::uint64_t h : hashes) __builtin_prefetch(&directory_[h >> shift_]);
    for (std::uint64_t h : hashes) __builtin_prefetch(entries_.data() + directory_[h >> shift_]);
    for (std::size_t k = 0; k < hashes.size(); ++k) {
      if constexpr (std::is_invocable_v<Visit&, std::size_t, std::uint32_t>) {
        for_each(hashes[k], [&](std::uint32_t id) { visit(k, id); });
      } else {
        for_each(hashes[k], visit);
      }
    }
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
  HugeVector<std::uint32_t> directory_;  // bucket b's entries are [directory_[b], directory_[b+1])
  HugeVector<std::uint32_t> entries_;    // id << 8 | the 8 hash bits below the bucket bits
};

}  // namespace sendguard::lookalike_internal
