#pragma once
// A seeded scheduler that decides, at every atomic step of enlist's lock-free code, which thread
// runs next: concurrent tests become functions of a seed, and a failing seed replays the same
// interleaving every time (folly's DeterministicSchedule is the model).
//
// HOW IT WORKS
//   Tests that use it link the library's scheduled build (enlist_registry_scheduled), where
//   every operation on a detail::atomic and every fence first calls detail::schedule_point()
//   (registry/include/enlist/detail/atomic.hpp). run() hands each body to a thread of a fixed
//   pool and lets exactly one of them run at a time; at each schedule point the running thread
//   asks the strategy for the next one and, if that is another thread, wakes it and sleeps.
//   Between two points a thread runs alone, so code without schedule points (the test's own
//   bookkeeping, allocation, a model update) is atomic with respect to the others, and every
//   execution is sequentially consistent: weaker reorderings are the real-thread tests' job.
//
// WHAT THE SEED DECIDES
//   The strategy and its parameters, then every decision:
//     uniform         any runnable thread, uniformly, at every point (fine-grained mixing);
//     sticky(1/n)     switch to a random thread with probability 1/n, else go on (long runs of
//                     one thread, so a whole migration can pass while another thread is parked
//                     at one step);
//     pct(d, h)       probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): random
//                     thread priorities, the highest runnable one runs, and at d - 1 random points
//                     in the first h steps the running thread drops below all others. Finds any
//                     bug that needs d ordering constraints with probability >= 1/(n h^(d-1)).
//   The same seed, bodies and starting state give the same decisions, hence the same run.
//
// DETERMINISM REQUIREMENTS (what a test must keep for a seed to replay)
//   Bodies must not block except through schedule points, nor read clocks or addresses that
//   change from run to run. The library's per-thread state is made identical at the start of
//   every run: the pool threads and the calling thread register their reclamation records once,
//   in a fixed order, when the pool is created, and each body starts with its record's pacing
//   counter (which times the map's housekeeping) at zero, or at a value the seed picks
//   (pacing::from_seed). Real threads reuse the records of threads that exited, counters and all,
//   so a program that failed on real threads may need the second to fail again. Real threads must not use the scheduled library in the same process (their
//   records would change what a reclamation scan visits).
//
// TERMINATION
//   A run that passes max_steps points stops scheduling: the threads finish freely (lock-free
//   code always can) and the result says it did not complete, which a test reports as a failure:
//   under a fair-enough schedule a lock-free operation that never completes is a livelock.

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "enlist/detail/atomic.hpp"

namespace enlist::test {

// Sees every write to the library's atomics, on every thread, while it is installed (tests
// that count what an operation writes: tests/map/map_cost_model_test.cpp).
class write_observer {
 public:
  virtual void write(const void* address, enlist::detail::write_kind kind) noexcept = 0;

 protected:
  ~write_observer() = default;
};

struct schedule_result {
  bool completed = true;       // false when max_steps was reached and the rest ran unscheduled
  std::uint64_t steps = 0;     // schedule points passed
  std::uint64_t switches = 0;  // points at which another thread took over
  std::uint64_t trace = 0;     // hash of every decision: equal for runs that replay each other
  std::string strategy;        // e.g. "pct(depth 3, horizon 4096)"
};

class deterministic_schedule {
 public:
  static constexpr unsigned max_threads = 8;
  static constexpr std::uint64_t default_max_steps = 20'000'000;

  // Where each thread's housekeeping pacing starts: at zero, or where the seed says (0..255, the
  // pacing's whole period), as after earlier work on the same records.
  enum class pacing { zero, from_seed };

  // Runs every body on its own scheduled thread (at most max_threads) and returns when all have
  // finished, with everything they did visible to the caller. Not reentrant: one run at a time.
  static schedule_result run(std::uint64_t seed, std::span<const std::function<void()>> bodies,
                             std::uint64_t max_steps = default_max_steps,
                             pacing start = pacing::zero);

  // The strategy a seed selects, as run() reports it.
  static std::string describe(std::uint64_t seed);

  // The index of the scheduled thread calling (its body's position), or -1 outside a run.
  static int current() noexcept;

  // Installs `observer` (nullptr: none) for writes from now on.
  static void observe_writes(write_observer* observer) noexcept;
};

}  // namespace enlist::test
