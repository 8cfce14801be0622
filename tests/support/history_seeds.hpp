#pragma once
// Seeds and counts for tests that run many random concurrent histories (the linearizability
// tests). Each history is a function of one seed: under the deterministic scheduler that covers
// its shape, its operations and the interleaving of every atomic step, so a failing history
// replays exactly.
//
//   ENLIST_HISTORIES=<n>        how many histories to run (long runs: 1000000)
//   ENLIST_HISTORY_SEED=<seed>  run only the history with this seed (what a failure prints)

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "support/concurrent_runner.hpp"
#include "support/scale.hpp"

namespace enlist::test {

inline std::uint64_t mix_seed(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::optional<std::uint64_t> env_number(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::strtoull(text, nullptr, 0);
}

// The histories to run: ENLIST_HISTORIES, else the default for this build (fewer under the
// sanitizers).
inline std::size_t histories_to_run(std::size_t real_threads, std::size_t scheduled) {
  if (const auto n = env_number("ENLIST_HISTORIES")) return static_cast<std::size_t>(*n);
  return scaled(scheduled_build ? scheduled : real_threads, 5);
}

// Calls run(seed) for the seeds of `count` histories derived from `base` (or only for
// ENLIST_HISTORY_SEED) until one returns a violation; returns it, followed by how to replay it.
// `done` receives the number of histories run.
template <class Run>
std::optional<std::string> for_each_history(std::size_t count, std::uint64_t base, Run&& run,
                                            std::size_t& done) {
  const std::optional<std::uint64_t> only = env_number("ENLIST_HISTORY_SEED");
  done = 0;
  for (std::size_t h = 0; h < (only ? 1 : count); ++h) {
    const std::uint64_t seed = only ? *only : mix_seed(base * 0x100000001b3ULL + h);
    std::optional<std::string> violation = run(seed);
    ++done;
    if (violation) {
      if (scheduled_build) {
        char replay[96];
        std::snprintf(replay, sizeof replay, "\nreplay: ENLIST_HISTORY_SEED=%#" PRIx64, seed);
        *violation += replay;
      }
      return violation;
    }
  }
  return std::nullopt;
}

}  // namespace enlist::test
