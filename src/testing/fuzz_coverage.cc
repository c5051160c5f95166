// Coverage feedback for libFuzzer from GCC-instrumented code.
//
// GCC 12 (needed for std::expected) instruments with -fsanitize-coverage=trace-pc, which calls
// __sanitizer_cov_trace_pc() on every edge; current libFuzzer no longer accepts that callback
// and expects clang's inline 8-bit counters instead. This file bridges the two: each call
// bumps a counter chosen by the caller's address, in a table registered with libFuzzer as an
// 8-bit-counter module. Linked before the libFuzzer runtime (with --allow-multiple-definition),
// this definition replaces libFuzzer's refusing one. Comparisons (trace-cmp) need no bridge.
#include <cstddef>
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(std::uint8_t* start, std::uint8_t* stop);

namespace {

constexpr std::size_t kCounters = 1 << 16;
std::uint8_t counters[kCounters];

struct RegisterCounters {
  RegisterCounters() { __sanitizer_cov_8bit_counters_init(counters, counters + kCounters); }
} register_counters;

}  // namespace

extern "C" __attribute__((no_sanitize_coverage, no_sanitize_address, no_sanitize_undefined)) void
__sanitizer_cov_trace_pc() {
  auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  std::size_t slot = (pc ^ (pc >> 16)) & (kCounters - 1);
  counters[slot] = static_cast<std::uint8_t>(counters[slot] + 1);
}

// GCC also reports floating-point comparisons, which libFuzzer has no use for.
extern "C" void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" void __sanitizer_cov_trace_cmpd(double, double) {}
