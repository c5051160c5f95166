#include "lookalike/hash_postings.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <functional>
#include <new>

namespace sendguard::lookalike_internal {

void* allocate_huge_page_backed(std::size_t bytes) {
  const std::size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* p = std::aligned_alloc(kHugePageBytes, rounded);
  if (p == nullptr) throw std::bad_alloc();
  // Advice only: without transparent huge pages the memory works the same, with small pages.
  madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

void free_huge_page_backed(void* p) { std::free(p); }

HashPostings::HashPostings(std::vector<std::uint64_t>& packed, std::size_t max_ids_per_key) {
  std::sort(packed.begin(), packed.end());
  packed.erase(std::unique(packed.begin(), packed.end()), packed.end());
  if (max_ids_per_key > 0) {
    auto key_of = [](std::uint64_t p) { return p & ~std::uint64_t{kMaxPostingId}; };
    std::size_t out = 0;
    for (std::size_t run = 0; run < packed.size();) {
      std::size_t end = run + 1;
      while (end < packed.size() && key_of(packed[end]) == key_of(packed[run])) ++end;
      if (end - run <= max_ids_per_key) {
        out = std::copy(packed.begin() + run, packed.begin() + end, packed.begin() + out) -
              packed.begin();
      }
      dropped_ += end - run > max_ids_per_key ? end - run : 0;
      run = end;
    }
    packed.resize(out);
  }
  // About four entries a bucket: a directory a quarter the size of the entries, and buckets
  // that still fit in one cache line. The bucket and check bits must come from the 40 hash bits
  // an entry keeps.
  std::uint64_t buckets = std::bit_ceil(std::max<std::uint64_t>(packed.size() / 4, 2));
  buckets = std::min<std::uint64_t>(buckets, std::uint64_t{1} << 32);
  unsigned bits = static_cast<unsigned>(std::countr_zero(buckets));
  shift_ = 64 - bits;
  directory_.assign(buckets + 1, 0);
  entries_.reserve(packed.size());
  std::uint64_t bucket = 0;
  for (std::size_t k = 0; k < packed.size(); ++k) {
    std::uint64_t p = packed[k];
    std::uint64_t b = p >> shift_;
    while (bucket < b) directory_[++bucket] = static_cast<std::uint32_t>(k);
    std::uint32_t id = static_cast<std::uint32_t>(p & kMaxPostingId);
    entries_.push_back(id << 8 | (static_cast<std::uint32_t>(p >> (shift_ - 8)) & 0xFF));
  }
  while (bucket < buckets) directory_[++bucket] = static_cast<std::uint32_t>(packed.size());
  std::vector<std::uint64_t>().swap(packed);
}

}  // namespace sendguard::lookalike_internal
