#pragma once
// libcds needs cds::Initialize() once, a hazard-pointer garbage collector object alive while
// any HP-based container is used, and every thread that touches a container attached to it.
// cds_runtime::attach_thread() does all of that on a thread's first call and detaches the thread
// when it exits (a thread_local guard); the runtime itself lives until the end of the program.

#include <cds/gc/hp.h>
#include <cds/init.h>
#include <cds/threading/model.h>

#include <cstdint>
#include <optional>

namespace enlist::bench {

class cds_runtime {
 public:
  static void attach_thread() {
    (void)instance();
    thread_local const thread_guard guard;
  }
  static void quiesce() {
    attach_thread();
    cds::gc::HP::force_dispose();
  }

 private:
  struct runtime {
    runtime() { cds::Initialize(); }
    ~runtime() { cds::Terminate(); }
  };
  struct collector {
    // 100 threads at most (Google Benchmark's 64 plus the main thread fit).
    cds::gc::HP hp{0, 100};
  };
  struct thread_guard {
    thread_guard() {
      if (!cds::threading::Manager::isThreadAttached()) cds::threading::Manager::attachThread();
    }
    ~thread_guard() { cds::threading::Manager::detachThread(); }
  };
  static collector& instance() {
    static runtime init;
    static collector gc;
    return gc;
  }
};

// The value of key in a libcds map, through its find-with-functor (the containers offer no
// const find; the functor runs under the map's own hazard-pointer protection).
template <class Map>
std::optional<std::uint64_t> cds_find(const Map& map, std::uintptr_t key) {
  std::optional<std::uint64_t> out;
  const_cast<Map&>(map).find(key, [&out](auto& item) { out = item.second; });
  return out;
}

}  // namespace enlist::bench
