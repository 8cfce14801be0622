#include "enlist/reclaim/asymmetric_fence.hpp"

#include "platform/process_barrier.hpp"

namespace enlist::reclaim {

namespace {

// Statistics only: relaxed, and a plain std::atomic (not a schedule point) in every build.
std::atomic<std::uint64_t> heavy_fences{0};

}  // namespace

namespace detail {
extern const bool process_barrier_available = platform::register_process_barrier();
}  // namespace detail

bool uses_process_barrier() noexcept {
  return detail::process_barrier_available;
}

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
  if (detail::process_barrier_available) platform::process_barrier();
  seq_cst_fence();
#endif
}

}  // namespace enlist::reclaim
