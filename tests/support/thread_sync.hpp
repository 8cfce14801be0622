#pragma once
// A barrier and a latch for the tests' threads, on a mutex and a condition variable. Not
// std::barrier or std::latch: MinGW-w64's libstdc++ 12 (Debian 12) builds their waits on its
// atomic wait for platforms without futexes, which lost wake-ups (tests hung under Wine with no
// thread running). These are slower and do not matter: tests wait on them between rounds, never
// inside an operation under test.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace enlist::test {

struct no_completion {
  void operator()() const noexcept {}
};

// std::barrier's arrive_and_wait: the last of `count` threads to arrive runs `completion`
// (before any of them leaves), then all leave; reusable round after round.
template <class Completion = no_completion>
class thread_barrier {
 public:
  explicit thread_barrier(std::size_t count, Completion completion = {})
      : count_(count), completion_(completion) {}

  void arrive_and_wait() {
    std::unique_lock lock(mutex_);
    const std::uint64_t round = round_;
    if (++arrived_ == count_) {
      completion_();
      arrived_ = 0;
      ++round_;
      all_arrived_.notify_all();
      return;
    }
    all_arrived_.wait(lock, [&] { return round_ != round; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_arrived_;
  const std::size_t count_;
  Completion completion_;
  std::size_t arrived_ = 0;
  std::uint64_t round_ = 0;
};

// std::latch's count_down and wait.
class thread_latch {
 public:
  explicit thread_latch(std::size_t count) : left_(count) {}

  void count_down() {
    const std::lock_guard lock(mutex_);
    if (left_ > 0 && --left_ == 0) zero_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    zero_.wait(lock, [&] { return left_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  std::size_t left_;
};

}  // namespace enlist::test
