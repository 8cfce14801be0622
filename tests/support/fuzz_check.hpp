#pragma once
// Shared pieces of enlist's fuzz harnesses: an input reader that never runs past the end, and a
// check that aborts (the crash libFuzzer looks for, and the failure a corpus replay reports).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace enlist::test {

[[noreturn]] inline void fuzz_failure(const char* what, const char* file, int line) {
  // One report per process: when several threads fail at once, the others wait for the first
  // one's abort, so that libFuzzer's crash handler can write the input out undisturbed.
  static std::atomic_flag failed = ATOMIC_FLAG_INIT;
  if (failed.test_and_set()) {
    for (;;)
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
  std::abort();
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

// Runs runs[t].run(programs[t]) for every thread program: inline when there is one (so that
// single-threaded inputs reproduce deterministically), else on one thread each, and joins them.
template <class Run, class Program>
void run_thread_programs(std::vector<Run>& runs, const std::vector<Program>& programs) {
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
}

}  // namespace enlist::test

// A macro so that the report names the line and the condition, like assert, but kept in release
// builds, where the corpus replay also runs.
#define ENLIST_FUZZ_CHECK(condition) \
  ((condition) ? void(0) : ::enlist::test::fuzz_failure(#condition, __FILE__, __LINE__))
