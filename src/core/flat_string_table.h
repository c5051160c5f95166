// An immutable set of short strings with a small value each, in one flat table: open
// addressing with linear probing, at most half full, 16-byte slots. A probe reads one slot's
// cache line, and the text only when the full 64-bit hash matches. It serves lookups made for
// every message and every recipient (the Public Suffix List's rules, the mail providers),
// where a node-based std::unordered_map costs three dependent cache misses a probe: the
// bucket, the node before the first in it, and the node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sendguard {

template <typename Value>
class FlatStringTable {
  static_assert(sizeof(Value) <= 2 && std::is_trivially_copyable_v<Value>);

 public:
  static constexpr std::size_t kMaxKeyBytes = 255;

  static std::uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }

  FlatStringTable() = default;
  // Keys must be distinct and at most kMaxKeyBytes long; longer ones are left out.
  explicit FlatStringTable(const std::vector<std::pair<std::string, Value>>& entries) {
    std::size_t size = 16;
    while (size < 2 * entries.size()) size *= 2;
    slots_.resize(size);
    for (const auto& [key, value] : entries) {
      if (key.size() > kMaxKeyBytes) continue;
      const std::uint64_t h = hash(key);
      std::size_t i = h & (size - 1);
      while (slots_[i].used) i = (i + 1) & (size - 1);
      slots_[i] = {h, static_cast<std::uint32_t>(text_.size()),
                   static_cast<std::uint8_t>(key.size()), true, value};
      text_ += key;
      ++count_;
    }
  }

  // Starts reading the slot a later find(key, h) starts at.
  void prefetch(std::uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  }

  // The value stored under `key`, whose hash() is `h`; nullptr when there is none.
  const Value* find(std::string_view key, std::uint64_t h) const {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (!slot.used) return nullptr;
      if (slot.hash == h && std::string_view(text_).substr(slot.offset, slot.length) == key) {
        return &slot.value;
      }
    }
  }
  const Value* find(std::string_view key) const { return find(key, hash(key)); }
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot) + text_.capacity(); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;  // of the key's text in text_
    std::uint8_t length = 0;
    bool used = false;
    Value value{};
  };
  static_assert(sizeof(Slot) == 16);
  std::vector<Slot> slots_;  // a power of two of them
  std::string text_;
  std::size_t count_ = 0;
};

}  // namespace sendguard
