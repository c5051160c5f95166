// Which single-character slips are plausible typing errors (lookalike module internal).
#pragma once

namespace sendguard::lookalike_internal {

// Keys that touch each other on a QWERTY, QWERTZ or AZERTY keyboard (letters, digits, '-').
bool keys_adjacent(char a, char b);

// Characters whose ASCII codes differ in exactly one bit (memory or transmission "bitsquats").
bool one_bit_apart(char a, char b);

bool is_vowel(char c);

// Characters that look alike in the fonts mail clients use: 0/o, 1/l, 1/i, l/i, 5/s, ...
bool ascii_lookalike(char a, char b);

}  // namespace sendguard::lookalike_internal
