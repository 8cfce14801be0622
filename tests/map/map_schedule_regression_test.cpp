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

}  // namespace
