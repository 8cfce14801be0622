#pragma once
// A "world" is a backend filled with N live sessions: built once by thread 0 of the first run of
// a benchmark, reused by its later runs (Google Benchmark calls the function several times to
// size the iteration count, then once per repetition, once per thread count), and destroyed when
// a benchmark with another key starts. Building a world is never timed.
//
// Synchronisation: thread 0 builds under the cache's mutex before the benchmark's start barrier;
// the other threads of the run wait until the cache holds their key. Runs are sequential, so the
// world a thread sees is the one thread 0 of its own run built or kept.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <benchmark/benchmark.h>

namespace enlist::bench {

class world_cache {
 public:
  template <class World, class Make>
  static World& acquire(const benchmark::State& st, const std::string& key, Make&& make) {
    world_cache& c = instance();
    std::unique_lock lock(c.mutex_);
    if (st.thread_index() == 0) {
      if (c.key_ != key) {
        c.key_.clear();
        c.world_.reset();  // free the previous world before building the next one
        c.world_ = std::shared_ptr<void>(make());
        c.key_ = key;
      }
      c.ready_.notify_all();
    } else {
      c.ready_.wait(lock, [&] { return c.key_ == key; });
    }
    return *static_cast<World*>(c.world_.get());
  }

  static void clear() {
    world_cache& c = instance();
    std::lock_guard lock(c.mutex_);
    c.key_.clear();
    c.world_.reset();
  }

 private:
  static world_cache& instance() {
    static world_cache cache;
    return cache;
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::string key_;
  std::shared_ptr<void> world_;
};

}  // namespace enlist::bench
