// A pool of distinct texts, each stored once and known by a number: the first text added is 0,
// the next new one 1, and so on. Bulk jobs (summing a history import) compare and hash these
// numbers instead of strings. The bytes live in fixed blocks, so views handed out stay valid
// while the pool grows; clear() invalidates them all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace sendguard {

class TextPool {
 public:
  using Id = std::uint32_t;
  static constexpr Id kNotFound = UINT32_MAX;

  // The number of `text`, adding it when new.
  Id intern(std::string_view text);
  // The number of `text`, or kNotFound.
  Id find(std::string_view text) const;
  std::string_view text(Id id) const { return texts_[id]; }
  std::size_t size() const { return texts_.size(); }
  std::size_t memory_bytes() const;
  void clear();

 private:
  static constexpr std::uint64_t kFree = UINT64_MAX;
  // Where `text` is in index_, or the free slot where it would go.
  std::size_t slot_of(std::string_view text, std::uint64_t hash) const;
  void grow_index();

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_ = 0, block_size_ = 0, block_bytes_ = 0;
  std::vector<std::string_view> texts_;  // by Id, into blocks_
  std::vector<std::uint64_t> hashes_;    // by Id
  // Open addressing. A slot holds the text's Id in its low half and the high half of its hash
  // in its high half (kFree when free), so that a probe of another text is told apart
  // without reading that text or its hash.
  std::vector<std::uint64_t> index_;
};

}  // namespace sendguard
