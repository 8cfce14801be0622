// The registry under contention, with many more threads than cores: racing begins and ends on
// one state, churn racing with sweeps, capacity, shutdown, and states really freed so that
// AddressSanitizer catches any use after the last release. Every test ends with the reference
// audit: each AddRef matched by exactly one Release, nothing destroyed early.

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <random>
#include <thread>
#include <vector>

#include "enlist/registry.hpp"
#include "enlist/session_ptr.hpp"
#include "support/audited_state.hpp"
#include "support/scale.hpp"
#include "support/thread_sync.hpp"

namespace {

using namespace enlist;
using enlist::test::audited_state;
using enlist::test::state_pool;
using role = sync_provider_role;

constexpr std::size_t threads = 32;

// Runs body(thread_index) on `count` threads started together.
template <class Body>
void run_threads(std::size_t count, Body body) {
  std::vector<std::jthread> workers;
  workers.reserve(count);
  for (std::size_t t = 0; t < count; ++t)
    workers.emplace_back([&body, t] { body(t); });
}

TEST(RegistryRace, ExactlyOneOfManyRacingBeginsAndOneOfManyRacingEndsSucceeds) {
  state_pool states(1);
  registry sessions;
  const std::size_t rounds = enlist::test::scaled(400, 10);
  std::atomic<std::size_t> begun{0};
  std::atomic<std::size_t> ended{0};
  std::atomic<std::size_t> other{0};
  std::atomic<std::size_t> bad_rounds{0};
  auto check_round = [&]() noexcept {
    if (begun.load() != 1 || ended.load() != 1 || states.get(0)->refs() != 1)
      bad_rounds.fetch_add(1);
    begun.store(0);
    ended.store(0);
  };
  enlist::test::thread_barrier<decltype(check_round)> round_done(threads, check_round);
  enlist::test::thread_barrier<> begins_done(threads);
  run_threads(threads, [&](std::size_t t) {
    for (std::size_t r = 0; r < rounds; ++r) {
      const hresult b =
          sessions.begin(t % 2 == 0 ? role::source : role::destination, states.get(0));
      if (b == S_OK)
        begun.fetch_add(1);
      else if (b != SYNC_E_INVALID_OPERATION)
        other.fetch_add(1);
      begins_done.arrive_and_wait();
      const hresult e = sessions.end(states.get(0));
      if (e == S_OK)
        ended.fetch_add(1);
      else if (e != SYNC_E_INVALID_OPERATION)
        other.fetch_add(1);
      round_done.arrive_and_wait();
    }
  });
  EXPECT_EQ(bad_rounds.load(), 0u);
  EXPECT_EQ(other.load(), 0u) << "racing calls may only succeed or be invalid operations";
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(RegistryRace, ThreadsWithTheirOwnStatesGetExactlyTheSequentialAnswers) {
  constexpr std::size_t per_thread = 64;
  state_pool states(threads * per_thread);
  registry sessions;
  const std::size_t ops = enlist::test::scaled(20000);
  std::atomic<std::size_t> wrong{0};
  run_threads(threads, [&](std::size_t t) {
    std::mt19937 rng(static_cast<std::uint32_t>(t));
    std::vector<bool> mine(per_thread, false);
    for (std::size_t n = 0; n < ops; ++n) {
      const std::size_t i = rng() % per_thread;
      audited_state* s = states.get(t * per_thread + i);
      if (rng() % 2 == 0) {
        const hresult expected = mine[i] ? SYNC_E_INVALID_OPERATION : S_OK;
        if (sessions.begin(role::source, s) != expected) wrong.fetch_add(1);
        mine[i] = true;
      } else {
        const hresult expected = mine[i] ? S_OK : SYNC_E_INVALID_OPERATION;
        if (sessions.end(s) != expected) wrong.fetch_add(1);
        mine[i] = false;
      }
    }
  });
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(states.registry_references(), sessions.size());
  static_cast<void>(sessions.end_all());
  EXPECT_EQ(states.audit_failures(), "");
}

// Workers begin and end shared states (so their calls race), cancel some; sweepers run for_each
// touching every state they are handed, end_canceled and, now and then, end_all.
TEST(RegistryRace, SweepsHandOnlyLiveStatesToCallbacksWhileEndsRace) {
  state_pool states(512);
  {
    registry sessions;
    const std::size_t ops = enlist::test::scaled(30000);
    constexpr std::size_t sweepers = 4;
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> bad_status{0};
    std::atomic<std::size_t> sweeps{0};
    std::jthread sweeper_threads[sweepers];
    for (std::size_t s = 0; s < sweepers; ++s) {
      sweeper_threads[s] = std::jthread([&, s] {
        for (std::size_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
          sweep_result r{};
          if ((n + s) % 3 == 0) {
            r = sessions.end_canceled();
          } else if (n % 50 == 49) {
            r = sessions.end_all();
          } else {
            r = sessions.for_each([](session_state* state, role) {
              static_cast<audited_state*>(state)->touch();
              std::this_thread::yield();  // widen the window for racing ends
              static_cast<audited_state*>(state)->touch();
            });
          }
          if (r.status != S_OK) bad_status.fetch_add(1);
          sweeps.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    run_threads(threads, [&](std::size_t t) {
      std::mt19937 rng(static_cast<std::uint32_t>(t + 100));
      for (std::size_t n = 0; n < ops; ++n) {
        audited_state* s = states.get(rng() % states.size());
        const hresult hr = rng() % 2 == 0 ? sessions.begin(role::destination, s) : sessions.end(s);
        if (hr != S_OK && hr != SYNC_E_INVALID_OPERATION) bad_status.fetch_add(1);
        if (rng() % 64 == 0) s->cancel();
      }
    });
    stop.store(true);
    for (auto& s : sweeper_threads)
      s.join();
    EXPECT_EQ(bad_status.load(), 0u);
    EXPECT_GT(sweeps.load(), 0u);
    EXPECT_EQ(states.registry_references(), sessions.size());
  }
  EXPECT_EQ(states.audit_failures(), "");
}

// States the registry alone keeps alive: the creator drops its reference right after begin, so
// the successful end frees the memory (and malloc reuses the address). A sweep that touched a
// freed state would be a heap-use-after-free under AddressSanitizer; a lost release a leak.
class counted_state final : public ref_counted_session_state {
 public:
  explicit counted_state(std::atomic<long>& alive) : alive_(alive) { alive_.fetch_add(1); }

 private:
  ~counted_state() override { alive_.fetch_sub(1); }
  std::atomic<long>& alive_;
};

TEST(RegistryRace, StatesFreedByTheirLastReleaseAreNeverTouchedAgain) {
  std::atomic<long> alive{0};
  {
    registry sessions;
    const std::size_t per_thread = enlist::test::scaled(4000);
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> failures{0};
    std::jthread sweeper([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        static_cast<void>(
            sessions.for_each([](session_state* state, role) { (void)state->IsCanceled(); }));
        static_cast<void>(sessions.end_canceled());
      }
    });
    run_threads(threads, [&](std::size_t t) {
      std::vector<session_state*> mine;
      for (std::size_t n = 0; n < per_thread; ++n) {
        auto state = make_session_state<counted_state>(alive);
        if (n % 7 == 0) state->cancel();
        if (sessions.begin(role::source, state.get()) != S_OK) failures.fetch_add(1);
        mine.push_back(state.get());  // the registry now holds the only reference
        state.reset();
        if (mine.size() > 8 || n + 1 == per_thread) {
          // Ends may lose to end_canceled; either way the state is freed exactly once.
          for (session_state* s : mine) {
            const hresult hr = sessions.end(s);
            if (hr != S_OK && hr != SYNC_E_INVALID_OPERATION) failures.fetch_add(1);
          }
          mine.clear();
        }
        (void)t;
      }
    });
    stop.store(true);
    sweeper.join();
    EXPECT_EQ(failures.load(), 0u);
    EXPECT_EQ(sessions.size(), 0u);
  }
  EXPECT_EQ(alive.load(), 0) << "every state must be freed by exactly its last release";
}

TEST(RegistryRace, CapacityIsNeverExceeded) {
  constexpr std::size_t capacity = 3;
  state_pool states(threads);
  registry sessions({.capacity = capacity});
  const std::size_t ops = enlist::test::scaled(5000);
  // Raised after a begin succeeded and lowered before its end: never above the enlisted count.
  std::atomic<std::size_t> occupancy{0};
  std::atomic<std::size_t> exceeded{0};
  std::atomic<std::size_t> admitted{0};
  run_threads(threads, [&](std::size_t t) {
    for (std::size_t n = 0; n < ops; ++n) {
      if (sessions.begin(role::source, states.get(t)) != S_OK) continue;
      admitted.fetch_add(1, std::memory_order_relaxed);
      if (occupancy.fetch_add(1) >= capacity) exceeded.fetch_add(1);
      std::this_thread::yield();
      occupancy.fetch_sub(1);
      EXPECT_EQ(sessions.end(states.get(t)), S_OK);
    }
  });
  EXPECT_EQ(exceeded.load(), 0u);
  EXPECT_GT(admitted.load(), 0u);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(RegistryRace, ShutdownLeavesNoSessionBehindWhateverRacesIt) {
  const std::size_t rounds = enlist::test::scaled(20, 4);
  for (std::size_t round = 0; round < rounds; ++round) {
    state_pool states(threads * 8);
    registry sessions;
    run_threads(threads + 1, [&](std::size_t t) {
      if (t == threads) {
        std::this_thread::sleep_for(std::chrono::microseconds(200 * (round % 5)));
        EXPECT_EQ(sessions.shutdown(), S_OK);
        return;
      }
      for (std::size_t n = 0;; ++n) {
        audited_state* s = states.get(t * 8 + n % 8);
        const hresult hr = n % 2 == 0 ? sessions.begin(role::source, s) : sessions.end(s);
        if (hr == E_ABORT) break;  // shut down: every later call is refused too
      }
    });
    EXPECT_EQ(sessions.size(), 0u);
    EXPECT_EQ(states.registry_references(), 0u) << "a session survived the shutdown";
    EXPECT_EQ(states.audit_failures(), "");
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
