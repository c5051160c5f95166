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
  // A bucket header counts its entries in 16 bits, so no key may have more ids than that; with
  // "no limit" a key that common would be a bug in the keys, not a list to search.
  max_ids_per_key =
      max_ids_per_key == 0 ? kMaxIdsPerBucket : std::min(max_ids_per_key, kMaxIdsPerBucket);
  {
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
  size_ = packed.size();
  std::uint32_t max_id = 0;
  for (std::uint64_t p : packed)
    max_id = std::max(max_id, static_cast<std::uint32_t>(p & kMaxPostingId));
  const unsigned id_bits = std::max(1u, static_cast<unsigned>(std::bit_width(max_id)));
  check_bits_ = std::min(16u, 32u - id_bits);
  check_mask_ = (std::uint32_t{1} << check_bits_) - 1;
  // Buckets 60% full on average, about 7 bytes an entry with the headers. Entries are laid out
  // one bucket after another, so a full bucket pushes the next ones along: at 85% (5 bytes an
  // entry) about 40% of the buckets ran over into a second line, a read that depends on the
  // first and so cannot start with the others; at 60% far fewer do. The header's offset and
  // count have 16 bits each; a table that would exceed them (never at the fill aimed for) is
  // laid out again, sparser.
  for (double fill = 0.6;; fill *= 0.8) {
    buckets_ = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(static_cast<double>(packed.size()) / (kSlotsPerLine * fill)));
    if (lay_out(packed)) break;
  }
  std::vector<std::uint64_t>().swap(packed);
}

bool HashPostings::lay_out(const std::vector<std::uint64_t>& packed) {
  std::vector<std::uint32_t> headers(buckets_, 0);
  // First pass: where each bucket's entries start, in slots; how many slots the layout needs.
  std::size_t slot = 0;
  for (std::size_t k = 0; k < packed.size();) {
    const std::size_t bucket = bucket_of(packed[k]);
    std::size_t end = k;
    while (end < packed.size() && bucket_of(packed[end]) == bucket) ++end;
    const std::size_t start = std::max(slot, bucket * kSlotsPerLine);
    const std::size_t offset = start - bucket * kSlotsPerLine, count = end - k;
    if (offset > 0xFFFF || count > 0xFFFF) return false;
    headers[bucket] = static_cast<std::uint32_t>(count << 16 | offset);
    slot = start + count;
    k = end;
  }
  const std::size_t lines =
      std::max<std::size_t>(buckets_, (slot + kSlotsPerLine - 1) / kSlotsPerLine);
  lines_.assign(lines * kLineWords, 0);
  for (std::size_t b = 0; b < buckets_; ++b) lines_[b * kLineWords] = headers[b];
  // Second pass: the entries, in hash order, from each bucket's start on.
  for (std::size_t k = 0; k < packed.size();) {
    const std::size_t bucket = bucket_of(packed[k]);
    std::size_t s = bucket * kSlotsPerLine + (headers[bucket] & 0xFFFF);
    for (; k < packed.size() && bucket_of(packed[k]) == bucket; ++k, ++s) {
      const auto id = static_cast<std::uint32_t>(packed[k] & kMaxPostingId);
      const auto check = static_cast<std::uint32_t>(packed[k] >> 24) & check_mask_;
      lines_[s / kSlotsPerLine * kLineWords + s % kSlotsPerLine + 1] = id << check_bits_ | check;
    }
  }
  return true;
}

}  // namespace sendguard::lookalike_internal
