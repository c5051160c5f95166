// A compact, immutable multimap from 64-bit key hashes to 24-bit ids (lookalike module internal).
//
// Built once from packed (hash, id) entries, then read by any number of threads. The table is
// an array of 64-byte lines, one per bucket (chosen by the top bits of the hash): a header and
// 15 entry slots. Entries are laid out in hash order, each bucket's from its own line on or,
// when earlier buckets overflowed, a little later; the header says where they start and how
// many there are. Buckets are 60% full on average, so a lookup reads one cache line, rarely
// two: a directory of offsets beside the entries would cost a second, dependent miss for every
// probe, and a query makes about fifty. Each entry packs the id with as many further hash bits
// as the ids leave room for (12 for a million domains), which weed out most keys that merely
// share a bucket; the caller still verifies every id it gets back, because distinct keys may
// collide.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
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

// A lookup hashes a few dozen short keys, so this is inline and reads eight bytes at a time,
// and the last one to eight bytes with at most two loads from within the key, never a byte
// loop. The final mix (splitmix64) spreads every bit, the tag's included, so that one string
// under two tags lands in unrelated buckets. Keys are chosen by us, not by whoever sends mail,
// and every id found is verified, so the hash needs to spread well, not to resist attack.
namespace key_hash {

inline std::uint64_t load64(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline std::uint64_t load32(const char* p) {
  std::uint32_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline std::uint64_t start(std::uint64_t tag, std::uint64_t length) {
  return (tag * 0x9E3779B97F4A7C15ull) ^ length;
}

// Mixes s into h. With the length in start(), the words read determine s: the last one to
// eight bytes are read as two overlapping 4-byte words, or for one to three bytes as the
// first, middle and last byte.
inline std::uint64_t absorb(std::uint64_t h, std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n > 8; p += 8, n -= 8) {
    h = (h ^ load64(p)) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  std::uint64_t w;
  if (n == 8) {
    w = load64(p);
  } else if (n >= 4) {
    w = load32(p) | load32(p + n - 4) << 32;
  } else if (n > 0) {
    w = std::uint64_t{static_cast<unsigned char>(p[0])} |
        std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
        std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16;
  } else {
    return h;
  }
  h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 32;
  return h;
}

inline std::uint64_t finish(std::uint64_t h) {
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

}  // namespace key_hash

inline std::uint64_t hash_key(std::string_view key, std::uint64_t tag) {
  return key_hash::finish(key_hash::absorb(key_hash::start(tag, key.size()), key));
}

// The hash of the pair (a, b) under `tag`, without joining them into one string first.
inline std::uint64_t hash_key_pair(std::string_view a, std::string_view b, std::uint64_t tag) {
  std::uint64_t h = key_hash::start(tag, a.size() << 16 | b.size());
  return key_hash::finish(key_hash::absorb(key_hash::absorb(h, a), b));
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
  // than `max_ids_per_key` ids (0: 65,535, the most a bucket can hold) is dropped whole: a lookup
  // would have to verify every one of them, and a key that common says little about which domain
  // was meant.
  explicit HashPostings(std::vector<std::uint64_t>& packed, std::size_t max_ids_per_key = 0);

  // Calls visit(id) for every id stored under a hash equal to `hash` in its bucket and check bits.
  template <typename Visit>
  void for_each(std::uint64_t hash, Visit&& visit) const {
    for_each_in_bucket(std::span(&hash, 1), visit);
  }

  // Calls visit(id) for every id stored under any of `hashes` (at most kMaxHashesPerBucketPass,
  // the rest are ignored), which all choose one bucket (same_bucket): one pass over the bucket
  // serves them all.
  template <typename Visit>
  void for_each_in_bucket(std::span<const std::uint64_t> hashes, Visit&& visit) const {
    if (lines_.empty() || hashes.empty()) return;
    const std::size_t bucket = bucket_of(hashes[0]);
    const std::uint32_t header = lines_[bucket * kLineWords];
    std::size_t count = header >> 16;
    if (count == 0) return;
    std::array<std::uint32_t, kMaxHashesPerBucketPass> checks;
    const std::size_t check_count = std::min(hashes.size(), checks.size());
    for (std::size_t k = 0; k < check_count; ++k) {
      checks[k] = static_cast<std::uint32_t>(hashes[k] >> 24) & check_mask_;
    }
    // Slot numbers run through the lines' entry slots: slot s is word s % 15 + 1 of line s / 15.
    const std::size_t first = bucket * kSlotsPerLine + (header & 0xFFFF);
    std::size_t line = first / kSlotsPerLine;
    std::size_t word = first % kSlotsPerLine + 1;
    // A line at a time: every word of it is compared at once, and only the matches among the
    // bucket's words are visited, in order. Nearly every bucket lies within one line; an
    // over-full one runs on into the next lines.
    const std::span<const std::uint32_t> wanted = std::span(checks).first(check_count);
    for (; count > 0; word = 1, ++line) {
      const std::size_t here = std::min(count, kLineWords - word);
      const std::uint32_t* words = &lines_[line * kLineWords];
      std::uint32_t hits = matching_words(words, wanted);
      hits &= ((std::uint32_t{1} << here) - 1) << word;
      for (; hits != 0; hits &= hits - 1) visit(words[std::countr_zero(hits)] >> check_bits_);
      count -= here;
    }
  }
  static constexpr std::size_t kMaxHashesPerBucketPass = 8;

  // Whether two hashes choose the same bucket.
  static bool same_bucket(std::uint64_t a, std::uint64_t b) { return (a >> 32) == (b >> 32); }

  // Starts reading the line a later lookup of `hash` will read. Only that line: at 60% fill few
  // buckets also have entries in the next one, and fetching it as well for every probe (when
  // 40% did) made lookups twice as slow on the machine of docs/BENCHMARKS.md, which runs few
  // misses at once.
  void prefetch(std::uint64_t hash) const {
    if (!lines_.empty()) __builtin_prefetch(&lines_[bucket_of(hash) * kLineWords]);
  }

  // Calls visit(id), or visit(k, id) with the index k of the hash, for the ids under each of
  // `hashes`, in order. The lookups of one query are independent, so the reads of all their
  // lines are started before any is used: the cache misses overlap instead of following one
  // another.
  template <typename Visit>
  void for_each_of(std::span<const std::uint64_t> hashes, Visit&& visit) const {
    if (lines_.empty()) return;
    for (std::uint64_t h : hashes) prefetch(h);
    for (std::size_t k = 0; k < hashes.size(); ++k) {
      if constexpr (std::is_invocable_v<Visit&, std::size_t, std::uint32_t>) {
        for_each(hashes[k], [&](std::uint32_t id) { visit(k, id); });
      } else {
        for_each(hashes[k], visit);
      }
    }
  }

  std::size_t memory_bytes() const { return lines_.capacity() * sizeof(std::uint32_t); }
  std::size_t size() const { return size_; }
  std::size_t dropped() const { return dropped_; }  // ids left out under over-common keys

 private:
  static constexpr std::size_t kLineWords = 16;  // one 64-byte cache line of 32-bit words
  static constexpr std::size_t kSlotsPerLine = kLineWords - 1;
  static constexpr std::size_t kMaxIdsPerBucket = 0xFFFF;

  // Bit w set when word w of the line holds one of `checks` in its check bits.
  std::uint32_t matching_words(const std::uint32_t* words,
                               std::span<const std::uint32_t> checks) const {
    std::uint32_t hits = 0;
#if defined(__SSE2__)
    const __m128i mask = _mm_set1_epi32(static_cast<int>(check_mask_));
    std::array<__m128i, kLineWords / 4> quads;
    for (std::size_t q = 0; q < quads.size(); ++q) {
      quads[q] = _mm_and_si128(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(words + 4 * q)), mask);
    }
    for (std::uint32_t check : checks) {
      const __m128i wanted = _mm_set1_epi32(static_cast<int>(check));
      for (std::size_t q = 0; q < quads.size(); ++q) {
        const int bits = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(quads[q], wanted)));
        hits |= static_cast<std::uint32_t>(bits) << (4 * q);
      }
    }
#else
    for (std::size_t w = 0; w < kLineWords; ++w) {
      for (std::uint32_t check : checks) {
        hits |= std::uint32_t{(words[w] & check_mask_) == check} << w;
      }
    }
#endif
    return hits;
  }

  // The top 32 bits of the hash scaled to the number of buckets, which need not be a power of
  // two: the table is sized to its entries, not rounded up.
  std::size_t bucket_of(std::uint64_t hash) const {
    return static_cast<std::size_t>(((hash >> 32) * buckets_) >> 32);
  }
  bool lay_out(const std::vector<std::uint64_t>& packed);

  std::uint64_t buckets_ = 0;
  unsigned check_bits_ = 8;  // hash bits beside each id: 32 minus the bits the largest id needs
  std::uint32_t check_mask_ = 0xFF;
  std::size_t size_ = 0;
  std::size_t dropped_ = 0;
  // Line b: word 0 is bucket b's header (count << 16 | offset of its first entry from slot
  // b * 15), words 1..15 are entry slots, each id << check_bits_ | check bits. A large table
  // starts on a huge page, so its lines are cache lines.
  HugeVector<std::uint32_t> lines_;
};

}  // namespace sendguard::lookalike_internal
