#pragma once
// Runs many short rounds of a concurrent body on one fixed set of threads. Thousands of short
// histories would otherwise spend most of their time creating threads, and threads started one
// after another barely overlap; a barrier lines them all up at the start of every round.

#include <functional>
#include <thread>
#include <vector>

#include "support/thread_sync.hpp"

namespace enlist::test {

class round_runner {
 public:
  explicit round_runner(unsigned threads) : barrier_(threads + 1) {
    for (unsigned t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t] {
        for (;;) {
          barrier_.arrive_and_wait();  // start of a round; body_ and stop_ happen-before this
          if (stop_) return;
          body_(t);
          barrier_.arrive_and_wait();  // end of the round
        }
      });
    }
  }
  ~round_runner() {
    stop_ = true;
    barrier_.arrive_and_wait();
    for (std::thread& thread : threads_)
      thread.join();
  }
  round_runner(const round_runner&) = delete;
  round_runner& operator=(const round_runner&) = delete;

  unsigned threads() const { return static_cast<unsigned>(threads_.size()); }

  // Runs body(thread index) on every thread at once; returns when all have finished, with
  // everything they did visible to the caller.
  void run(std::function<void(unsigned)> body) {
    body_ = std::move(body);
    barrier_.arrive_and_wait();
    barrier_.arrive_and_wait();
  }

 private:
  thread_barrier<> barrier_;
  std::function<void(unsigned)> body_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace enlist::test
