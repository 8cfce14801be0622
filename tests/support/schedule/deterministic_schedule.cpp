// The deterministic scheduler: scheduled threads are fibers on the caller's OS thread, and the
// turn passes between them at schedule points. deterministic_schedule.hpp explains the
// design; this file is the mechanism.

#include "schedule/deterministic_schedule.hpp"

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "enlist/detail/atomic.hpp"
#include "enlist/reclaim/epoch.hpp"
#include "schedule/fiber_context.hpp"

#if !defined(ENLIST_DETERMINISTIC_SCHEDULE)
#error "the scheduler drives the scheduled build of the library (enlist_registry_scheduled)"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define ENLIST_FIBERS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENLIST_FIBERS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define ENLIST_FIBERS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ENLIST_FIBERS_TSAN 1
#endif
#endif
#if defined(ENLIST_FIBERS_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(ENLIST_FIBERS_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace enlist::test {

namespace {

constexpr std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class random_stream {
 public:
  explicit random_stream(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() noexcept { return mix(state_++); }
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }

 private:
  std::uint64_t state_;
};

enum class strategy_kind { uniform, sticky, pct };

struct strategy {
  strategy_kind kind = strategy_kind::uniform;
  std::uint64_t stay_odds = 1;  // sticky: switch with probability 1 / stay_odds
  unsigned depth = 1;           // pct
  std::uint64_t horizon = 1;    // pct

  static strategy from_seed(std::uint64_t seed) noexcept {
    random_stream r(mix(seed ^ 0x5eed5eed5eed5eedULL));
    strategy s;
    s.kind = static_cast<strategy_kind>(r.below(3));
    s.stay_odds = std::uint64_t{2} << r.below(10);    // 2 .. 1024
    s.depth = 1 + static_cast<unsigned>(r.below(5));  // 1 .. 5
    s.horizon = std::uint64_t{64} << r.below(12);     // 64 .. 131072
    return s;
  }

  std::string describe() const {
    std::ostringstream out;
    switch (kind) {
      case strategy_kind::uniform:
        out << "uniform";
        break;
      case strategy_kind::sticky:
        out << "sticky(1/" << stay_odds << ")";
        break;
      case strategy_kind::pct:
        out << "pct(depth " << depth << ", horizon " << horizon << ")";
        break;
    }
    return out.str();
  }
};

constexpr std::size_t stack_bytes = std::size_t{1} << 20;  // roomy for sanitizer frames
constexpr int no_fiber = -1;

// One scheduled thread: its stack and saved context.
struct fiber {
  fiber_context context;
  void* stack = nullptr;  // lowest usable byte; a guard page sits below
  const std::function<void()>* body = nullptr;
  bool runnable = false;
  std::int64_t priority = 0;  // PCT: below zero once the fiber has waited (see wait)
#if defined(ENLIST_FIBERS_TSAN)
  void* tsan_fiber = nullptr;
#endif
};

// The fiber holding the turn on this OS thread, or no_fiber (the caller's own context, or a
// thread the scheduler does not run): schedule points act only on fibers.
thread_local int running = no_fiber;

// The library's per-thread record slots: one per fiber, kept from run to run, and one per thread
// that is not a fiber. `slot_owner` names the one in use; it differs from `running` only while
// the scheduler registers the fibers' records, outside any run.
std::array<void*, deterministic_schedule::max_threads> fiber_record_slots{};
thread_local void* own_record_slot = nullptr;
thread_local int slot_owner = no_fiber;

void*& record_slot() noexcept {
  return slot_owner == no_fiber ? own_record_slot
                                : fiber_record_slots[static_cast<std::size_t>(slot_owner)];
}

class scheduler {
 public:
  scheduler() {
#if !defined(_WIN32)  // Windows fibers come with stacks of their own (fiber_context.cpp)
    for (fiber& f : fibers_) {
      const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
      void* block = mmap(nullptr, stack_bytes + page, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (block == MAP_FAILED) fail("cannot map a fiber stack");
      mprotect(block, page, PROT_NONE);  // a stack overflow faults instead of corrupting
      f.stack = static_cast<char*>(block) + page;
#if defined(ENLIST_FIBERS_TSAN)
      f.tsan_fiber = __tsan_create_fiber(0);
#endif
    }
#endif
    // The caller's record first, then each fiber's, in a fixed order: the reclamation's list of
    // records is the same in every process that uses the scheduler (see the header).
    reclaim::epoch_domain::global().this_thread();
    for (int i = 0; i < static_cast<int>(fibers_.size()); ++i) {
      slot_owner = i;
      reclaim::epoch_domain::global().this_thread();
    }
    slot_owner = no_fiber;
  }

  schedule_result run(std::uint64_t seed, std::span<const std::function<void()>> bodies,
                      std::uint64_t max_steps, deterministic_schedule::pacing start) {
    if (bodies.empty() || bodies.size() > fibers_.size() || running != no_fiber) {
      fail("run() takes 1 to max_threads bodies and is not reentrant");
    }
    strategy_ = strategy::from_seed(seed);
    random_ = random_stream(mix(seed));
    result_ = schedule_result{};
    result_.trace = mix(seed);
    result_.strategy = strategy_.describe();
    max_steps_ = max_steps;
    count_ = static_cast<unsigned>(bodies.size());
    unfinished_ = count_;
    change_points_.fill(0);
    lowest_priority_ = 0;
    if (strategy_.kind == strategy_kind::pct) {
      // Distinct initial priorities above every change point's, in a random order.
      std::array<std::uint64_t, deterministic_schedule::max_threads> order{};
      for (unsigned i = 0; i < count_; ++i)
        order[i] = strategy_.depth + i;
      for (unsigned i = count_; i > 1; --i)
        std::swap(order[i - 1], order[random_.below(i)]);
      for (unsigned i = 0; i < count_; ++i)
        fibers_[i].priority = static_cast<std::int64_t>(order[i]);
      for (unsigned k = 1; k < strategy_.depth; ++k)
        change_points_[k] = 1 + random_.below(strategy_.horizon);
    }
    for (unsigned i = 0; i < count_; ++i) {
      fiber& f = fibers_[i];
      f.body = &bodies[i];
      f.runnable = true;
      // The library's per-thread pacing starts where the seed says, the same in every replay.
      auto& operations = static_cast<reclaim::thread_record*>(fiber_record_slots[i])->operations;
      operations = start == deterministic_schedule::pacing::zero
                       ? 0
                       : static_cast<std::uint32_t>(random_.below(256));
      if (start == deterministic_schedule::pacing::from_seed) {
        result_.strategy += (i == 0 ? ", pacing " : "/") + std::to_string(operations);
      }
      fiber_prepare(f.context, f.stack, stack_bytes, &scheduler::enter,
                    reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)));
    }
    switch_to(choose(no_fiber));  // back here once every fiber has finished
    return result_;
  }

  // The running fiber waits for another one's step (detail::waiting_point): the turn goes to
  // another runnable fiber, and under PCT the waiting one drops below every other for good.
  void wait(int self) {
    ++result_.steps;
    if (result_.steps > 2 * max_steps_) fail("a run went on past twice its step bound");
    if (result_.steps > max_steps_) result_.completed = false;
    // Below every fiber, including the ones that waited before: a waiter never outranks the
    // fiber it may be waiting for, and two waiters never tie (a tie would always go to the same
    // one, and could starve the fiber both wait for).
    if (strategy_.kind == strategy_kind::pct) fibers_[self].priority = --lowest_priority_;
    const int next = choose_other(self);
    if (next != self) {
      ++result_.switches;
      switch_to(next);
    } else {
      result_.trace = mix(result_.trace ^ static_cast<std::uint64_t>(next));
    }
  }

  // A schedule point of the running fiber.
  void step(int self) {
    ++result_.steps;
    if (result_.steps > 2 * max_steps_) fail("a run went on past twice its step bound");
    if (result_.steps > max_steps_) result_.completed = false;  // then round robin, see choose
    if (strategy_.kind == strategy_kind::pct) {
      for (unsigned k = 1; k < strategy_.depth; ++k) {
        if (change_points_[k] == result_.steps) fibers_[self].priority = k;
      }
    }
    const int next = choose(self);
    if (next != self) {
      ++result_.switches;
      switch_to(next);
    } else {
      result_.trace = mix(result_.trace ^ static_cast<std::uint64_t>(next));
    }
  }

 private:
  static void enter(void* index);  // a fiber's first frame

  [[noreturn]] static void fail(const char* what) {
    std::fprintf(stderr, "deterministic_schedule: %s\n", what);
    std::abort();
  }

  // Passes the turn from the running context (a fiber, or the caller when it starts a run) to
  // fiber `next`, or back to the caller when next is no_fiber. Returns when the turn comes back.
  void switch_to(int next) {
    result_.trace = mix(result_.trace ^ static_cast<std::uint64_t>(next + 1));
    const int self = running;
    fiber_context& from = self == no_fiber ? caller_ : fibers_[self].context;
    fiber_context& to = next == no_fiber ? caller_ : fibers_[next].context;
#if defined(ENLIST_FIBERS_ASAN)
    // A finished fiber passes nullptr: ASan may then drop its fake stack.
    void* fake_stack = nullptr;
    void** save = self != no_fiber && !fibers_[self].runnable ? nullptr : &fake_stack;
    if (next == no_fiber) {
      __sanitizer_start_switch_fiber(save, caller_stack_, caller_size_);
    } else {
      __sanitizer_start_switch_fiber(save, fibers_[next].stack, stack_bytes);
    }
#endif
#if defined(ENLIST_FIBERS_TSAN)
    __tsan_switch_to_fiber(next == no_fiber ? caller_tsan_ : fibers_[next].tsan_fiber, 0);
#endif
    arriving_from_ = self;
    running = next;
    slot_owner = next;
    fiber_switch(from, to);
    // The turn is back with `self`.
#if defined(ENLIST_FIBERS_ASAN)
    __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
  }

  void finish(int self) {
    fibers_[self].runnable = false;
    --unfinished_;
    switch_to(unfinished_ == 0 ? no_fiber : choose(no_fiber));
    fail("a finished fiber was resumed");
  }

  // The next fiber to hold the turn; self is no_fiber when the caller has finished or is the
  // scheduler starting a run. Past the step bound, plain round robin lets every fiber finish.
  int choose(int self) {
    std::array<int, deterministic_schedule::max_threads> runnable{};
    unsigned n = 0;
    for (unsigned i = 0; i < count_; ++i) {
      if (fibers_[i].runnable) runnable[n++] = static_cast<int>(i);
    }
    if (!result_.completed) {
      const auto after = std::upper_bound(runnable.begin(), runnable.begin() + n, self);
      return after == runnable.begin() + n ? runnable[0] : *after;
    }
    switch (strategy_.kind) {
      case strategy_kind::uniform:
        break;
      case strategy_kind::sticky:
        if (self != no_fiber && random_.below(strategy_.stay_odds) != 0) return self;
        break;
      case strategy_kind::pct:
        return *std::max_element(runnable.begin(), runnable.begin() + n, [&](int a, int b) {
          return fibers_[a].priority < fibers_[b].priority;
        });
    }
    return runnable[random_.below(n)];
  }

  // As choose, among the runnable fibers other than self (self when it is the only one).
  int choose_other(int self) {
    std::array<int, deterministic_schedule::max_threads> others{};
    unsigned n = 0;
    for (unsigned i = 0; i < count_; ++i) {
      if (fibers_[i].runnable && static_cast<int>(i) != self) others[n++] = static_cast<int>(i);
    }
    if (n == 0) return self;
    if (!result_.completed) {
      const auto after = std::upper_bound(others.begin(), others.begin() + n, self);
      return after == others.begin() + n ? others[0] : *after;
    }
    if (strategy_.kind == strategy_kind::pct) {
      return *std::max_element(others.begin(), others.begin() + n, [&](int a, int b) {
        return fibers_[a].priority < fibers_[b].priority;
      });
    }
    return others[random_.below(n)];
  }

  std::array<fiber, deterministic_schedule::max_threads> fibers_;
  fiber_context caller_;
#if defined(ENLIST_FIBERS_ASAN)
  const void* caller_stack_ = nullptr;
  std::size_t caller_size_ = 0;
#endif
#if defined(ENLIST_FIBERS_TSAN)
  void* caller_tsan_ = __tsan_get_current_fiber();
#endif
  strategy strategy_;
  random_stream random_{0};
  schedule_result result_;
  std::uint64_t max_steps_ = 0;
  unsigned count_ = 0;
  unsigned unfinished_ = 0;
  int arriving_from_ = no_fiber;  // the context that passed the turn to the one now running
  std::array<std::uint64_t, 8> change_points_{};
  std::int64_t lowest_priority_ = 0;  // the last priority a waiting fiber took

  friend scheduler& the_scheduler();
};

scheduler& the_scheduler() {
  static scheduler instance;
  return instance;
}

void scheduler::enter(void* argument) {
  const auto index = static_cast<int>(reinterpret_cast<std::uintptr_t>(argument));
  scheduler& s = the_scheduler();
#if defined(ENLIST_FIBERS_ASAN)
  // The first fiber of a run is entered from the caller's stack: remember it for the way back.
  if (s.arriving_from_ == no_fiber) {
    __sanitizer_finish_switch_fiber(nullptr, &s.caller_stack_, &s.caller_size_);
  } else {
    __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
  }
#endif
  (*s.fibers_[index].body)();
  s.finish(index);
}

}  // namespace

schedule_result deterministic_schedule::run(std::uint64_t seed,
                                            std::span<const std::function<void()>> bodies,
                                            std::uint64_t max_steps, pacing start) {
  return the_scheduler().run(seed, bodies, max_steps, start);
}

std::string deterministic_schedule::describe(std::uint64_t seed) {
  return strategy::from_seed(seed).describe();
}

int deterministic_schedule::current() noexcept {
  return running;
}

namespace {
// Relaxed: installed and removed by a test between runs, read by the same OS thread (fibers) or
// by threads the test starts after installing it.
std::atomic<write_observer*> installed_observer{nullptr};
}  // namespace

void deterministic_schedule::observe_writes(write_observer* observer) noexcept {
  installed_observer.store(observer, std::memory_order_relaxed);
}

}  // namespace enlist::test

void enlist::detail::schedule_point() noexcept {
  const int self = enlist::test::running;
  if (self != enlist::test::no_fiber) enlist::test::the_scheduler().step(self);
}

void enlist::detail::waiting_point() noexcept {
  const int self = enlist::test::running;
  if (self != enlist::test::no_fiber) enlist::test::the_scheduler().wait(self);
}

void enlist::detail::write_point(const void* address, write_kind kind) noexcept {
  if (auto* observer = enlist::test::installed_observer.load(std::memory_order_relaxed)) {
    observer->write(address, kind);
  }
}

void*& enlist::detail::scheduled_thread_slot() noexcept {
  return enlist::test::record_slot();
}
