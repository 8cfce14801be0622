#pragma once
// The atomic type every lock-free part of enlist uses (the map, the reclamation, the sweep
// protection, the registry's flags), so that the test suite can run them under a deterministic
// scheduler, the technique of folly's DeterministicSchedule.
//
// Production builds: `detail::atomic<T>` is std::atomic<T> itself (an alias, so the code the
// compiler sees is exactly the std::atomic code: no wrapper, no hook, no cost).
//
// Scheduled builds (ENLIST_DETERMINISTIC_SCHEDULE defined, only ever in the test suite, which
// compiles the library a second time for them): every operation on a detail::atomic, and every
// fence of reclaim/asymmetric_fence.hpp, first calls schedule_point(), and every write reports
// its address to write_point() (the cost-model tests count them). The scheduler
// (tests/support/schedule) runs scheduled threads as fibers, one at a time, and decides at each
// such point, from a seed, which one goes on; so an interleaving of atomic steps is a function of
// the seed and replays exactly. The reclamation's per-thread record is the one other piece of
// per-thread state, and the scheduler keeps it per scheduled thread. It explores sequentially
// consistent interleavings only: reorderings that the memory model allows beyond those are left
// to the real-thread tests, TSan and the memory-order argument written next to each operation.

#include <atomic>
#include <cstddef>

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)

namespace enlist::detail {

// Defined by the scheduler the test is linked with.
// A point at which the scheduler may let another scheduled thread run. A no-op on other threads.
void schedule_point() noexcept;
// Called before every write to a detail::atomic (a failed compare-exchange counts: it takes the
// cache line like a successful one), so that tests can count, per operation, the writes the
// cost model in concurrent_map.hpp lists.
// `initialise` reports plain stores that prepare memory no other thread reads yet (a table's
// cells being zeroed), one call per 64-byte line, so that tests can bound that work too.
enum class write_kind : unsigned char { store, read_modify_write, initialise };
void write_point(const void* address, write_kind kind) noexcept;
// Called by code that spins until another thread takes a step (tagged_map's insert meeting an
// insert of the same key in flight): the scheduler lets another thread run, and under PCT ranks
// the waiting one below all others, which a priority-driven strategy would otherwise run forever.
void waiting_point() noexcept;
// The calling thread's slot for its reclamation record (reclaim/epoch.hpp). Scheduled threads
// share one OS thread, so a thread_local cannot tell them apart; other threads get their own.
void*& scheduled_thread_slot() noexcept;

// Reports `bytes` of plain initialisation at `address`, a call per line.
inline void initialised(const void* address, std::size_t bytes) noexcept {
  const auto* const first = static_cast<const unsigned char*>(address);
  for (std::size_t offset = 0; offset < bytes; offset += 64)
    write_point(first + offset, write_kind::initialise);
}

// std::atomic's interface, as far as enlist uses it, with a schedule point before each step.
template <class T>
class atomic {
 public:
  constexpr atomic() noexcept : value_() {}
  constexpr atomic(T desired) noexcept : value_(desired) {}  // NOLINT: as std::atomic
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  T load(std::memory_order order = std::memory_order_seq_cst) const noexcept {
    schedule_point();
    return value_.load(order);
  }
  void store(T desired, std::memory_order order = std::memory_order_seq_cst) noexcept {
    schedule_point();
    write_point(this, write_kind::store);
    value_.store(desired, order);
  }
  T exchange(T desired, std::memory_order order = std::memory_order_seq_cst) noexcept {
    schedule_point();
    write_point(this, write_kind::read_modify_write);
    return value_.exchange(desired, order);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
    schedule_point();
    write_point(this, write_kind::read_modify_write);
    return value_.compare_exchange_strong(expected, desired, success, failure);
  }
  // Never fails spuriously here: a spurious failure is one more retry of a loop, which the
  // scheduler could not choose and a replay could not repeat.
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                             std::memory_order failure) noexcept {
    return compare_exchange_strong(expected, desired, success, failure);
  }
  T fetch_add(T arg, std::memory_order order = std::memory_order_seq_cst) noexcept {
    schedule_point();
    write_point(this, write_kind::read_modify_write);
    return value_.fetch_add(arg, order);
  }
  T fetch_sub(T arg, std::memory_order order = std::memory_order_seq_cst) noexcept {
    schedule_point();
    write_point(this, write_kind::read_modify_write);
    return value_.fetch_sub(arg, order);
  }
  T fetch_or(T arg, std::memory_order order = std::memory_order_seq_cst) noexcept {
    schedule_point();
    write_point(this, write_kind::read_modify_write);
    return value_.fetch_or(arg, order);
  }

 private:
  std::atomic<T> value_;
};

}  // namespace enlist::detail

#else

namespace enlist::detail {

template <class T>
using atomic = std::atomic<T>;

// Only scheduled builds report writes and decide who runs while a thread waits.
inline void initialised(const void*, std::size_t) noexcept {}
inline void waiting_point() noexcept {}

}  // namespace enlist::detail

#endif
