#pragma once
// Runs one body per thread, all at once, for concurrency tests that are written once and run two
// ways (as folly runs its hazard-pointer tests): on real threads, or, when the test is built
// against the scheduled library (ENLIST_DETERMINISTIC_SCHEDULE), as scheduled threads that the
// deterministic scheduler interleaves at every atomic step as a seed decides.
//
// Real threads find what the schedule model cannot (weak-memory reorderings, real preemption,
// the sanitizers' view of real races); schedules find rare interleavings on purpose and replay
// them exactly.

#include <cstdint>
#include <functional>
#include <vector>

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
#include <string>

#include "schedule/deterministic_schedule.hpp"
#else
#include "support/round_runner.hpp"
#endif

namespace enlist::test {

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
inline constexpr bool scheduled_build = true;
#else
inline constexpr bool scheduled_build = false;
#endif

// What one concurrent round did.
struct round_outcome {
  bool completed = true;  // false: the schedule hit its step bound (a livelock)
  std::string schedule;   // the strategy, under the scheduler; "" on real threads
};

class concurrent_runner {
 public:
  explicit concurrent_runner(unsigned threads)
      : threads_(threads)
#if !defined(ENLIST_DETERMINISTIC_SCHEDULE)
        ,
        runner_(threads)
#endif
  {
  }

  unsigned threads() const {
    return threads_;
  }

  // Runs body(t) for every t < active (at most threads()) and returns when all have finished,
  // with everything they did visible to the caller. `seed` chooses the interleaving under the
  // scheduler; real threads ignore it.
  round_outcome run(const std::function<void(unsigned)>& body, [[maybe_unused]] std::uint64_t seed,
                    unsigned active = ~0U) {
    active = active < threads_ ? active : threads_;
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
    std::vector<std::function<void()>> bodies;
    for (unsigned t = 0; t < active; ++t)
      bodies.emplace_back([&body, t] { body(t); });
    const schedule_result result = deterministic_schedule::run(seed, bodies);
    return {result.completed, result.strategy};
#else
    runner_.run([&body, active](unsigned t) {
      if (t >= active) return;
      index() = static_cast<int>(t);
      body(t);
      index() = -1;
    });
    return {};
#endif
  }

  // Which of the round's threads the caller is (the t its body was given), or -1 outside a
  // round. For test code that needs per-thread state: under the scheduler, scheduled threads
  // share one OS thread, so a thread_local cannot tell them apart.
  static int current_thread() noexcept {
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
    return deterministic_schedule::current();
#else
    return index();
#endif
  }

 private:
#if !defined(ENLIST_DETERMINISTIC_SCHEDULE)
  static int& index() noexcept {
    thread_local int i = -1;
    return i;
  }
#endif

  unsigned threads_;
#if !defined(ENLIST_DETERMINISTIC_SCHEDULE)
  round_runner runner_;
#endif
};

}  // namespace enlist::test
