#include "platform/barrier_probe.hpp"

#include "enlist/reclaim/asymmetric_fence.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace enlist::reclaim::platform {

namespace {

// Rounds at most, and how many reorderings the stand-in rounds must show for the call to be
// trusted when its own rounds show none: if the call ordered nothing beyond its own thread, each
// of them would have fallen in a call round as likely as not (the stand-in fences this thread
// too: see run_rounds), so all of them missing the call rounds by chance has probability 2^-40.
constexpr std::uint32_t max_rounds = 200'000;
constexpr std::uint32_t stand_in_reorderings = 40;
// Lines the light side stores to, each flushed from the cache first, before it stores x.
constexpr std::size_t missing_stores = 48;

struct alignas(64) padded_word {
  std::atomic<std::uint32_t> value{0};
};

// The two threads' shared words, each on a line of its own. The litmus accesses are relaxed:
// the test is about what relaxed accesses may do. The round hand-off (release go, acquire go;
// release done, acquire done) only orders one round after another.
struct litmus {
  padded_word x, y;
  padded_word go;    // the round the light side may run
  padded_word done;  // the last round the light side finished
  padded_word r1;    // the light side's load, published by `done`
  padded_word stop;
  std::array<padded_word, missing_stores> missing;  // the light side's alone
};

// A spin the compiler cannot remove; its length in time is measured by `calibrate`.
void spin(std::uint32_t n) noexcept {
  for (std::uint32_t i = 0; i < n; ++i)
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

std::uint32_t next_random(std::uint32_t& state) noexcept {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

void light_side(litmus& l) noexcept {
  std::uint32_t random = 0x9e3779b9U;
  for (std::uint32_t round = 1;; ++round) {
    while (l.go.value.load(std::memory_order_acquire) != round) {
      if (l.stop.value.load(std::memory_order_relaxed) != 0) return;
    }
#if defined(__x86_64__) || defined(_M_X64)
    for (padded_word& w : l.missing)
      _mm_clflush(&w);
    _mm_mfence();  // the flushes complete before the stores below
#endif
    spin(next_random(random) % 48);
    for (padded_word& w : l.missing)
      w.value.store(round, std::memory_order_relaxed);
    l.x.value.store(1, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);  // a compiler barrier only
    l.r1.value.store(l.y.value.load(std::memory_order_relaxed), std::memory_order_relaxed);
    l.done.value.store(round, std::memory_order_release);
  }
}

// The heavy side's state across rounds: the round number, and how long it waits after handing
// the light side its round, moved round by round towards the point where the two overlap.
struct heavy_side {
  std::uint32_t round = 0;
  std::uint32_t delay = 64;
  std::uint32_t random = 0x85ebca6bU;
};

// Reorderings (r1 == r2 == 0) seen so far, in the rounds with the call and in those with its
// stand-in.
struct tally {
  std::uint32_t call = 0;
  std::uint32_t stand_in = 0;
};

// Runs `rounds` rounds. Between the heavy side's store and load each puts either barrier() or its
// stand-in, by a coin toss per round: whatever the machine does meanwhile (load, scheduling, the
// interconnect's mode) falls alike on both kinds. The stand-in is a full fence of this thread
// and a spin of `stand_in` iterations (as long as the call): a call that fences no more than its
// own thread then differs from its stand-in in nothing that could order the light side, so its
// rounds reorder as often. (A plain spin as the stand-in let a one-sided fence look like a
// barrier under emulation, where the fence changed the timing of the rounds it ran in.)
void run_rounds(litmus& l, heavy_side& h, std::uint32_t rounds, void (*barrier)() noexcept,
                std::uint32_t stand_in, tally& seen) noexcept {
  for (std::uint32_t i = 0; i < rounds; ++i) {
    const bool with_call = (next_random(h.random) >> 31) != 0;
    l.x.value.store(0, std::memory_order_relaxed);
    l.y.value.store(0, std::memory_order_relaxed);
    const std::uint32_t round = ++h.round;
    l.go.value.store(round, std::memory_order_release);
    spin(h.delay + next_random(h.random) % 32);
    l.y.value.store(1, std::memory_order_relaxed);
    if (with_call) {
      barrier();
    } else {
      seq_cst_fence();  // a full fence of this thread (an RMW under ThreadSanitizer)
      spin(stand_in);
    }
    std::atomic_signal_fence(std::memory_order_seq_cst);
    const std::uint32_t r2 = l.x.value.load(std::memory_order_relaxed);
    while (l.done.value.load(std::memory_order_acquire) != round) {
    }
    const std::uint32_t r1 = l.r1.value.load(std::memory_order_relaxed);
    if (r1 == 0 && r2 == 0) ++(with_call ? seen.call : seen.stand_in);
    // Only the light side's store was missed: this side ran first, so wait longer; the other
    // way round, shorter.
    if (r1 == 1 && r2 == 0) h.delay = std::min<std::uint32_t>(h.delay + 1, 100'000);
    if (r1 == 0 && r2 == 1 && h.delay > 0) --h.delay;
  }
}

// Spin iterations that take as long as one call of barrier(), by the median of a few timings.
std::uint32_t calibrate(void (*barrier)() noexcept) noexcept {
  using clock = std::chrono::steady_clock;
  constexpr int calls = 64, samples = 5;
  std::array<double, samples> call_ns{}, spin_ns{};
  constexpr std::uint32_t spin_length = 100'000;
  for (int s = 0; s < samples; ++s) {
    const auto t0 = clock::now();
    for (int c = 0; c < calls; ++c)
      barrier();
    const auto t1 = clock::now();
    spin(spin_length);
    const auto t2 = clock::now();
    call_ns[s] = std::chrono::duration<double, std::nano>(t1 - t0).count() / calls;
    spin_ns[s] = std::chrono::duration<double, std::nano>(t2 - t1).count() / spin_length;
  }
  std::sort(call_ns.begin(), call_ns.end());
  std::sort(spin_ns.begin(), spin_ns.end());
  const double per_iteration = std::max(spin_ns[samples / 2], 0.01);
  return static_cast<std::uint32_t>(std::min(call_ns[samples / 2] / per_iteration, 1e7));
}

}  // namespace

barrier_evidence probe_barrier(void (*barrier)() noexcept) noexcept {
  const std::uint32_t stand_in = calibrate(barrier);
  litmus l;
  std::thread light;
  try {
    light = std::thread(light_side, std::ref(l));
  } catch (...) {
    return barrier_evidence::not_shown;
  }
  heavy_side h;
  tally seen;
  for (std::uint32_t run = 0;
       run < max_rounds && seen.call == 0 && seen.stand_in < stand_in_reorderings; run += 1000) {
    run_rounds(l, h, 1000, barrier, stand_in, seen);
  }
  const barrier_evidence evidence = seen.call != 0 ? barrier_evidence::broken
                                    : seen.stand_in >= stand_in_reorderings
                                        ? barrier_evidence::works
                                        : barrier_evidence::not_shown;
  l.stop.value.store(1, std::memory_order_relaxed);
  light.join();
  return evidence;
}

}  // namespace enlist::reclaim::platform
