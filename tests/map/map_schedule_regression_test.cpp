// Interleavings that once broke concurrent_map, replayed under the deterministic scheduler.
// Each test states the interleaving, builds the smallest scenario that can produce it, and runs
// that scenario under thousands of seeds; the seed that found it first is in the corpus replay
// (tests/CMakeLists.txt), but seeds stop meaning the same interleaving as soon as the
// map's code changes, so the scenario sweep is what keeps guarding the fix.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "enlist/concurrent_map.hpp"
#include "enlist/detail/planted_bug.hpp"
#include "enlist/hash.hpp"
#include "schedule/deterministic_schedule.hpp"
#include "support/keys.hpp"
#include "support/scale.hpp"

namespace {

using enlist::concurrent_map;
using enlist::map_status;
using enlist::test::address;
using enlist::test::deterministic_schedule;

// Keys whose home cell in a table of `capacity` cells is `home`.
std::vector<std::uintptr_t> keys_with_home(std::size_t home, std::size_t capacity,
                                           std::size_t count, std::uint64_t from) {
  std::vector<std::uintptr_t> keys;
  for (std::uint64_t i = from; keys.size() < count; ++i) {
    if ((enlist::address_hash{}(address(i)) & (capacity - 1)) == home) keys.push_back(address(i));
  }
  return keys;
}

// The interleaving (found by the map fuzzer on real threads, replayed under the scheduler):
//   1. T1's insert(k) probes the current table and loads the key of cell C: unclaimed, so C is
//      where k would go; T1 is preempted before it loads C's value word.
//   2. T2 claims C for another key k2 and publishes k2's value; its next insert fills the table
//      to the migration threshold, and the migration freezes C: frozen | k2's value.
//   3. T1 loads C's value word: frozen and live. The migration is not published yet, so the
//      table is still current, and insert used to answer `exists` for k, which nobody had
//      inserted: the value it read was k2's. (In a registry: a fresh session's begin refused as
//      already enlisted.)
// The fix: that shortcut answers only from k's own cell (one the probe saw holding k, or that
// this insert or another insert of k claimed). Cells are one word now, so a key and its state
// are loaded together and step 3 cannot read another key's state as k's; the sweep goes on
// guarding an insert that races a migration for a cell another key claims.
TEST(MapScheduleRegression, InsertNeverAnswersFromACellAnotherKeyClaimedBeforeItFroze) {
  constexpr std::size_t capacity = concurrent_map::min_capacity;
  const std::uintptr_t k = address(1);
  const std::size_t home = enlist::address_hash{}(k) & (capacity - 1);
  const std::vector<std::uintptr_t> rivals = keys_with_home(home, capacity, 3, 1000);
  std::size_t wrong = 0, migrations = 0;
  // ThreadSanitizer's memory grows faster than linearly with the runs (30,000 outgrow 24 GiB).
  const std::uint64_t seeds = enlist::test::scaled(30000, 30);
  std::string first_failure;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    concurrent_map map;
    // 45 used cells (some live, some dead) elsewhere: three more claims start a migration.
    for (std::uint64_t i = 0; i < 45; ++i) {
      ASSERT_EQ(map.insert(address(5000 + i), enlist::test::value_for(i)), map_status::ok);
      if (i % 3 == 0) static_cast<void>(map.erase(address(5000 + i)));
    }
    map_status answer = map_status::ok;
    std::vector<std::function<void()>> bodies{[&] { answer = map.insert(k, 1); },
                                              [&] {
                                                for (const std::uintptr_t r : rivals)
                                                  static_cast<void>(map.insert(r, 2));
                                              }};
    const auto run = deterministic_schedule::run(seed, bodies);
    ASSERT_TRUE(run.completed);
    migrations += map.stats().migrations;
    if (answer != map_status::ok || map.find(k).status != map_status::ok) {
      if (wrong++ == 0) first_failure = "seed " + std::to_string(seed) + " under " + run.strategy;
    }
  }
  EXPECT_EQ(wrong, 0U) << "insert of an absent key did not insert it in " << wrong << " of "
                       << seeds << " runs; first: " << first_failure;
  EXPECT_GE(migrations, seeds) << "every run is meant to cross a migration";
}

// The interleaving (found by the map fuzzer on real threads; replayed here with the sizing
// estimate forced to its worst, which a preemption in the middle of its sum can produce):
//   1. A migration's successor is sized for fewer keys than its predecessor ends up holding, and
//      the copies of one step fill its last free cell. Copies check no fill, so no migration of
//      the successor has started.
//   2. The same step freezes the cell of key k (live) and, before it copies k, T2 runs erase(k):
//      k's frozen word is carried to the successor, which has no cell left for k's erased word
//      and no successor of its own.
//   3. erase answered out_of_memory although no allocation had failed (an end refused for
//      nothing). The fix: the erase makes that successor as an insert would (map.I4).
// Two threads push bursts of private keys through the map, with every successor sized for no
// keys, so that full successors and keys in flight are common; no allocation may fail.
TEST(MapScheduleRegression, EraseNeverRunsOutOfMemoryWhileAllocationsSucceed) {
  const std::uint64_t seeds = enlist::test::scaled(3000, 30);
  std::size_t refused = 0, runs_refused = 0, migrations = 0;
  std::string first_failure;
  enlist::detail::worst_case_in_effect = enlist::detail::worst_case::successor_sized_for_no_keys;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    concurrent_map map;
    const std::size_t refused_before = refused;
    const auto bursts = [&](std::uint64_t base) {
      for (std::uint64_t round = 0; round < 16; ++round) {
        const std::uint64_t from = round % 3 == 0 ? 118 : 14;  // windows that overlap
        for (std::uint64_t b = 0; b < 48; ++b) {
          static_cast<void>(map.insert(address(base + (from + b) % 256), 1));
        }
        for (std::uint64_t b = 0; b < 48; ++b) {
          refused +=
              map.erase(address(base + (from + b) % 256)).status == map_status::out_of_memory;
        }
      }
    };
    std::vector<std::function<void()>> bodies{[&] { bursts(100); }, [&] { bursts(1000); }};
    const auto run = deterministic_schedule::run(seed, bodies);
    ASSERT_TRUE(run.completed);
    migrations += map.stats().migrations;
    if (refused != refused_before && runs_refused++ == 0) {
      first_failure = "seed " + std::to_string(seed) + " under " + run.strategy;
    }
  }
  enlist::detail::worst_case_in_effect = enlist::detail::worst_case::none;
  EXPECT_EQ(refused, 0U) << "erase answered out_of_memory in " << runs_refused << " of " << seeds
                         << " runs; first: " << first_failure;
  EXPECT_GE(migrations, 10 * seeds) << "the premise: every run crosses many migrations";
}

}  // namespace
