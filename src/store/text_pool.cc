#include "store/text_pool.h"

#include <algorithm>
#include <cstring>

namespace sendguard {
namespace {

constexpr std::size_t kBlockBytes = 1 << 20;
constexpr std::size_t kFirstIndexSize = 1024;

// 64-bit FNV-1a, finished with MurmurHash3's mixer so that the low bits, which pick the slot,
// depend on every byte.
std::uint64_t text_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  return h;
}

}  // namespace

void TextPool::clear() {
  blocks_.clear();
  block_used_ = block_size_ = block_bytes_ = 0;
  texts_.clear();
  hashes_.clear();
  index_.clear();
}

std::size_t TextPool::slot_of(std::string_view text, std::uint64_t hash) const {
  std::size_t mask = index_.size() - 1;
  for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    Id id = index_[slot];
    if (id == kNotFound || (hashes_[id] == hash && texts_[id] == text)) return slot;
  }
}

TextPool::Id TextPool::find(std::string_view text) const {
  if (index_.empty()) return kNotFound;
  return index_[slot_of(text, text_hash(text))];
}

TextPool::Id TextPool::intern(std::string_view text) {
  if (index_.empty()) index_.assign(kFirstIndexSize, kNotFound);
  std::uint64_t hash = text_hash(text);
  std::size_t slot = slot_of(text, hash);
  if (index_[slot] != kNotFound) return index_[slot];
  if (block_size_ - block_used_ < text.size()) {
    block_size_ = std::max(kBlockBytes, text.size());
    blocks_.push_back(std::make_unique<char[]>(block_size_));
    block_bytes_ += block_size_;
    block_used_ = 0;
  }
  char* bytes = blocks_.empty() ? nullptr : blocks_.back().get() + block_used_;
  if (!text.empty()) std::memcpy(bytes, text.data(), text.size());
  block_used_ += text.size();
  auto id = static_cast<Id>(texts_.size());
  texts_.emplace_back(text.empty() ? std::string_view() : std::string_view(bytes, text.size()));
  hashes_.push_back(hash);
  index_[slot] = id;
  if (texts_.size() * 2 > index_.size()) grow_index();
  return id;
}

void TextPool::grow_index() {
  index_.assign(index_.size() * 2, kNotFound);
  std::size_t mask = index_.size() - 1;
  for (Id id = 0; id < texts_.size(); ++id) {
    std::size_t slot = hashes_[id] & mask;
    while (index_[slot] != kNotFound) slot = (slot + 1) & mask;
    index_[slot] = id;
  }
}

std::size_t TextPool::memory_bytes() const {
  return block_bytes_ + texts_.capacity() * sizeof(std::string_view) +
         hashes_.capacity() * sizeof(std::uint64_t) + index_.capacity() * sizeof(Id);
}

}  // namespace sendguard
