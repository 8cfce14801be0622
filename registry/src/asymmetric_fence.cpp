#include "enlist/reclaim/asymmetric_fence.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>

namespace enlist::reclaim {

namespace {

long membarrier(int command) noexcept {
  return syscall(__NR_membarrier, command, 0U, 0);
}

bool register_membarrier() noexcept {
  const long supported = membarrier(MEMBARRIER_CMD_QUERY);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

// Statistics only: relaxed, and a plain std::atomic (not a schedule point) in every build.
std::atomic<std::uint64_t> heavy_fences{0};

}  // namespace

namespace detail {
extern const bool membarrier_available = register_membarrier();
}  // namespace detail

std::uint64_t heavy_fence_count() noexcept {
  return heavy_fences.load(std::memory_order_relaxed);
}

void heavy_fence() noexcept {
  heavy_fences.fetch_add(1, std::memory_order_relaxed);
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
  enlist::detail::schedule_point();
#else
  // The process-wide barrier also orders this thread; the local fences cover the fallback and
  // keep the compiler from moving this thread's accesses across the call.
  seq_cst_fence();
  if (detail::membarrier_available && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
    // Registered, yet refused (a seccomp policy, say). Readers rely on this barrier, so fall
    // back to the global one, which needs no registration; without either, reclamation would
    // be unsafe, and stopping is the only safe answer.
    if (membarrier(MEMBARRIER_CMD_GLOBAL) != 0) std::terminate();
  }
  seq_cst_fence();
#endif
}

}  // namespace enlist::reclaim
