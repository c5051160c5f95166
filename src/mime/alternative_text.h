// What an HTML alternative adds to the plain one. Internal to mime/.
//
// In multipart/alternative the plain part is read whole; the HTML part contributes only the
// lines with a word the plain part lacks (text hidden by CSS, say), because reading both whole
// would count every match twice. Words are runs of ASCII letters and digits, compared without
// case, and of non-ASCII bytes, compared byte for byte (so non-Latin words count too).
//
// Every message with an HTML alternative makes this comparison over all of its text, so it is
// built for speed: both sides are lower-cased once into padded buffers, a word is read eight
// bytes at a time (one load and a mask for most words), and the plain words sit in an
// open-addressing table of views into their buffer, with no allocation per word.
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sendguard::mime_internal {

// A word of a lower-cased, padded buffer: its first eight bytes (zeroes past its end), where
// the rest is, and its length.
struct WordKey {
  std::uint64_t head = 0;
  const char* data = nullptr;  // nullptr: no word (a free slot)
  std::uint32_t size = 0;
};

class PlainWords {
 public:
  explicit PlainWords(std::string_view plain_text);
  PlainWords(const PlainWords&) = delete;
  PlainWords& operator=(const PlainWords&) = delete;

  bool contains(const WordKey& word) const;

 private:
  void insert(const WordKey& word);
  void grow();

  std::string lowered_;         // the plain text, lower-cased, then padding
  std::vector<WordKey> slots_;  // a power of two in size, at most half used
  std::size_t used_ = 0;
};

// The lines of `html_text` with a word `plain` lacks, joined by '\n'.
std::string lines_not_in(std::string_view html_text, const PlainWords& plain);

// Whether every word of `html_text` is the word of `plain_text` at the same place, as when
// both alternatives were made from one text (the usual case). Then no line of the HTML adds a
// word, which this answers in one pass over both, without building the table.
bool repeats_plain_words(std::string_view html_text, std::string_view plain_text);

// The plain alternative's text, compared against each HTML alternative: the one-pass check
// first, the word table (built once, on first need) when that fails.
class PlainAlternative {
 public:
  explicit PlainAlternative(const std::vector<std::string_view>& plain_texts);

  // The lines of `html_text` with a word the plain text lacks, joined by '\n'.
  std::string lines_not_in(std::string_view html_text);

 private:
  std::string joined_;      // the plain texts one per line, when there are several
  std::string_view plain_;  // the plain text (the one text, or joined_)
  std::unique_ptr<PlainWords> words_;
};

}  // namespace sendguard::mime_internal
