#pragma once
// Per-operation latency: a timestamp counter read around each operation, recorded in a
// per-thread log-linear histogram (16 sub-buckets per power of two: about 6% resolution),
// merged after the run. Timestamps are rdtsc on x86-64 (calibrated once against steady_clock;
// the TSC is invariant on every x86-64 CPU this suite targets), steady_clock elsewhere.
// A sample includes the timer's own cost (a few ns) and any preemption of the thread while it
// ran the operation: at 64 threads on few cores that is what the tail is made of.

#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace enlist::bench {

inline std::uint64_t ticks() noexcept {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// Nanoseconds per tick, measured once.
inline double ns_per_tick() {
  static const double value = [] {
#if defined(__x86_64__)
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t c0 = ticks();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto t1 = std::chrono::steady_clock::now();
    const std::uint64_t c1 = ticks();
    return static_cast<double>(
               std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()) /
           static_cast<double>(c1 - c0);
#else
    using period = std::chrono::steady_clock::period;
    return 1e9 * static_cast<double>(period::num) / static_cast<double>(period::den);
#endif
  }();
  return value;
}

class latency_histogram {
 public:
  static constexpr std::size_t sub = 16;
  static constexpr std::size_t buckets = 64 * sub;

  void add(std::uint64_t ticks_taken) noexcept { ++counts_[bucket(ticks_taken)]; }
  void merge(const latency_histogram& other) noexcept {
    for (std::size_t i = 0; i < buckets; ++i)
      counts_[i] += other.counts_[i];
  }
  void clear() noexcept { counts_.fill(0); }
  std::uint64_t total() const noexcept {
    std::uint64_t n = 0;
    for (auto c : counts_)
      n += c;
    return n;
  }
  // The q-quantile in ticks (upper bound of its bucket).
  std::uint64_t quantile(double q) const noexcept {
    const std::uint64_t n = total();
    if (n == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(n - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return upper(i);
    }
    return upper(buckets - 1);
  }

 private:
  static std::size_t bucket(std::uint64_t v) noexcept {
    if (v < sub) return static_cast<std::size_t>(v);
    const int msb = 63 - std::countl_zero(v);
    const std::uint64_t mantissa = (v >> (msb - 4)) & (sub - 1);
    return static_cast<std::size_t>(msb - 3) * sub + static_cast<std::size_t>(mantissa);
  }
  static std::uint64_t upper(std::size_t b) noexcept {
    if (b < sub) return b;
    const int msb = static_cast<int>(b / sub) + 3;
    const std::uint64_t mantissa = b % sub;
    return ((sub + mantissa + 1) << (msb - 4)) - 1;
  }

  std::array<std::uint64_t, buckets> counts_{};
};

}  // namespace enlist::bench
