// concurrent_map is linearizable: thousands of short random histories of insert, erase and find
// on a few hot keys, mixed with churn of keys private to each thread around a small live set, so
// that a 64-cell table migrates again and again while the hot keys are fought over. Every
// history is checked key by key against a sequential map.
//
// The file builds twice (tests/CMakeLists.txt):
//   map_linearizability_test            real threads (8, four times the cores), preemption-driven;
//   map_linearizability_scheduled_test  the deterministic scheduler: each history is a function
//                                       of one seed (its shape, its operations and the
//                                       interleaving of every atomic step), so a failure
//                                       replays exactly with ENLIST_HISTORY_SEED=<seed>.
// Histories to run: ENLIST_HISTORIES=<n> (default 10,000 real, 20,000 scheduled).
//
// Checkers that never fail prove nothing, so each must catch a broken map: an erase built as a
// find followed by an erase (both modes), and, under the scheduler, every migration bug planted
// in the library (detail/planted_bug.hpp).

#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "enlist/concurrent_map.hpp"
#include "enlist/detail/planted_bug.hpp"
#include "support/concurrent_runner.hpp"
#include "support/history_seeds.hpp"
#include "support/keys.hpp"
#include "support/linearizability.hpp"
#include "support/map_history.hpp"
#include "support/map_spec.hpp"
#include "support/planted_bug_test.hpp"
#include "support/scale.hpp"

namespace {

using enlist::concurrent_map;
using enlist::map_result;
using enlist::map_status;
using enlist::test::address;
using enlist::test::map_op;
using enlist::test::map_spec;
using enlist::test::scheduled_build;
using enlist::test::value_for;
using key_type = concurrent_map::key_type;

// The map as it is.
struct real_map {
  concurrent_map map;
  map_result insert(key_type k, std::uint64_t v) { return {map.insert(k, v), 0}; }
  map_result erase(key_type k) { return map.erase(k); }
  map_result find(key_type k) { return map.find(k); }
};

// Deliberately broken, for the test only: erase looks the key up, then erases it and reports the
// lookup. Two erases racing on one key can both report the same value removed.
struct find_then_erase_map {
  concurrent_map map;
  map_result insert(key_type k, std::uint64_t v) { return {map.insert(k, v), 0}; }
  map_result erase(key_type k) {
    const map_result found = map.find(k);
    if (!found) return found;
    if (!scheduled_build) std::this_thread::yield();  // widen the window a preemption opens
    static_cast<void>(map.erase(k));
    return found;
  }
  map_result find(key_type k) { return map.find(k); }
};

constexpr unsigned max_threads = 8;  // 4x the cores of the machines this runs on

struct history_result {
  std::size_t overlapping = 0;
  std::uint64_t migrations = 0;
  std::optional<std::string> violation;
};

// One history, entirely decided by `seed` under the scheduler (on real threads the interleaving
// is the machine's). The 64-cell table starts with a few live keys and enough dead cells that
// the first migration comes within the first calls; then each thread mixes operations on 1-3
// hot keys with churn of its own keys (new keys inserted, some erased again, finds of both), so
// that dead cells pile up again and the table keeps migrating while the hot keys are fought over.
template <class Map>
history_result run_history(enlist::test::concurrent_runner& runner, std::uint64_t seed) {
  std::mt19937_64 shape(seed);
  const unsigned threads =
      scheduled_build ? 2 + static_cast<unsigned>(shape() % (max_threads - 1)) : max_threads;
  const std::uint64_t live_keys = shape() % 13;       // survive every migration
  const std::uint64_t dead_keys = 28 + shape() % 20;  // with the live ones, up to 47 of 48
  const std::uint64_t hot_keys = 1 + shape() % 3;
  const std::size_t ops_per_thread = 16 + shape() % 33;
  const unsigned private_share = 2 + static_cast<unsigned>(shape() % 3);  // 2..4 of 6 calls
  const std::uint64_t round_seed = shape();

  Map subject;
  for (std::uint64_t i = 0; i < live_keys; ++i)
    static_cast<void>(subject.map.insert(address(100'000 + i), value_for(i)));
  for (std::uint64_t i = 0; i < dead_keys && live_keys + i < 47; ++i) {
    static_cast<void>(subject.map.insert(address(200'000 + i), value_for(i)));
    static_cast<void>(subject.map.erase(address(200'000 + i)));
  }
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
          if (random() % 6 < private_share) {
            const unsigned pick = static_cast<unsigned>(random() % 20);
            if (own_live.empty() || pick < 11) {
              key = address(1000 + t * 1000 + next_own++);
              op = map_op::insert;
            } else {
              const std::size_t j = random() % own_live.size();
              key = own_live[j];
              op = pick < 17 ? map_op::erase : map_op::find;
              if (op == map_op::erase) own_live.erase(own_live.begin() + static_cast<long>(j));
            }
          } else {
            key = address(1 + random() % hot_keys);
            op = static_cast<map_op>(random() % 3);
          }
          // As distinct as the map's 64 values allow: inserts close in time differ.
          const std::uint64_t value = (std::uint64_t{t} * 17 + i) % (concurrent_map::max_value + 1);
          const map_result out =
              enlist::test::logged_map_call(subject, op, key, value, clock, random, log);
          if (op == map_op::insert && out.status == map_status::ok && key >= address(1000))
            own_live.push_back(key);
        }
      },
      enlist::test::mix_seed(seed ^ 0x5c4ed), threads);
  history_result result;
  result.migrations = subject.map.stats().migrations;
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
  std::uint64_t migrations = 0;
  std::optional<std::string> violation;
};

// Runs up to `histories` histories with seeds derived from `base`, stopping at the first
// violation, whose report says how to replay it.
template <class Map>
run_stats run_histories(std::size_t histories, std::uint64_t base) {
  enlist::test::concurrent_runner runner(max_threads);
  run_stats stats;
  stats.violation = enlist::test::for_each_history(
      histories, base,
      [&](std::uint64_t seed) {
        const history_result r = run_history<Map>(runner, seed);
        stats.overlapping += r.overlapping;
        stats.migrations += r.migrations;
        return r.violation;
      },
      stats.histories);
  return stats;
}

TEST(MapLinearizability, RandomHistoriesAcrossMigrationsAreLinearizable) {
  const std::size_t histories = enlist::test::histories_to_run(10000, 20000);
  const run_stats stats = run_histories<real_map>(histories, 1);
  ASSERT_FALSE(stats.violation) << *stats.violation;
  // Without overlapping operations every history would be trivially linearizable, and without
  // migrations the hardest paths would go untested.
  EXPECT_GT(stats.overlapping, stats.histories) << "the histories were hardly concurrent";
  EXPECT_GT(stats.migrations, stats.histories) << "too few migrations in the histories";
  std::cout << stats.histories << " histories, " << stats.overlapping
            << " operations overlapping another thread's on their key, " << stats.migrations
            << " migrations\n";
}

TEST(MapLinearizability, AnEraseThatIsAFindThenAnEraseIsCaught) {
  const run_stats stats = run_histories<find_then_erase_map>(enlist::test::scaled(3000, 3), 2);
  ASSERT_TRUE(stats.violation) << "no violation in " << stats.histories << " histories";
  std::cout << "caught after " << stats.histories << " histories:\n" << *stats.violation << '\n';
}

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)

// Each bug planted in the migration must make some history fail. (Reclamation bugs are the
// reclaimer's own tests' to catch: tests/reclaim.)
using PlantedMigrationBug = enlist::test::planted_bug_test;

TEST_P(PlantedMigrationBug, IsCaught) {
  const run_stats stats = run_histories<real_map>(20000, 3);
  ASSERT_TRUE(stats.violation) << "no violation in " << stats.histories << " histories";
  std::cout << "caught after " << stats.histories << " histories:\n" << *stats.violation << '\n';
}

INSTANTIATE_TEST_SUITE_P(Map, PlantedMigrationBug,
                         testing::Values(enlist::detail::planted_bug::freeze_skipped,
                                         enlist::detail::planted_bug::copy_unverified,
                                         enlist::detail::planted_bug::late_copy_overwrites),
                         [](const testing::TestParamInfo<enlist::detail::planted_bug>& bug) {
                           switch (bug.param) {
                             case enlist::detail::planted_bug::freeze_skipped:
                               return "CopyingCellsWithoutFreezingThem";
                             case enlist::detail::planted_bug::copy_unverified:
                               return "PublishingBeforeEveryChunkIsCopied";
                             case enlist::detail::planted_bug::late_copy_overwrites:
                               return "ALateCopierOverwritingTheSuccessor";
                             default:
                               return "Unnamed";
                           }
                         });

#endif

}  // namespace
