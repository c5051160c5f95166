#include "mime/alternative_text.h"

#include <array>
#include <bit>
#include <cstring>

namespace sendguard::mime_internal {
namespace {

static_assert(std::endian::native == std::endian::little,
              "WordKey::head keeps a word's first bytes in the low bits of a little-endian load");

// Every word can be read eight bytes at a time without passing the end of its buffer.
constexpr std::size_t kPadding = 8;

// Word bytes are ASCII letters and digits, as the C locale's isalnum() has them (the process
// never sets a locale), and every non-ASCII byte.
constexpr std::array<bool, 256> kWordByte = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
  }
  return table;
}();

bool is_word_byte(char c) { return kWordByte[static_cast<unsigned char>(c)]; }

char to_lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Appends `text` lower-cased; the caller adds the padding.
void append_lowered(std::string& out, std::string_view text) {
  std::size_t at = out.size();
  out.resize(at + text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[at + i] = to_lower_ascii(text[i]);
}

std::uint64_t load_8_bytes(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The first min(n, 8) bytes at p, zeroes after them.
std::uint64_t first_bytes(const char* p, std::size_t n) {
  std::uint64_t v = load_8_bytes(p);
  return n >= 8 ? v : v & ((std::uint64_t{1} << (8 * n)) - 1);
}

WordKey key_of(const char* data, std::size_t size) {
  return {first_bytes(data, size), data, static_cast<std::uint32_t>(size)};
}

std::uint64_t mix(std::uint64_t h) {
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

std::uint64_t hash_word(const WordKey& w) {
  std::uint64_t h = mix(w.head ^ w.size);
  for (std::size_t at = 8; at < w.size; at += 8) h = mix(h ^ first_bytes(w.data + at, w.size - at));
  return h;
}

bool same_word(const WordKey& a, const WordKey& b) {
  return a.size == b.size && a.head == b.head &&
         (a.size <= 8 || std::memcmp(a.data + 8, b.data + 8, a.size - 8) == 0);
}

// How many bytes `a` and `b` share at their start, counted in whole blocks of eight.
std::size_t identical_blocks(std::string_view a, std::string_view b) {
  std::size_t n = 0;
  while (n + 8 <= a.size() && n + 8 <= b.size() &&
         load_8_bytes(a.data() + n) == load_8_bytes(b.data() + n)) {
    n += 8;
  }
  return n;
}

// Calls f(WordKey) for each word of lower-cased text [begin, end) until f returns false;
// `end` must be followed by kPadding readable bytes.
template <typename F>
void for_each_word(const char* begin, const char* end, F&& f) {
  const char* p = begin;
  while (p < end) {
    while (p < end && !is_word_byte(*p)) ++p;
    const char* start = p;
    while (p < end && is_word_byte(*p)) ++p;
    if (p > start && !f(key_of(start, static_cast<std::size_t>(p - start)))) return;
  }
}

}  // namespace

PlainWords::PlainWords(std::string_view plain_text) {
  lowered_.reserve(plain_text.size() + kPadding);
  append_lowered(lowered_, plain_text);
  const std::size_t text_end = lowered_.size();
  lowered_.append(kPadding, '\0');
  slots_.resize(64);
  for_each_word(lowered_.data(), lowered_.data() + text_end, [this](const WordKey& word) {
    insert(word);
    return true;
  });
}

bool PlainWords::contains(const WordKey& word) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash_word(word) & mask;; i = (i + 1) & mask) {
    if (slots_[i].data == nullptr) return false;
    if (same_word(slots_[i], word)) return true;
  }
}

void PlainWords::insert(const WordKey& word) {
  // At most half full, so that a probe for a missing word ends soon.
  if (2 * (used_ + 1) > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash_word(word) & mask;; i = (i + 1) & mask) {
    if (slots_[i].data == nullptr) {
      slots_[i] = word;
      ++used_;
      return;
    }
    if (same_word(slots_[i], word)) return;
  }
}

void PlainWords::grow() {
  std::vector<WordKey> old(slots_.size() * 2);
  old.swap(slots_);
  used_ = 0;
  for (const WordKey& word : old) {
    if (word.data != nullptr) insert(word);
  }
}

std::string lines_not_in(std::string_view html_text, const PlainWords& plain) {
  std::string lowered;
  lowered.reserve(html_text.size() + kPadding);
  append_lowered(lowered, html_text);
  lowered.append(kPadding, '\0');

  std::string kept;
  std::size_t start = 0;
  while (start <= html_text.size()) {
    std::size_t end = html_text.find('\n', start);
    if (end == std::string_view::npos) end = html_text.size();
    bool new_word = false;
    for_each_word(lowered.data() + start, lowered.data() + end, [&](const WordKey& word) {
      new_word = !plain.contains(word);
      return !new_word;
    });
    if (new_word) {
      if (!kept.empty()) kept += '\n';
      kept += html_text.substr(start, end - start);
    }
    start = end + 1;
  }
  return kept;
}

bool repeats_plain_words(std::string_view html_text, std::string_view plain_text) {
  const std::string_view html = html_text, plain = plain_text;
  std::size_t i = 0, j = 0;
  for (;;) {
    while (i < html.size() && !is_word_byte(html[i])) ++i;
    while (j < plain.size() && !is_word_byte(plain[j])) ++j;
    if (i == html.size()) return true;
    if (j == plain.size()) return false;
    // Both are at the start of a word. Where the two texts are byte for byte the same, their
    // words and separators are too: skip such stretches eight bytes at a time.
    std::size_t same = identical_blocks(html.substr(i), plain.substr(j));
    i += same;
    j += same;
    if (same > 0 && !is_word_byte(html[i - 1])) continue;  // stopped between words
    // The rest of the word. A word byte never equals a separator, so the words end together
    // or differ.
    while (i < html.size() && j < plain.size() && is_word_byte(html[i]) &&
           to_lower_ascii(html[i]) == to_lower_ascii(plain[j])) {
      ++i;
      ++j;
    }
    bool html_word_ended = i == html.size() || !is_word_byte(html[i]);
    bool plain_word_ended = j == plain.size() || !is_word_byte(plain[j]);
    if (!html_word_ended || !plain_word_ended) return false;
  }
}

PlainAlternative::PlainAlternative(const std::vector<std::string_view>& plain_texts) {
  if (plain_texts.size() == 1) {
    plain_ = plain_texts.front();
    return;
  }
  // A line break between texts keeps the last word of one from joining the first of the next.
  for (std::string_view text : plain_texts) {
    joined_ += text;
    joined_ += '\n';
  }
  plain_ = joined_;
}

std::string PlainAlternative::lines_not_in(std::string_view html_text) {
  if (repeats_plain_words(html_text, plain_)) return {};
  if (!words_) words_ = std::make_unique<PlainWords>(plain_);
  return mime_internal::lines_not_in(html_text, *words_);
}

}  // namespace sendguard::mime_internal
