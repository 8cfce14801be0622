#pragma once
// What moving data costs on this machine right now, measured before every benchmark so that the
// report can tell rows measured while it changed:
//   interconnect_ns   the round trip of one cache line between threads 0 and 1 of the thread
//                     group (pinned to different CPUs where there are two): one writes, spins
//                     until the other has answered, 2,000 times; the median over 5 batches. What
//                     every 2-thread row pays whenever both threads touch a line.
//   memory_ns         one dependent load from a 64 MiB ring of cache lines in random order (far
//                     beyond the last-level cache here): the latency of a cache miss to memory,
//                     the floor of every lookup in a large table.
// On the shared development machine the first swings between modes about three times apart within
// minutes, while the compute calibration stays put; a 2-thread row is only comparable with rows
// measured at the same interconnect cost.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "support/thread_group.hpp"

namespace enlist::bench {

struct interconnect_sample {
  double interconnect_ns = 0;
  double memory_ns = 0;
};

namespace detail {

// A ring of cache lines, each holding the index of the next, in one random cycle.
class memory_ring {
 public:
  static memory_ring& get() {
    static memory_ring ring;
    return ring;
  }
  // ns per dependent load over `loads` loads.
  double chase(std::size_t loads) {
    using clock = std::chrono::steady_clock;
    std::size_t at = position_;
    const auto t0 = clock::now();
    for (std::size_t i = 0; i < loads; ++i)
      at = lines_[at].next;
    const auto t1 = clock::now();
    position_ = at;  // also keeps the loop from being optimised away
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(loads);
  }

 private:
  struct alignas(64) line {
    std::size_t next;
  };
  static constexpr std::size_t count = (std::size_t{64} << 20) / sizeof(line);
  memory_ring() : lines_(new line[count]) {
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin() + 1, order.end(), std::mt19937_64(0x5eed));
    for (std::size_t i = 0; i < count; ++i)
      lines_[order[i]].next = order[(i + 1) % count];
  }
  std::unique_ptr<line[]> lines_;
  std::size_t position_ = 0;
};

}  // namespace detail

// Runs on the caller, which must hold the group's caller_pinning (it is thread 0). With a single
// CPU there is no line to move between cores: interconnect_ns is then 0.
inline interconnect_sample measure_interconnect(thread_group& group) {
  constexpr int trips = 2000, batches = 5;
  interconnect_sample s;
  s.memory_ns = detail::memory_ring::get().chase(20000);
  if (group.cpu_count() < 2) return s;
  struct alignas(64) shared_line {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<double, batches> round_trips{};
  for (double& ns : round_trips) {
    shared_line line;
    group.run(2, std::chrono::milliseconds(1), [&](int t, const round_signal&) {
      using clock = std::chrono::steady_clock;
      const auto t0 = clock::now();
      for (std::uint64_t i = 0; i < trips; ++i) {
        // Thread 0 writes odd values and waits for the next even one; thread 1 answers.
        const std::uint64_t mine = 2 * i + 1 + static_cast<std::uint64_t>(t);
        while (line.value.load(std::memory_order_acquire) != mine - 1) {
        }
        line.value.store(mine, std::memory_order_release);
      }
      if (t == 0) {
        while (line.value.load(std::memory_order_acquire) != 2 * trips) {
        }
        ns = std::chrono::duration<double, std::nano>(clock::now() - t0).count() / trips;
      }
      return thread_result{};
    });
  }
  std::sort(round_trips.begin(), round_trips.end());
  s.interconnect_ns = round_trips[batches / 2];
  return s;
}

}  // namespace enlist::bench
