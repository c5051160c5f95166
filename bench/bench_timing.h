// Timing helpers the benchmark programs share.
#pragma once

#include <algorithm>
#include <ctime>
#include <vector>

namespace sendguard::bench {

// CPU time of the calling thread: on shared machines wall time mostly measures the wait for
// a core.
inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace sendguard::bench
