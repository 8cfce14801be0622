#pragma once
// Shared pieces of enlist's fuzz harnesses: an input reader that never runs past the end, a check
// that aborts (the crash libFuzzer looks for, and the failure a corpus replay reports), and the
// driver that runs one program per thread: on real threads, or, when the harness is built against
// the scheduled library, under the deterministic scheduler with a seed taken from the input.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
#include <functional>
#include <string>

#include "schedule/deterministic_schedule.hpp"
#endif

namespace enlist::test {

// The schedule of the run in progress, named in failure reports ("" on real threads).
inline std::string& schedule_in_progress() {
  static std::string description;
  return description;
}

[[noreturn]] inline void fuzz_failure(const char* what, const char* file, int line) {
  // One report per process: when several threads fail at once, the others wait for the first
  // one's abort, so that libFuzzer's crash handler can write the input out undisturbed.
  static std::atomic_flag failed = ATOMIC_FLAG_INIT;
  if (failed.test_and_set()) {
    for (;;)
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
  if (!schedule_in_progress().empty()) {
    std::fprintf(stderr, "under %s\n", schedule_in_progress().c_str());
  }
  std::abort();
}

// Added to every input's seed by the replay driver's --sweep option, to run one program under
// many schedules; 0 otherwise.
inline std::uint64_t& schedule_sweep_offset() {
  static std::uint64_t offset = 0;
  return offset;
}

// The schedule seed of an input: a hash of all its bytes, so that libFuzzer's mutations explore
// schedules along with programs and an input replays on its own.
inline std::uint64_t schedule_seed(const std::uint8_t* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (std::size_t i = 0; i < size; ++i)
    h = (h ^ data[i]) * 0x100000001b3ULL;
  return h + schedule_sweep_offset();
}

// Reads the fuzzer's bytes front to back; past the end every read is 0, so any input decodes.
class fuzz_input {
 public:
  fuzz_input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return position_ >= size_; }
  std::uint8_t byte() { return position_ < size_ ? data_[position_++] : 0; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t position_ = 0;
};

// Runs runs[t].run(programs[t]) for every thread program and returns when all are done. Under the
// scheduler: one scheduled thread each, interleaved as `seed` decides. On real threads: inline when
// there is one (so that single-threaded inputs reproduce), else one thread each.
template <class Run, class Program>
void run_thread_programs(std::vector<Run>& runs, const std::vector<Program>& programs,
                         [[maybe_unused]] std::uint64_t seed) {
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
  std::vector<std::function<void()>> bodies;
  for (std::size_t t = 0; t < runs.size(); ++t) {
    bodies.emplace_back([&runs, &programs, t] { runs[t].run(programs[t]); });
  }
  char description[128];
  std::snprintf(description, sizeof description, "schedule seed %#llx, %s, pacing from the seed",
                static_cast<unsigned long long>(seed),
                deterministic_schedule::describe(seed).c_str());
  schedule_in_progress() = description;
  const schedule_result result =
      deterministic_schedule::run(seed, bodies, deterministic_schedule::default_max_steps,
                                  deterministic_schedule::pacing::from_seed);
  if (!result.completed) {
    fuzz_failure("every thread finishes within the schedule's step bound", __FILE__, __LINE__);
  }
  schedule_in_progress().clear();
#else
  if (runs.size() == 1) {
    runs[0].run(programs[0]);
    return;
  }
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < runs.size(); ++t) {
    threads.emplace_back([&runs, &programs, t] { runs[t].run(programs[t]); });
  }
  for (std::thread& thread : threads)
    thread.join();
#endif
}

}  // namespace enlist::test

// A macro so that the report names the line and the condition, like assert, but kept in release
// builds, where the corpus replay also runs.
#define ENLIST_FUZZ_CHECK(condition) \
  ((condition) ? void(0) : ::enlist::test::fuzz_failure(#condition, __FILE__, __LINE__))
