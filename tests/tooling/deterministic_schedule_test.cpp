// The deterministic scheduler keeps its promises: a seed decides the whole run (the same seed
// gives the same interleaving and the same results, in this process and in a fresh one, where
// the heap and the stacks sit at other addresses); different seeds interleave differently; every
// strategy is reachable from seeds; and a run that cannot finish under its schedule (a spin on
// another thread, i.e. not lock-free) is reported rather than hung.

#include <gtest/gtest.h>

#if defined(_WIN32)
#include <windows.h>
#else
#include <unistd.h>
#endif

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

// This executable's path as the operating system names it (under qemu-user, the emulated
// program's own path).
std::string own_path() {
#if defined(_WIN32)
  char path[MAX_PATH];
  const DWORD n = GetModuleFileNameA(nullptr, path, MAX_PATH);
  return std::string(path, n);
#else
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string();
#endif
}

void set_probe_variable(bool set) {
#if defined(_WIN32)
  _putenv_s("ENLIST_SCHEDULE_PROBE", set ? "1" : "");  // "" removes it
#else
  if (set) {
    setenv("ENLIST_SCHEDULE_PROBE", "1", 1);
  } else {
    unsetenv("ENLIST_SCHEDULE_PROBE");
  }
#endif
}

// Runs this executable again with `arguments` (through the emulator a cross build runs its
// tests under, named by ENLIST_TEST_EMULATOR) and returns what it printed.
std::string run_self(const std::string& arguments) {
  std::string command;
  if (const char* emulator = std::getenv("ENLIST_TEST_EMULATOR"))
    command = emulator + std::string(" ");
  command += "\"" + own_path() + "\" " + arguments;
#if defined(_WIN32)
  command = "\"" + command + "\"";  // cmd /c strips one outer pair of quotes
  FILE* child = _popen(command.c_str(), "r");
#else
  FILE* child = popen(command.c_str(), "r");
#endif
  std::string printed;
  if (child == nullptr) return printed;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, child)) > 0;)
    printed.append(buffer, n);
#if defined(_WIN32)
  _pclose(child);
#else
  pclose(child);
#endif
  return printed;
}

TEST(DeterministicSchedule, ASeedReplaysInAFreshProcess) {
  const std::uint64_t here = registry_scenario(probe_seed);
  set_probe_variable(true);
  const std::string printed =
      run_self("--gtest_filter=DeterministicSchedule.PrintsTheProbeRunForAFreshProcess");
  set_probe_variable(false);
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
