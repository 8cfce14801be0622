#pragma once
// Wall-clock throughput of a multi-threaded workload, measured so that it cannot exceed what the
// hardware can do.
//
// WHY NOT GOOGLE BENCHMARK'S THREADS
//   With ->Threads(n)->UseRealTime(), Google Benchmark times each thread from the moment it gets
//   past the start barrier to the end of its own batch, and reports the mean of those spans.
//   When threads outnumber cores, a thread that runs its whole batch within one scheduler quantum
//   reports the span of a thread that had a core to itself, and the rate becomes "threads x one
//   thread's speed": 64 threads on 2 cores appear to do 20-30 times the work of one.
//
// THE METHOD
//   One benchmark (a single Google Benchmark thread) drives a group of n worker threads. Each
//   iteration of its loop is a round: the workers wait at a start line; the driver reads the
//   steady clock (t0) and releases all of them with one store; each runs its operation loop until
//   it sees the stop flag, which the driver raises at t0 + the round's duration, reads the clock
//   once more and reports how many operations it completed. The round's time, handed to Google
//   Benchmark as manual time, is the wall span from t0 to the latest of those stop readings: from
//   the release of all threads to the moment the last one finished. Throughput is the sum of all
//   threads' operations divided by that span, so it counts every operation once and every second
//   of the wall clock once, whatever the scheduler does in between; no thread gets a longer or
//   shorter run than the others, and a thread that is starved (by a preempted lock holder, say)
//   shows as a small share of the operations, which the round reports as the min and max of the
//   operations per thread over their mean.
//   Google Benchmark still chooses the number of rounds (min_time), repeats, aggregates and
//   writes the JSON; only the time it divides by has changed.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace enlist::bench {

// What one worker did in one round.
struct thread_result {
  std::uint64_t operations = 0;
  std::int64_t failures = 0;
};

// What the whole round did.
struct round_result {
  double seconds = 0;  // t0 to the last worker's stop
  std::uint64_t operations = 0;
  std::uint64_t min_thread = 0;  // fewest operations of any worker
  std::uint64_t max_thread = 0;
  std::int64_t failures = 0;
};

// Raised by the driver at the end of a round; workers poll it between small batches.
using stop_flag = std::atomic<bool>;

// body(thread index, stop) runs thread `index`'s loop until stop is raised.
using round_body = std::function<thread_result(int, const stop_flag&)>;

class thread_group {
 public:
  static thread_group& instance() {
    static thread_group group;
    return group;
  }

  // Runs body on workers 0..threads-1, released together, for `duration` of wall time.
  round_result run(int threads, std::chrono::nanoseconds duration, const round_body& body) {
    grow(threads);
    body_ = &body;
    active_ = threads;
    stop_.store(false, std::memory_order_relaxed);
    remaining_.store(threads, std::memory_order_relaxed);
    const auto t0 = clock::now();
    // Release: every write above happens-before a worker that sees the new generation.
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    std::this_thread::sleep_until(t0 + duration);
    stop_.store(true, std::memory_order_relaxed);
    for (int left; (left = remaining_.load(std::memory_order_acquire)) != 0;) {
      remaining_.wait(left, std::memory_order_acquire);
    }
    round_result r;
    r.min_thread = UINT64_MAX;
    clock::time_point last = t0;
    for (int t = 0; t < threads; ++t) {
      const slot& s = *slots_[static_cast<std::size_t>(t)];
      r.operations += s.result.operations;
      r.failures += s.result.failures;
      r.min_thread = std::min(r.min_thread, s.result.operations);
      r.max_thread = std::max(r.max_thread, s.result.operations);
      last = std::max(last, s.stopped);
    }
    r.seconds = std::chrono::duration<double>(last - t0).count();
    return r;
  }

  // Ends the workers. main calls it before returning: a worker's thread-exit hooks (libcds and
  // liburcu detach the thread there) must run while those libraries' runtimes still exist.
  void close() {
    closing_ = true;
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (auto& s : slots_)
      s->thread.join();
    slots_.clear();
  }

  ~thread_group() { close(); }

 private:
  using clock = std::chrono::steady_clock;

  struct alignas(64) slot {
    std::thread thread;
    thread_result result;
    clock::time_point stopped;
  };

  thread_group() = default;

  void grow(int threads) {
    while (static_cast<int>(slots_.size()) < threads) {
      const int index = static_cast<int>(slots_.size());
      slots_.push_back(std::make_unique<slot>());
      // It waits for the round after the current generation, never for one already run.
      const std::uint64_t now = generation_.load(std::memory_order_relaxed);
      slots_.back()->thread = std::thread([this, index, now] { serve(index, now); });
    }
  }

  void serve(int index, std::uint64_t seen) {
    for (;;) {
      std::uint64_t g;
      while ((g = generation_.load(std::memory_order_acquire)) == seen) {
        generation_.wait(seen, std::memory_order_acquire);
      }
      seen = g;
      if (closing_) return;
      if (index >= active_) continue;
      slot& s = *slots_[static_cast<std::size_t>(index)];
      s.result = (*body_)(index, stop_);
      s.stopped = clock::now();
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) remaining_.notify_one();
    }
  }

  std::vector<std::unique_ptr<slot>> slots_;
  const round_body* body_ = nullptr;
  int active_ = 0;
  bool closing_ = false;
  alignas(64) std::atomic<std::uint64_t> generation_{0};
  alignas(64) stop_flag stop_{false};
  alignas(64) std::atomic<int> remaining_{0};
};

// Runs `operation(failures)` in batches of 16 between looks at the stop flag, so that the poll
// costs a sixteenth of a load per operation; returns what the loop did.
template <class Operation>
thread_result run_until_stopped(const stop_flag& stop, Operation&& operation) {
  constexpr int batch = 16;
  thread_result r;
  while (!stop.load(std::memory_order_relaxed)) {
    for (int k = 0; k < batch; ++k)
      operation(r.failures);
    r.operations += batch;
  }
  return r;
}

}  // namespace enlist::bench
