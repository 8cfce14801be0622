// The deterministic scheduler keeps its promises: a seed decides the whole run (the same seed
// gives the same interleaving and the same results, in this process and in a fresh one, where
// the heap and the stacks sit at other addresses); different seeds interleave differently; every
// strategy is reachable from seeds; and a run that cannot finish under its schedule (a spin on
// another thread, i.e. not lock-free) is reported rather than hung.

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "enlist/detail/atomic.hpp"
#include "enlist/registry.hpp"
#include "schedule/deterministic_schedule.hpp"
#include "support/audited_state.hpp"

extern char** environ;

namespace {

using enlist::test::deterministic_schedule;
using enlist::test::schedule_result;

// Four threads on one registry: begins, ends and lookups of shared states, and a sweep. Returns
// the schedule's trace folded with every result the threads saw.
std::uint64_t registry_scenario(std::uint64_t seed, schedule_result* result = nullptr) {
  enlist::test::state_pool states(4);
  using registry = enlist::basic_registry<enlist::com_state_policy<enlist::test::audited_state>>;
  std::uint64_t outcome_hash = 0;
  {
    registry sessions;
    std::array<std::vector<std::int32_t>, 4> seen;
    std::vector<std::function<void()>> bodies;
    for (unsigned t = 0; t < 4; ++t) {
      bodies.emplace_back([&, t] {
        for (unsigned i = 0; i < 12; ++i) {
          auto* s = states.get((t + i) % 4);
          switch ((t * 7 + i) % 4) {
            case 0:
              seen[t].push_back(sessions.begin(enlist::sync_provider_role::source, s));
              break;
            case 1:
              seen[t].push_back(sessions.end(s));
              break;
            case 2:
              seen[t].push_back(sessions.is_enlisted(s) ? 1 : 0);
              break;
            default:
              seen[t].push_back(static_cast<std::int32_t>(
                  sessions.for_each([](enlist::test::audited_state*, auto) {}).count));
          }
        }
      });
    }
    const schedule_result r = deterministic_schedule::run(seed, bodies);
    if (result != nullptr) *result = r;
    outcome_hash = r.trace;
    for (const auto& thread : seen) {
      for (const std::int32_t v : thread)
        outcome_hash = (outcome_hash ^ static_cast<std::uint32_t>(v)) * 0x100000001b3ULL;
    }
  }
  return outcome_hash;
}

constexpr std::uint64_t probe_seed = 0x1234567890abcdefULL;

// Not a test of its own: the child process of ASeedReplaysInAFreshProcess prints its result.
TEST(DeterministicSchedule, PrintsTheProbeRunForAFreshProcess) {
  if (std::getenv("ENLIST_SCHEDULE_PROBE") == nullptr) GTEST_SKIP() << "helper of another test";
  std::printf("probe %" PRIx64 "\n", registry_scenario(probe_seed));
}

TEST(DeterministicSchedule, TheSameSeedGivesTheSameRun) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    schedule_result first, second;
    const std::uint64_t a = registry_scenario(seed, &first);
    const std::uint64_t b = registry_scenario(seed, &second);
    EXPECT_EQ(a, b) << "seed " << seed << " (" << first.strategy << ")";
    EXPECT_EQ(first.steps, second.steps);
    EXPECT_GT(first.steps, 100U) << "the scenario passes few schedule points";
  }
}

TEST(DeterministicSchedule, ASeedReplaysInAFreshProcess) {
  const std::uint64_t here = registry_scenario(probe_seed);
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string filter = "--gtest_filter=DeterministicSchedule.PrintsTheProbeRunForAFreshProcess";
  char self[] = "/proc/self/exe";
  char* argv[] = {self, filter.data(), nullptr};
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    env_strings.emplace_back(*e);
  env_strings.emplace_back("ENLIST_SCHEDULE_PROBE=1");
  std::vector<char*> env;
  for (std::string& e : env_strings)
    env.push_back(e.data());
  env.push_back(nullptr);
  pid_t child = 0;
  ASSERT_EQ(posix_spawn(&child, self, &actions, nullptr, argv, env.data()), 0);
  close(out[1]);
  std::string printed;
  char buffer[4096];
  for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;)
    printed.append(buffer, static_cast<std::size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(child, &status, 0);
  posix_spawn_file_actions_destroy(&actions);
  char expected[64];
  std::snprintf(expected, sizeof expected, "probe %" PRIx64 "\n", here);
  EXPECT_NE(printed.find(expected), std::string::npos) << "the child printed:\n" << printed;
}

TEST(DeterministicSchedule, DifferentSeedsInterleaveDifferently) {
  std::set<std::uint64_t> traces;
  for (std::uint64_t seed = 0; seed < 200; ++seed)
    traces.insert(registry_scenario(seed));
  EXPECT_GT(traces.size(), 190U);
}

TEST(DeterministicSchedule, EveryStrategyIsReachableFromSeeds) {
  std::set<std::string> kinds;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    const std::string s = deterministic_schedule::describe(seed);
    kinds.insert(s.substr(0, s.find('(')));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"pct", "sticky", "uniform"}));
}

TEST(DeterministicSchedule, ASpinOnAnotherThreadIsReportedNotHung) {
  // Thread 0 waits for thread 1's flag: not lock-free, so some schedules (those that never run
  // thread 1 while thread 0 spins) cannot finish; they must come back marked incomplete.
  std::size_t incomplete = 0;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    enlist::detail::atomic<bool> flag{false};
    std::vector<std::function<void()>> bodies{[&] {
                                                while (!flag.load(std::memory_order_acquire)) {
                                                }
                                              },
                                              [&] { flag.store(true, std::memory_order_release); }};
    const schedule_result r = deterministic_schedule::run(seed, bodies, 10'000);
    EXPECT_TRUE(flag.load(std::memory_order_relaxed));
    incomplete += r.completed ? 0 : 1;
  }
  EXPECT_GT(incomplete, 0U) << "no schedule starved the setter";
}

}  // namespace
