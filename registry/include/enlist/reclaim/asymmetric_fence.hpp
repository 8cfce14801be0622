#pragma once
// A pair of fences of unequal cost for store-buffer handshakes where one side runs on every
// operation and the other almost never (enlist: every map operation announces itself; a table is
// retired once per migration).
//
// light_fence() and heavy_fence() together order like two seq_cst fences: for a light side doing
// "store A; light_fence(); load B" and a heavy side doing "store B; heavy_fence(); load A", at
// least one of the loads sees the other side's store.
//
// Where the operating system has a process-wide memory barrier, the light fence is a compiler
// barrier and the heavy fence is that barrier, which runs a full memory barrier on every CPU
// currently running a thread of this process (the technique of folly's asymmetric barriers and
// liburcu's urcu-memb flavour): on Linux membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), on
// Windows FlushProcessWriteBuffers once a probe has shown its effect (never under Wine, whose
// version of it may do nothing: see src/platform/process_barrier_windows.cpp). Elsewhere, or
// where the system refuses, both are seq_cst fences.
//
// The pair is only sound if both sides use the same mode, so the mode is decided once, by the
// first fence of the process (light or heavy, whenever it runs: from main, another thread or
// another translation unit's static initialiser), and never changes: every fence reads the
// decided mode, and one that finds it undecided decides it first (racing deciders agree through
// one CAS). No fence can run in a mode other than the one every later fence runs in.
// Memory order: the mode is an atomic byte. The decider stores it with release after the
// system's registration; heavy_fence() loads it with acquire, so its barrier is issued after the
// registration it needs. light_fence() loads it relaxed: it only picks which fence to run, and
// reads no data the decision published.
//
// Under the deterministic scheduler of the test suite (detail/atomic.hpp) threads run one at a
// time, so every execution is sequentially consistent: each fence is only a schedule point there.

#include <atomic>
#include <cstdint>

#include "enlist/detail/atomic.hpp"

namespace enlist::reclaim {

namespace detail {
enum class fence_mode : std::uint8_t { undecided, full_fences, process_barrier };
// Decided by the first fence of the process (decide_fence_mode), then constant.
extern std::atomic<fence_mode> fence_mode_in_effect;
// Decides the mode if nobody has yet, and returns the mode in effect.
fence_mode decide_fence_mode() noexcept;
// light_fence() in any mode but process_barrier (out of line: that mode is the fast path).
void light_fence_without_barrier() noexcept;
}  // namespace detail

// A full (seq_cst) fence that ThreadSanitizer accepts. TSan does not model standalone fences
// (GCC refuses them under -fsanitize=thread); there, a locked RMW on a thread-private word is a
// full fence on x86 and adds no happens-before edge between threads that could hide a real race.
inline void seq_cst_fence() noexcept {
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
  enlist::detail::schedule_point();
#elif defined(__SANITIZE_THREAD__)
  thread_local std::atomic<int> word{0};
  word.exchange(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

inline void light_fence() noexcept {
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
  enlist::detail::schedule_point();
#else
  // Relaxed: see the header's memory order note.
  if (detail::fence_mode_in_effect.load(std::memory_order_relaxed) ==
      detail::fence_mode::process_barrier) [[likely]] {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    detail::light_fence_without_barrier();
  }
#endif
}

void heavy_fence() noexcept;

// Whether heavy_fence() is the operating system's process-wide barrier (and light_fence() only a
// compiler barrier), or both are full fences: what a test or benchmark run reports about the
// platform it ran on.
bool uses_process_barrier() noexcept;

// How many heavy fences this process has issued (statistics, relaxed): each is a system call,
// so tests check with it which paths never make one.
std::uint64_t heavy_fence_count() noexcept;

}  // namespace enlist::reclaim
