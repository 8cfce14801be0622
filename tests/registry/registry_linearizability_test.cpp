// The registry is linearizable with respect to docs/contract.md, references included: thousands of
// short random histories of begin, end and role_of from threads outnumbering the cores, on one
// to three session states, each checked state by state against the sequential contract. After
// the threads join, one more operation per state observes its role and the references the
// registry holds: the contract says exactly one while enlisted and none otherwise, so a lost,
// doubled or leaked reference makes the history non-linearizable like a wrong status does.
//
// A registry whose end releases the reference before it removes the entry (built here from the
// real registry and a state policy, nothing else) must be caught: two racing ends both release.
//
// Built twice, like map_linearizability_test.cpp: on real threads, and under the deterministic
// scheduler (registry_linearizability_scheduled_test), where each history is a function of its
// seed and replays with ENLIST_HISTORY_SEED=<seed>; ENLIST_HISTORIES=<n> sets how many run.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "enlist/registry.hpp"
#include "enlist/status.hpp"
#include "support/audited_state.hpp"
#include "support/concurrent_runner.hpp"
#include "support/history_seeds.hpp"
#include "support/linearizability.hpp"

namespace {

using enlist::hresult;
using enlist::sync_provider_role;
using enlist::test::audited_state;
using enlist::test::reference_audit;

enum class registry_op : std::uint8_t { begin, end, role_of, audit };

// One state of the registry, sequentially. State: 0 not enlisted, 1 + role enlisted.
struct registry_spec {
  struct input {
    registry_op op;
    sync_provider_role role;  // begin only
  };
  struct output {
    hresult status = enlist::S_OK;            // begin, end
    std::optional<sync_provider_role> found;  // role_of, audit
    std::int64_t registry_refs = 0;           // audit
  };
  static constexpr std::uint64_t initial = 0;

  static std::optional<sync_provider_role> role(std::uint64_t state) {
    if (state == 0) return std::nullopt;
    return static_cast<sync_provider_role>(state - 1);
  }

  static std::optional<std::uint64_t> step(std::uint64_t state, const input& in,
                                           const output& out) {
    const bool enlisted = state != 0;
    switch (in.op) {
      case registry_op::begin:
        if (!enlisted && out.status == enlist::S_OK) {
          return 1 + static_cast<std::uint64_t>(in.role);
        }
        if (enlisted && out.status == enlist::SYNC_E_INVALID_OPERATION) return state;
        return std::nullopt;
      case registry_op::end:
        if (enlisted && out.status == enlist::S_OK) return 0;
        if (!enlisted && out.status == enlist::SYNC_E_INVALID_OPERATION) return state;
        return std::nullopt;
      case registry_op::role_of:
        if (out.found == role(state)) return state;
        return std::nullopt;
      case registry_op::audit:
        if (out.found == role(state) && out.registry_refs == (enlisted ? 1 : 0)) return state;
        return std::nullopt;
    }
    return std::nullopt;
  }

  static std::string describe(const input& in, const output& out) {
    const auto role_name = [](std::optional<sync_provider_role> r) -> std::string {
      if (!r) return "none";
      return *r == sync_provider_role::source ? "source" : "destination";
    };
    switch (in.op) {
      case registry_op::begin:
        return "begin(" + role_name(in.role) + ") -> " +
               std::string(enlist::status_name(out.status));
      case registry_op::end:
        return "end -> " + std::string(enlist::status_name(out.status));
      case registry_op::role_of:
        return "role_of -> " + role_name(out.found);
      case registry_op::audit:
        return "after join: role " + role_name(out.found) + ", registry holds " +
               std::to_string(out.registry_refs) + " reference(s)";
    }
    return "?";
  }
};
static_assert(enlist::test::sequential_spec<registry_spec>);

// The registry users get.
struct real_registry {
  enlist::basic_registry<enlist::com_state_policy<audited_state>> sessions;
  hresult begin(sync_provider_role role, audited_state* s) { return sessions.begin(role, s); }
  hresult end(audited_state* s) { return sessions.end(s); }
  std::optional<sync_provider_role> role_of(audited_state* s) { return sessions.role_of(s); }
};

// Deliberately broken, for the test only: end releases the registry's reference first and then
// removes the entry. The real registry does the removing; its own release is switched off for
// the duration of that end, so the only change is the order of the two steps.
struct release_then_remove_registry {
  // Per thread of the round (a thread_local cannot tell scheduled threads apart).
  inline static std::array<bool, 8> inside_end{};
  static bool& inside() {
    return inside_end[static_cast<std::size_t>(enlist::test::concurrent_runner::current_thread())];
  }
  struct policy {
    using state_type = audited_state;
    static void add_ref(audited_state* s) noexcept { s->AddRef(); }
    static void release(audited_state* s) noexcept {
      if (enlist::test::concurrent_runner::current_thread() < 0 || !inside()) s->Release();
    }
    // The concept asks for it; these histories never sweep canceled sessions.
    [[maybe_unused]] static bool is_canceled(const audited_state* s) noexcept {
      return s->IsCanceled();
    }
  };
  enlist::basic_registry<policy> sessions;

  hresult begin(sync_provider_role role, audited_state* s) { return sessions.begin(role, s); }
  hresult end(audited_state* s) {
    if (!sessions.is_enlisted(s)) return enlist::SYNC_E_INVALID_OPERATION;
    s->Release();
    if (!enlist::test::scheduled_build) std::this_thread::yield();  // widen the window
    inside() = true;
    const hresult hr = sessions.end(s);
    inside() = false;
    return hr;
  }
  std::optional<sync_provider_role> role_of(audited_state* s) { return sessions.role_of(s); }
};

constexpr unsigned thread_count = 8;  // 4x the cores of the machines this runs on

// One history, decided by `seed` (and, under the scheduler, interleaved by it too): 2-8 threads
// (8 on real threads) call begin, end and role_of on 1-3 states, then an audit after the join
// observes each state's role and the references the registry holds.
template <class Registry>
std::optional<std::string> run_history(enlist::test::concurrent_runner& runner,
                                       enlist::test::state_pool& states, std::uint64_t seed,
                                       std::size_t& overlapping) {
  std::mt19937_64 shape(seed);
  const unsigned threads = enlist::test::scheduled_build
                               ? 2 + static_cast<unsigned>(shape() % (thread_count - 1))
                               : thread_count;
  for (std::size_t i = 0; i < states.size(); ++i)
    states[i].revive();
  const std::size_t state_count = 1 + shape() % 3;
  const std::size_t ops_per_thread = 10 + shape() % 21;
  const std::uint64_t round_seed = shape();
  enlist::test::history_clock clock;
  // One log per thread, plus one for the audit after the join.
  std::vector<enlist::test::thread_log<registry_spec>> logs(threads + 1);
  enlist::test::round_outcome outcome;
  {
    Registry subject;
    outcome = runner.run(
        [&](unsigned t) {
          std::mt19937_64 random(round_seed + t);
          auto& log = logs[t];
          log.reserve(ops_per_thread);
          for (std::size_t i = 0; i < ops_per_thread; ++i) {
            audited_state* s = states.get(random() % state_count);
            const auto op = static_cast<registry_op>(random() % 3);
            const auto role = static_cast<sync_provider_role>(random() % 2);
            // On real threads, yielding inside the interval lets other threads run while this
            // call is pending, as a preemption would; the scheduler interleaves by itself.
            const bool yield_first = !enlist::test::scheduled_build && random() % 8 == 0;
            const bool yield_last = !enlist::test::scheduled_build && random() % 8 == 0;
            registry_spec::output out;
            const std::uint64_t invoked = clock.now();
            if (yield_first) std::this_thread::yield();
            switch (op) {
              case registry_op::begin:
                out.status = subject.begin(role, s);
                break;
              case registry_op::end:
                out.status = subject.end(s);
                break;
              default:
                out.found = subject.role_of(s);
            }
            if (yield_last) std::this_thread::yield();
            const std::uint64_t responded = clock.now();
            log.push_back(
                {reinterpret_cast<std::uintptr_t>(s), {op, role}, out, invoked, responded});
          }
        },
        enlist::test::mix_seed(seed ^ 0x5c4ed), threads);
    for (std::size_t i = 0; i < state_count; ++i) {
      audited_state* s = states.get(i);
      const std::uint64_t invoked = clock.now();
      const registry_spec::output out{enlist::S_OK, subject.role_of(s), s->registry_refs()};
      logs[threads].push_back({reinterpret_cast<std::uintptr_t>(s),
                               {registry_op::audit, sync_provider_role::source},
                               out,
                               invoked,
                               clock.now()});
    }
  }  // the registry's destructor ends what is left: every state must be back to one reference
  const std::string under = outcome.schedule.empty() ? "" : "under " + outcome.schedule;
  if (!outcome.completed) return "the schedule did not finish: livelock " + under;
  const auto result = enlist::test::check_linearizable<registry_spec>(logs);
  overlapping += result.overlapping;
  if (!result.linearizable) return result.report + under;
  if (!states.balanced()) {
    return "after the registry was destroyed: " + states.first_unbalanced() + "\n" + under;
  }
  return std::nullopt;
}

struct history_stats {
  std::size_t rounds = 0;
  std::size_t overlapping = 0;
  std::optional<std::string> violation;
};

template <class Registry>
history_stats run_histories(std::size_t rounds, std::uint64_t base) {
  enlist::test::concurrent_runner runner(thread_count);
  enlist::test::state_pool states(3);
  history_stats stats;
  stats.violation = enlist::test::for_each_history(
      rounds, base,
      [&](std::uint64_t seed) {
        return run_history<Registry>(runner, states, seed, stats.overlapping);
      },
      stats.rounds);
  return stats;
}

TEST(RegistryLinearizability, ThousandsOfRandomHistoriesFollowTheContract) {
  reference_audit::reset();
  const std::size_t rounds = enlist::test::histories_to_run(10000, 20000);
  const history_stats stats = run_histories<real_registry>(rounds, 1);
  ASSERT_FALSE(stats.violation) << *stats.violation;
  EXPECT_GT(stats.overlapping, rounds) << "the histories were hardly concurrent";
  EXPECT_TRUE(reference_audit::clean()) << reference_audit::summary();
  std::cout << stats.rounds << " histories, " << stats.overlapping
            << " operations overlapping another thread's on their state\n";
}

TEST(RegistryLinearizability, AnEndThatReleasesBeforeItRemovesIsCaught) {
  const history_stats stats =
      run_histories<release_then_remove_registry>(enlist::test::scaled(3000, 3), 2);
  ASSERT_TRUE(stats.violation) << "no violation in " << stats.rounds << " histories";
  std::cout << "caught after " << stats.rounds << " histories:\n" << *stats.violation;
}

}  // namespace
