#include "store/text_pool.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace sendguard {
namespace {

constexpr std::size_t kBlockBytes = 1 << 20;
constexpr std::size_t kFirstIndexSize = 1024;

std::uint64_t text_hash(std::string_view text) { return std::hash<std::string_view>{}(text); }

std::uint64_t slot_value(std::uint64_t hash, TextPool::Id id) {
  return (hash & 0xffffffff00000000u) | id;
}

TextPool::Id id_of(std::uint64_t slot) { return static_cast<TextPool::Id>(slot); }

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
    std::uint64_t value = index_[slot];
    if (value == kFree) return slot;
    if ((value ^ hash) >> 32 == 0 && texts_[id_of(value)] == text) return slot;
  }
}

TextPool::Id TextPool::find(std::string_view text) const {
  if (index_.empty()) return kNotFound;
  std::uint64_t value = index_[slot_of(text, text_hash(text))];
  return value == kFree ? kNotFound : id_of(value);
}

TextPool::Id TextPool::intern(std::string_view text) {
  if (index_.empty()) index_.assign(kFirstIndexSize, kFree);
  std::uint64_t hash = text_hash(text);
  std::size_t slot = slot_of(text, hash);
  if (index_[slot] != kFree) return id_of(index_[slot]);
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
  index_[slot] = slot_value(hash, id);
  if (texts_.size() * 2 > index_.size()) grow_index();
  return id;
}

void TextPool::grow_index() {
  index_.assign(index_.size() * 2, kFree);
  std::size_t mask = index_.size() - 1;
  for (Id id = 0; id < texts_.size(); ++id) {
    std::size_t slot = hashes_[id] & mask;
    while (index_[slot] != kFree) slot = (slot + 1) & mask;
    index_[slot] = slot_value(hashes_[id], id);
  }
}

std::size_t TextPool::memory_bytes() const {
  return block_bytes_ + texts_.capacity() * sizeof(std::string_view) +
         hashes_.capacity() * sizeof(std::uint64_t) + index_.capacity() * sizeof(std::uint64_t);
}

}  // namespace sendguard
