#pragma once
// Wall-clock throughput of a multi-threaded workload, measured so that it cannot exceed what the
// hardware can do.
//
// WHY NOT GOOGLE BENCHMARK'S THREADS
//   With ->Threads(n)->UseRealTime(), Google Benchmark times each thread from the moment it gets
//   past the start barrier to the end of its own batch, and reports the mean of those spans.
//   When threads outnumber cores, a thread that runs its whole batch within one scheduler quantum
//   reports the span of a thread that had a core to itself, and the rate becomes "threads x one
//   thread's speed": 64 threads on 2 cores appear to do 2.5 times what the cores can.
//
// THE METHOD
//   A benchmark (one Google Benchmark thread) runs its workload on a group of n threads: itself,
//   as thread 0, and n - 1 workers of a pool. Each iteration of its loop is a round: the workers
//   wait at a start line; thread 0 reads the steady clock (t0), releases them with one store each
//   and starts its own loop; every thread runs its operations until it sees the stop flag, which
//   thread 0 raises once the round's duration has passed, then reads the clock once more and
//   reports how many operations it completed. The round's time, handed to Google Benchmark as
//   manual time, is the wall span from t0 to the latest of those stop readings: from the release
//   of all threads to the moment the last one finished. Throughput is the sum of all threads'
//   operations divided by that span, so it counts every operation once and every second of the
//   wall clock once, whatever the scheduler does in between. No thread gets a longer run than
//   another, and a thread that is starved (by a preempted lock holder, say) shows as a small
//   share of the operations: the round reports the min and max operations per thread over their
//   mean.
//
// MAKING THE MACHINE'S NOISE SMALL
//   Thread t runs on the (t mod m)-th of the m CPUs the process may use. Left to itself, the
//   scheduler often wakes two threads on one CPU and separates them only milliseconds later,
//   which cost short 2-thread rounds a third of their throughput on the development machine.
//   Thread 0 being the timekeeper means a 1-thread round involves no other thread at all, and no
//   driver competes with the workers for a CPU. Workers spin at the start line for a moment
//   before they sleep, when the round's threads fit on the CPUs, so that consecutive rounds do
//   not pay a wake-up (and, on a virtual machine, the un-halting of a CPU) inside the timed span.
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

#include "support/thread_platform.hpp"

namespace enlist::bench {

// What one thread did in one round.
struct thread_result {
  std::uint64_t operations = 0;
  std::int64_t failures = 0;
};

// What the whole round did.
struct round_result {
  double seconds = 0;  // t0 to the last thread's stop
  std::uint64_t operations = 0;
  std::uint64_t min_thread = 0;  // fewest operations of any thread
  std::uint64_t max_thread = 0;
  std::int64_t failures = 0;
};

// How a thread's loop learns that the round is over: it polls `stop` between small batches, and
// thread 0 (the timekeeper) raises it once the deadline has passed.
struct round_signal {
  using clock = std::chrono::steady_clock;
  std::atomic<bool>* stop = nullptr;
  clock::time_point deadline;
  bool timekeeper = false;
};

// body(thread index, signal) runs thread `index`'s loop until the round is over (usually through
// run_until_stopped).
using round_body = std::function<thread_result(int, const round_signal&)>;

class thread_group {
 public:
  static thread_group& instance() {
    static thread_group group;
    return group;
  }

  // Runs body on threads 0..threads-1 (the caller is thread 0, pinned by a caller_pinning the
  // caller holds), released together, for `duration` of wall time.
  round_result run(int threads, std::chrono::nanoseconds duration, const round_body& body) {
    grow(threads - 1);
    body_ = &body;
    spin_ = threads <= static_cast<int>(cpus_.size());
    stop_.store(false, std::memory_order_relaxed);
    remaining_.store(threads - 1, std::memory_order_relaxed);
    const std::uint64_t round = ++rounds_;
    const auto t0 = clock::now();
    worker_signal_ = {&stop_, t0 + duration, false};
    // Release: every write above happens-before a worker that sees its start signal. Only this
    // round's workers are signalled; the others sleep on.
    for (int w = 0; w < threads - 1; ++w)
      slots_[static_cast<std::size_t>(w)]->start.store(round, std::memory_order_release);
    for (int w = 0; w < threads - 1; ++w)
      wake_one(slots_[static_cast<std::size_t>(w)]->start);
    const thread_result own = body(0, round_signal{&stop_, t0 + duration, true});
    const clock::time_point own_stop = clock::now();
    for (int left; (left = remaining_.load(std::memory_order_acquire)) != 0;) {
      wait_while_equal(remaining_, left);
    }
    round_result r;
    r.operations = own.operations;
    r.failures = own.failures;
    r.min_thread = r.max_thread = own.operations;
    clock::time_point last = own_stop;
    for (int w = 0; w < threads - 1; ++w) {
      const slot& s = *slots_[static_cast<std::size_t>(w)];
      r.operations += s.result.operations;
      r.failures += s.result.failures;
      r.min_thread = std::min(r.min_thread, s.result.operations);
      r.max_thread = std::max(r.max_thread, s.result.operations);
      last = std::max(last, s.stopped);
    }
    r.seconds = std::chrono::duration<double>(last - t0).count();
    return r;
  }

  // Pins the calling thread where thread 0 runs, for as long as the returned object lives, and
  // then gives it back the CPUs it had (threads it creates meanwhile inherit the pinning).
  class caller_pinning {
   public:
    explicit caller_pinning(const thread_group& group) { group.pin(0); }

   private:
    saved_affinity saved_;  // constructed first: the CPUs the caller had before pin(0)
  };

  // The CPUs the group's threads are spread over (the process's, before any pinning).
  std::size_t cpu_count() const noexcept { return cpus_.size(); }

  // Ends the workers. main calls it before returning: a worker's thread-exit hooks (libcds and
  // liburcu detach the thread there) must run while those libraries' runtimes still exist.
  void close() {
    closing_ = true;
    for (auto& s : slots_) {
      s->start.store(UINT64_MAX, std::memory_order_release);
      wake_one(s->start);
    }
    for (auto& s : slots_)
      s->thread.join();
    slots_.clear();
  }

  ~thread_group() { close(); }

 private:
  using clock = std::chrono::steady_clock;

  struct alignas(64) slot {
    std::atomic<std::uint64_t> start{0};  // the round this worker is to run next
    std::thread thread;
    thread_result result;
    clock::time_point stopped;
  };

  thread_group() : cpus_(allowed_cpus()) {}

  // Thread t runs on the (t mod m)-th allowed CPU. Best effort: without an affinity mask the
  // scheduler places threads itself.
  void pin(int thread) const {
    if (cpus_.empty()) return;
    pin_current_thread(cpus_[static_cast<std::size_t>(thread) % cpus_.size()]);
  }

  void grow(int workers) {
    while (static_cast<int>(slots_.size()) < workers) {
      const int index = static_cast<int>(slots_.size());
      slots_.push_back(std::make_unique<slot>());
      slots_.back()->thread = std::thread([this, index] { serve(index); });
    }
  }

  // Worker w is thread w + 1 of every round it takes part in.
  void serve(int w) {
    pin(w + 1);
    slot& s = *slots_[static_cast<std::size_t>(w)];
    for (std::uint64_t seen = 0;;) {
      seen = await_round(s.start, seen);
      if (closing_) return;
      s.result = (*body_)(w + 1, worker_signal_);
      s.stopped = clock::now();
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) wake_one(remaining_);
    }
  }

  // Waits for a start signal after `seen`. When the last round's threads fit on the CPUs it
  // spins for a while first; beyond the CPUs spinning would only take time from the threads that
  // can run.
  std::uint64_t await_round(const std::atomic<std::uint64_t>& start, std::uint64_t seen) const {
    const auto spin_until = clock::now() + std::chrono::microseconds(spin_ ? 500 : 0);
    std::uint64_t round;
    while ((round = start.load(std::memory_order_acquire)) == seen) {
      if (clock::now() < spin_until) continue;
      wait_while_equal(start, seen);
    }
    return round;
  }

  std::vector<int> cpus_;
  std::vector<std::unique_ptr<slot>> slots_;
  const round_body* body_ = nullptr;
  round_signal worker_signal_;
  std::uint64_t rounds_ = 0;
  bool spin_ = false;
  bool closing_ = false;
  alignas(64) std::atomic<bool> stop_{false};
  alignas(64) std::atomic<int> remaining_{0};
};

// Runs `operation(failures)` in batches of 16 between looks at the stop flag, so that the poll
// costs a sixteenth of a load per operation; the timekeeper also reads the clock every 64
// batches and raises the flag once the deadline has passed. Returns what the loop did.
template <class Operation>
thread_result run_until_stopped(const round_signal& signal, Operation&& operation) {
  constexpr int batch = 16;
  thread_result r;
  for (std::uint64_t batches = 1; !signal.stop->load(std::memory_order_relaxed); ++batches) {
    for (int k = 0; k < batch; ++k)
      operation(r.failures);
    r.operations += batch;
    if (signal.timekeeper && (batches & 63) == 0 && round_signal::clock::now() >= signal.deadline) {
      signal.stop->store(true, std::memory_order_relaxed);
    }
  }
  return r;
}

}  // namespace enlist::bench
