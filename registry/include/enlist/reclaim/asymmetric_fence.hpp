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
// Windows FlushProcessWriteBuffers (not under Wine, whose version of it may do nothing: see
// src/platform/process_barrier_windows.cpp). Elsewhere, or where the system refuses, both are
// seq_cst fences. The choice is made once, during static initialisation; a light fence that runs
// earlier (from another translation unit's static initialiser) sees "unavailable" and uses the
// full fence, which is the safe direction.
//
// Under the deterministic scheduler of the test suite (detail/atomic.hpp) threads run one at a
// time, so every execution is sequentially consistent: each fence is only a schedule point there.

#include <atomic>
#include <cstdint>

#include "enlist/detail/atomic.hpp"

namespace enlist::reclaim {

namespace detail {
// True once the process-wide barrier is registered; written once during static initialisation.
extern const bool process_barrier_available;
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
  if (detail::process_barrier_available) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    seq_cst_fence();
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
