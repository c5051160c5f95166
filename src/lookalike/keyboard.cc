#include "lookalike/keyboard.h"

#include <array>
#include <bitset>
#include <string_view>

namespace sendguard::lookalike_internal {
namespace {

// Rows of each layout as typed without shift; offsets model the stagger between rows.
struct Layout {
  std::array<std::string_view, 4> rows;
  std::array<int, 4> offset;  // in half-keys
};

constexpr Layout kLayouts[] = {
    {{"1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm"}, {0, 1, 2, 3}},  // QWERTY
    {{"1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"}, {0, 1, 2, 3}},   // QWERTZ
    {{"1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"}, {0, 1, 2, 3}},   // AZERTY
};

int symbol_index(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '0' && c <= '9') return 26 + (c - '0');
  if (c == '-') return 36;
  return -1;
}

using AdjacencyTable = std::array<std::bitset<37>, 37>;

AdjacencyTable build_adjacency() {
  AdjacencyTable table{};
  for (const Layout& layout : kLayouts) {
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < static_cast<int>(layout.rows[r].size()); ++c) {
        int from = symbol_index(layout.rows[r][c]);
        int x = 2 * c + layout.offset[r];
        for (int r2 = r - 1; r2 <= r + 1; ++r2) {
          if (r2 < 0 || r2 > 3) continue;
          for (int c2 = 0; c2 < static_cast<int>(layout.rows[r2].size()); ++c2) {
            int x2 = 2 * c2 + layout.offset[r2];
            int dx = x2 - x;
            // Same row: the next key (2 half-keys away); rows above and below: half a key away.
            bool touching = (r2 == r) ? (dx == 2 || dx == -2) : (dx == 1 || dx == -1);
            if (!touching || (r2 == r && c2 == c)) continue;
            int to = symbol_index(layout.rows[r2][c2]);
            table[from][to] = true;
            table[to][from] = true;
          }
        }
      }
    }
  }
  return table;
}

}  // namespace

bool keys_adjacent(char a, char b) {
  static const AdjacencyTable kTable = build_adjacency();
  int i = symbol_index(a), j = symbol_index(b);
  return i >= 0 && j >= 0 && kTable[i][j];
}

bool one_bit_apart(char a, char b) {
  unsigned diff = static_cast<unsigned char>(a) ^ static_cast<unsigned char>(b);
  return diff != 0 && (diff & (diff - 1)) == 0;
}

bool is_vowel(char c) { return std::string_view("aeiouy").find(c) != std::string_view::npos; }

bool ascii_lookalike(char a, char b) {
  static constexpr std::string_view kPairs[] = {"0o", "1l", "1i", "li", "5s", "2z", "8b",
                                                "6b", "9g", "9q", "uv", "nm", "3e"};
  for (std::string_view pair : kPairs) {
    if ((pair[0] == a && pair[1] == b) || (pair[0] == b && pair[1] == a)) return true;
  }
  return false;
}

}  // namespace sendguard::lookalike_internal
