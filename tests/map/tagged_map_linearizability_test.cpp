// tagged_map is linearizable: thousands of short random histories of insert, erase and find on a
// few hot keys that threads fight over, mixed with each thread's own keys coming and going, in a
// table of four groups. Each history takes one of three hashes: the real one, one with four tags
// (a free slot tagged for one key is claimed by another, a find compares several slots), and one
// that starts every probe in the same group (keys overflow into the next groups and come back).
// Every history is checked key by key against a sequential map.
//
// The file builds twice (tests/CMakeLists.txt):
//   tagged_map_linearizability_test            real threads (8, four times the cores);
//   tagged_map_linearizability_scheduled_test  the deterministic scheduler: each history is a
//                                              function of one seed, so a failure replays with
//                                              ENLIST_HISTORY_SEED=<seed>.
// Histories to run: ENLIST_HISTORIES=<n> (default 10,000 real, 30,000 scheduled).
//
// Under the scheduler, each bug planted in the map (detail/planted_bug.hpp) must make some
// history fail: a checker that never fails proves nothing.

#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "enlist/detail/planted_bug.hpp"
#include "enlist/tagged_map.hpp"
#include "support/concurrent_runner.hpp"
#include "support/history_seeds.hpp"
#include "support/keys.hpp"
#include "support/linearizability.hpp"
#include "support/map_history.hpp"
#include "support/map_spec.hpp"
#include "support/planted_bug_test.hpp"
#include "support/scale.hpp"
#include "support/tagged_map_hashes.hpp"

namespace {

using enlist::map_result;
using enlist::map_status;
using enlist::tagged_map;
using enlist::test::address;
using enlist::test::map_op;
using enlist::test::map_spec;
using enlist::test::scheduled_build;
using key_type = std::uintptr_t;

constexpr unsigned max_threads = 8;  // 4x the cores of the machines this runs on
// Four groups, 28 slots: hot keys (3) plus each thread's two own keys and one claim in flight
// (24) always fit, so no insert may answer out_of_memory.
constexpr std::size_t table_keys = 10;
constexpr std::size_t own_live_limit = 2;

struct history_result {
  std::size_t overlapping = 0;
  std::size_t displaced = 0;
  std::optional<std::string> violation;
};

template <class Hash>
history_result run_history(enlist::test::concurrent_runner& runner, std::uint64_t seed) {
  std::mt19937_64 shape(seed);
  const unsigned threads =
      scheduled_build ? 2 + static_cast<unsigned>(shape() % (max_threads - 1)) : max_threads;
  const std::uint64_t hot_keys = 1 + shape() % 3;
  const std::size_t ops_per_thread = 12 + shape() % 29;
  const unsigned own_share = 1 + static_cast<unsigned>(shape() % 4);  // 1..4 of 6 calls
  const std::uint64_t round_seed = shape();

  tagged_map<Hash> map(table_keys);
  enlist::test::history_clock clock;
  std::vector<enlist::test::thread_log<map_spec>> logs(threads);
  const auto outcome = runner.run(
      [&](unsigned t) {
        std::mt19937_64 random(round_seed + t);
        auto& log = logs[t];
        log.reserve(ops_per_thread);
        std::vector<key_type> own_live;
        std::uint64_t next_own = 0;
        for (std::size_t i = 0; i < ops_per_thread; ++i) {
          key_type key;
          map_op op;
          if (random() % 6 < own_share) {
            const unsigned pick = static_cast<unsigned>(random() % 20);
            if (own_live.empty() || (pick < 10 && own_live.size() < own_live_limit)) {
              key = address(1000 + t * 1000 + next_own++);
              op = map_op::insert;
            } else {
              const std::size_t j = random() % own_live.size();
              key = own_live[j];
              op = pick < 16 ? map_op::erase : map_op::find;
              if (op == map_op::erase) own_live.erase(own_live.begin() + static_cast<long>(j));
            }
          } else {
            key = address(1 + random() % hot_keys);
            op = static_cast<map_op>(random() % 3);
          }
          const std::uint64_t value =
              (std::uint64_t{t} * 17 + i) % (tagged_map<Hash>::max_value + 1);
          const map_result out =
              enlist::test::logged_map_call(map, op, key, value, clock, random, log);
          if (op == map_op::insert && out.status == map_status::ok && key >= address(1000))
            own_live.push_back(key);
        }
      },
      enlist::test::mix_seed(seed ^ 0x7a66ed), threads);
  history_result result;
  result.displaced = map.stats().displaced;
  if (!outcome.completed) {
    result.violation = "the schedule (" + outcome.schedule + ") did not finish: livelock";
    return result;
  }
  const auto check = enlist::test::check_linearizable<map_spec>(logs);
  result.overlapping = check.overlapping;
  if (!check.linearizable) {
    result.violation =
        check.report + "under " + (outcome.schedule.empty() ? "real threads" : outcome.schedule);
  }
  return result;
}

struct run_stats {
  std::size_t histories = 0;
  std::size_t overlapping = 0;
  std::size_t displaced = 0;
  std::optional<std::string> violation;
};

run_stats run_histories(std::size_t histories, std::uint64_t base) {
  enlist::test::concurrent_runner runner(max_threads);
  run_stats stats;
  stats.violation = enlist::test::for_each_history(
      histories, base,
      [&](std::uint64_t seed) {
        history_result r;
        switch (seed % 3) {
          case 0:
            r = run_history<enlist::address_hash>(runner, seed);
            break;
          case 1:
            r = run_history<enlist::test::few_tags_hash>(runner, seed);
            break;
          default:
            r = run_history<enlist::test::one_home_hash>(runner, seed);
        }
        stats.overlapping += r.overlapping;
        stats.displaced += r.displaced;
        return r.violation;
      },
      stats.histories);
  return stats;
}

TEST(TaggedMapLinearizability, RandomHistoriesAreLinearizable) {
  const std::size_t histories = enlist::test::histories_to_run(10000, 30000);
  const run_stats stats = run_histories(histories, 1);
  ASSERT_FALSE(stats.violation) << *stats.violation;
  // Without overlapping operations every history would be trivially linearizable, and without
  // displaced keys the overflow paths would go untested.
  if (stats.histories >= 1000) {  // not for the replay of one seed
    EXPECT_GT(stats.overlapping, stats.histories) << "the histories were hardly concurrent";
    EXPECT_GT(stats.displaced, stats.histories / 10) << "too few keys overflowed";
  }
  std::cout << stats.histories << " histories, " << stats.overlapping
            << " operations overlapping another thread's on their key, " << stats.displaced
            << " keys found outside their home group\n";
}

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)

using PlantedTaggedMapBug = enlist::test::planted_bug_test;

TEST_P(PlantedTaggedMapBug, IsCaught) {
  const run_stats stats = run_histories(30000, 3);
  ASSERT_TRUE(stats.violation) << "no violation in " << stats.histories << " histories";
  std::cout << "caught after " << stats.histories << " histories:\n" << *stats.violation << '\n';
}

INSTANTIATE_TEST_SUITE_P(TaggedMap, PlantedTaggedMapBug,
                         testing::Values(enlist::detail::planted_bug::tagged_rival_check_skipped,
                                         enlist::detail::planted_bug::tagged_publish_before_retag,
                                         enlist::detail::planted_bug::tagged_check_stops_early),
                         [](const testing::TestParamInfo<enlist::detail::planted_bug>& bug) {
                           switch (bug.param) {
                             case enlist::detail::planted_bug::tagged_rival_check_skipped:
                               return "PublishingWithoutLookingForOtherClaims";
                             case enlist::detail::planted_bug::tagged_publish_before_retag:
                               return "PublishingBeforeTheRetag";
                             case enlist::detail::planted_bug::tagged_check_stops_early:
                               return "CheckingOnlyUpToTheClaimsOwnGroup";
                             default:
                               return "Unnamed";
                           }
                         });

#endif

}  // namespace
