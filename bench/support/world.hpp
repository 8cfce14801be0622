#pragma once
// A "world" is a backend filled with N live sessions: built once by the first run of a benchmark,
// reused by its later runs (Google Benchmark calls the function several times to size the
// iteration count, then once per repetition), and destroyed when a benchmark with another key
// starts. Building a world is never timed. Benchmarks run one at a time on Google Benchmark's
// thread, which is the only thread that builds, keeps or drops a world; the workers of a thread
// group (thread_group.hpp) only use the one their round was given.

#include <memory>
#include <string>

namespace enlist::bench {

class world_cache {
 public:
  template <class World, class Make>
  static World& acquire(const std::string& key, Make&& make) {
    world_cache& c = instance();
    if (c.key_ != key) {
      c.key_.clear();
      c.world_.reset();  // free the previous world before building the next one
      c.world_ = std::shared_ptr<void>(make());
      c.key_ = key;
    }
    return *static_cast<World*>(c.world_.get());
  }

  static void clear() {
    world_cache& c = instance();
    c.key_.clear();
    c.world_.reset();
  }

 private:
  static world_cache& instance() {
    static world_cache cache;
    return cache;
  }

  std::string key_;
  std::shared_ptr<void> world_;
};

}  // namespace enlist::bench
