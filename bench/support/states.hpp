#pragma once
// The session states every benchmark hands to every backend, and where they live.
//
// A bench_state is what a provider's session state looks like to a registry: an
// enlist::session_state (COM-shaped AddRef/Release, virtual), 64 bytes and 64-byte aligned so
// that two states never share a cache line (separately allocated COM objects do not either).
// The arena holds one reference to each state for the whole run, so Release never destroys one.
//
// Three pools, all allocated once, before any measurement, so that every backend sees the same
// addresses:
//   live    states 0..N-1 are the N sessions enlisted before a workload starts;
//   own     own_per_thread states per benchmark thread, begun and ended by that thread only;
//   absent  absent_per_thread states per thread that no workload ever begins (end_miss keys).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "enlist/session_state.hpp"

namespace enlist::bench {

inline constexpr int max_threads = 64;
inline constexpr std::size_t own_per_thread = 4096;  // a power of two: indices wrap with a mask
inline constexpr std::size_t absent_per_thread = 4096;

class alignas(64) bench_state final : public session_state {
 public:
  bench_state() = default;
  ~bench_state() override = default;

  // The same orders as enlist::ref_counted_session_state; no delete (the arena owns the state).
  std::uint32_t AddRef() noexcept override {
    return refs_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  std::uint32_t Release() noexcept override {
    return refs_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  }
  bool IsCanceled() const noexcept override { return false; }

 private:
  std::atomic<std::uint32_t> refs_{1};
};
static_assert(sizeof(bench_state) == 64);

inline std::uintptr_t key_of(const session_state* s) noexcept {
  return reinterpret_cast<std::uintptr_t>(s);
}

class state_arena {
 public:
  // Sized once, before the first benchmark, for the largest live population of the profile.
  static void reserve(std::size_t max_live) { instance_storage().reset(new state_arena(max_live)); }
  static state_arena& get() noexcept { return *instance_storage(); }

  bench_state* live(std::size_t i) noexcept { return &states_[i]; }
  std::span<bench_state> own(int thread) noexcept {
    return {&states_[max_live_ + static_cast<std::size_t>(thread) * own_per_thread],
            own_per_thread};
  }
  std::span<bench_state> absent(int thread) noexcept {
    return {&states_[max_live_ + max_threads * own_per_thread +
                     static_cast<std::size_t>(thread) * absent_per_thread],
            absent_per_thread};
  }

 private:
  explicit state_arena(std::size_t max_live)
      : max_live_(max_live),
        states_(new bench_state[max_live + max_threads * (own_per_thread + absent_per_thread)]) {}
  static std::unique_ptr<state_arena>& instance_storage() noexcept {
    static std::unique_ptr<state_arena> arena;
    return arena;
  }

  std::size_t max_live_;
  std::unique_ptr<bench_state[]> states_;
};

}  // namespace enlist::bench
