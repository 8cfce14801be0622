#include "enlist/reclaim/asymmetric_fence.hpp"

#include "platform/process_barrier.hpp"

namespace enlist::reclaim {

namespace {

// Statistics only: relaxed, and a plain std::atomic (not a schedule point) in every build.
std::atomic<std::uint64_t> heavy_fences{0};

}  // namespace

namespace detail {

// Constant-initialised: readable before any static initialiser runs.
constinit std::atomic<fence_mode> fence_mode_in_effect{fence_mode::undecided};

fence_mode decide_fence_mode() noexcept {
  fence_mode mode = fence_mode_in_effect.load(std::memory_order_acquire);
  if (mode != fence_mode::undecided) return mode;
  // Registration is idempotent, so racing deciders may each register; the first CAS decides.
  const fence_mode found =
      platform::register_process_barrier() ? fence_mode::process_barrier : fence_mode::full_fences;
  if (fence_mode_in_effect.compare_exchange_strong(mode, found, std::memory_order_release,
                                                   std::memory_order_acquire)) {
    return found;
  }
  return mode;  // another decider's
}

void light_fence_without_barrier() noexcept {
  if (decide_fence_mode() == fence_mode::process_barrier) {
    std::atomic_signal_fence(std::memory_order_seq_cst);  // decided just now
  } else {
    seq_cst_fence();
  }
}

}  // namespace detail

namespace {

detail::fence_mode mode_in_effect() noexcept {
  const detail::fence_mode mode = detail::fence_mode_in_effect.load(std::memory_order_acquire);
  return mode != detail::fence_mode::undecided ? mode : detail::decide_fence_mode();
}

}  // namespace

bool uses_process_barrier() noexcept {
  return mode_in_effect() == detail::fence_mode::process_barrier;
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
  if (mode_in_effect() == detail::fence_mode::process_barrier) platform::process_barrier();
  seq_cst_fence();
#endif
}

}  // namespace enlist::reclaim
