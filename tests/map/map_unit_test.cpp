// Sequential behaviour of concurrent_map: the contract of each operation, growth and shrinking,
// and random operation sequences checked against std::unordered_map.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory_resource>
#include <optional>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "enlist/concurrent_map.hpp"
#include "support/counting_resource.hpp"
#include "support/keys.hpp"
#include "support/recording_resource.hpp"
#include "support/scale.hpp"

namespace {

using enlist::concurrent_map;
using enlist::map_status;
using key_type = concurrent_map::key_type;

using enlist::test::address;
using enlist::test::value_for;

TEST(ConcurrentMap, FindReturnsTheValueInsertedWithTheKey) {
  concurrent_map map;
  ASSERT_EQ(map.insert(address(1), 7), map_status::ok);
  const auto found = map.find(address(1));
  ASSERT_TRUE(found);
  EXPECT_EQ(found.value, 7u);
}

TEST(ConcurrentMap, FindOfAnAbsentKeyIsNotFound) {
  concurrent_map map;
  static_cast<void>(map.insert(address(1), 1));
  EXPECT_EQ(map.find(address(2)).status, map_status::not_found);
}

TEST(ConcurrentMap, SecondInsertOfAKeyIsRefusedAndKeepsTheFirstValue) {
  concurrent_map map;
  ASSERT_EQ(map.insert(address(1), 1), map_status::ok);
  EXPECT_EQ(map.insert(address(1), 2), map_status::exists);
  EXPECT_EQ(map.find(address(1)).value, 1u);
  EXPECT_EQ(map.size(), 1u);
}

TEST(ConcurrentMap, EraseHandsBackTheValueExactlyOnce) {
  concurrent_map map;
  static_cast<void>(map.insert(address(1), 42));
  const auto erased = map.erase(address(1));
  ASSERT_TRUE(erased);
  EXPECT_EQ(erased.value, 42u);
  EXPECT_EQ(map.erase(address(1)).status, map_status::not_found);
  EXPECT_EQ(map.find(address(1)).status, map_status::not_found);
  EXPECT_EQ(map.size(), 0u);
}

TEST(ConcurrentMap, AKeyErasedAndInsertedAgainIsANewEntry) {
  concurrent_map map;
  static_cast<void>(map.insert(address(1), 1));
  static_cast<void>(map.erase(address(1)));
  ASSERT_EQ(map.insert(address(1), 2), map_status::ok);
  EXPECT_EQ(map.find(address(1)).value, 2u);
}

// The error path of EndSession must stay a pure read: not one byte of the table (cells, counters,
// migration state) may change on a find, hit or miss, or on the erase of an absent key.
TEST(ConcurrentMap, FindsAndErasesOfAbsentKeysWriteNothing) {
  enlist::test::recording_resource memory;
  concurrent_map map(0, &memory);
  for (std::uint64_t i = 1; i <= 40; ++i)
    static_cast<void>(map.insert(address(i), value_for(i)));
  for (std::uint64_t i = 1; i <= 40; i += 3)
    static_cast<void>(map.erase(address(i)));  // tombstones too
  const auto before = memory.snapshot();
  for (std::uint64_t i = 1; i <= 2000; ++i) {
    static_cast<void>(map.find(address(i % 80 + 1)));
    EXPECT_FALSE(map.erase(address(1000 + i)));
    EXPECT_FALSE(map.erase(address(1)));  // erased before: a tombstone, still absent
  }
  EXPECT_EQ(memory.snapshot(), before);
}

TEST(ConcurrentMap, KeysOutsideTheAddressRangeAndOversizedValuesAreRejected) {
  concurrent_map map;
  EXPECT_EQ(map.insert(0, 1), map_status::invalid_key);
  EXPECT_EQ(map.find(0).status, map_status::invalid_key);
  EXPECT_EQ(map.erase(0).status, map_status::invalid_key);
  if constexpr (sizeof(key_type) > 4) {
    // The state bits above the address: a key reaching into them is refused, not truncated
    // onto another key.
    const key_type beyond = concurrent_map::max_key + 1;
    EXPECT_EQ(map.insert(beyond, 1), map_status::invalid_key);
    EXPECT_EQ(map.find(beyond).status, map_status::invalid_key);
    EXPECT_EQ(map.erase(beyond).status, map_status::invalid_key);
    EXPECT_EQ(map.insert(beyond | address(3), 1), map_status::invalid_key);
    EXPECT_FALSE(map.find(address(3)));
    EXPECT_EQ(map.insert(concurrent_map::max_key, 5), map_status::ok);
    EXPECT_EQ(map.find(concurrent_map::max_key).value, 5u);
    EXPECT_EQ(map.erase(concurrent_map::max_key).value, 5u);
  }
  EXPECT_EQ(map.insert(address(1), concurrent_map::max_value + 1), map_status::invalid_value);
  EXPECT_EQ(map.insert(address(1), concurrent_map::max_value), map_status::ok);
  EXPECT_EQ(map.find(address(1)).value, concurrent_map::max_value);
  EXPECT_EQ(map.insert(address(2), 0), map_status::ok);
  EXPECT_EQ(map.find(address(2)).value, 0u);
  EXPECT_EQ(map.size(), 2u);
}

TEST(ConcurrentMap, ForEachVisitsEveryLiveEntryOnce) {
  concurrent_map map;
  for (std::uint64_t i = 1; i <= 1000; ++i)
    static_cast<void>(map.insert(address(i), value_for(i)));
  for (std::uint64_t i = 1; i <= 1000; i += 2)
    static_cast<void>(map.erase(address(i)));
  std::unordered_map<key_type, std::uint64_t> seen;
  ASSERT_TRUE(
      map.for_each([&](key_type k, std::uint64_t v) { EXPECT_TRUE(seen.emplace(k, v).second); }));
  ASSERT_EQ(seen.size(), 500u);
  for (std::uint64_t i = 2; i <= 1000; i += 2)
    EXPECT_EQ(seen.at(address(i)), value_for(i));
}

TEST(ConcurrentMap, GrowsToAMillionKeysAndShrinksBackWhenTheyLeave) {
  enlist::test::counting_resource memory;
  {
    concurrent_map map(0, &memory);
    const std::size_t initial_capacity = map.stats().capacity;
    const std::uint64_t n = enlist::test::scaled(1'000'000, 10);
    for (std::uint64_t i = 1; i <= n; ++i)
      ASSERT_EQ(map.insert(address(i), value_for(i)), map_status::ok);
    const auto grown = map.stats();
    EXPECT_EQ(grown.live, n);
    EXPECT_EQ(map.size(), n);
    EXPECT_GE(grown.capacity, 2 * n / 2);
    EXPECT_LE(grown.used_cells, grown.capacity * 3 / 4 + grown.capacity / 32);
    for (std::uint64_t i = 1; i <= n; ++i)
      ASSERT_EQ(map.find(address(i)).value, value_for(i));
    for (std::uint64_t i = 1; i <= n; ++i)
      ASSERT_TRUE(map.erase(address(i)));
    // Shrinking happens on housekeeping: a few more operations let it run.
    for (std::uint64_t i = 0; i < 4096; ++i) {
      static_cast<void>(map.insert(address(n + 1), 0));
      static_cast<void>(map.erase(address(n + 1)));
    }
    const auto shrunk = map.stats();
    EXPECT_EQ(shrunk.live, 0u);
    EXPECT_EQ(shrunk.capacity, initial_capacity);
    EXPECT_LE(memory.outstanding_bytes(), 2 * shrunk.table_bytes + shrunk.retired_bytes);
  }
  EXPECT_EQ(memory.outstanding_bytes(), 0u) << "a table was leaked";
}

TEST(ConcurrentMap, NeverShrinksBelowTheSizeItWasBuiltFor) {
  concurrent_map map(100'000);
  const std::size_t built = map.stats().capacity;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    static_cast<void>(map.insert(address(i + 1), value_for(i)));
    static_cast<void>(map.erase(address(i + 1)));
  }
  EXPECT_EQ(map.stats().capacity, built);
}

TEST(ConcurrentMap, RandomOperationsAgreeWithUnorderedMap) {
  std::mt19937_64 random(20261125);
  for (int round = 0; round < 8; ++round) {
    concurrent_map map;
    std::unordered_map<key_type, std::uint64_t> model;
    // Small key spaces make hits, misses, re-inserts and erase-of-erased common; the large one
    // forces growth and shrinking in between.
    const std::uint64_t key_space = round % 2 == 0 ? 64 : 40'000;
    const std::size_t steps = enlist::test::scaled(200'000, 10);
    for (std::size_t step = 0; step < steps; ++step) {
      const key_type key = address(random() % key_space + 1);
      const std::uint64_t value = random() % (concurrent_map::max_value + 1);
      switch (random() % 3) {
        case 0: {
          const bool absent = model.emplace(key, value).second;
          ASSERT_EQ(map.insert(key, value), absent ? map_status::ok : map_status::exists);
          break;
        }
        case 1: {
          const auto it = model.find(key);
          const auto got = map.find(key);
          ASSERT_EQ(got.status, it == model.end() ? map_status::not_found : map_status::ok);
          if (it != model.end()) {
            ASSERT_EQ(got.value, it->second);
          }
          break;
        }
        default: {
          const auto it = model.find(key);
          const auto got = map.erase(key);
          ASSERT_EQ(got.status, it == model.end() ? map_status::not_found : map_status::ok);
          if (it != model.end()) {
            ASSERT_EQ(got.value, it->second);
            model.erase(it);
          }
        }
      }
    }
    ASSERT_EQ(map.size(), model.size());
    std::size_t visited = 0;
    ASSERT_TRUE(map.for_each([&](key_type k, std::uint64_t v) {
      ++visited;
      ASSERT_EQ(model.at(k), v);
    }));
    ASSERT_EQ(visited, model.size());
  }
}

TEST(ConcurrentMap, AFailedGrowthLosesNothingAndRecoversWhenMemoryReturns) {
  enlist::test::counting_resource memory;
  {
    concurrent_map map(0, &memory);
    memory.fail_allocations(true);
    std::uint64_t inserted = 0;
    map_status last = map_status::ok;
    while ((last = map.insert(address(inserted + 1), value_for(inserted))) == map_status::ok)
      ++inserted;
    EXPECT_EQ(last, map_status::out_of_memory);
    EXPECT_GT(memory.failed_allocations(), 0u);
    EXPECT_GE(inserted, concurrent_map::min_capacity / 2) << "the first table was not used";
    for (std::uint64_t i = 0; i < inserted; ++i) {
      ASSERT_EQ(map.find(address(i + 1)).value, value_for(i)) << "an entry was lost";
    }
    // Erasing and finding keep working at full capacity, and allocate nothing.
    ASSERT_TRUE(map.erase(address(1)));
    ASSERT_EQ(map.insert(address(1), 0), map_status::ok);
    memory.fail_allocations(false);
    for (std::uint64_t i = inserted; i < inserted + 10'000; ++i) {
      ASSERT_EQ(map.insert(address(i + 1), value_for(i)), map_status::ok);
    }
    for (std::uint64_t i = 0; i < inserted + 10'000; ++i) {
      ASSERT_EQ(map.find(address(i + 1)).value, value_for(i));
    }
  }
  EXPECT_EQ(memory.outstanding_bytes(), 0u);
}

// Checks the map holds exactly `expected`, by every way of reading it. With no operation running,
// the walk that does without finishing migrations is exact too.
void expect_contents(const concurrent_map& map,
                     const std::unordered_map<key_type, std::uint64_t>& expected) {
  for (const auto& [key, value] : expected) {
    const auto found = map.find(key);
    ASSERT_TRUE(found) << "key " << key << " was lost";
    ASSERT_EQ(found.value, value);
  }
  std::unordered_map<key_type, std::uint64_t> visited;
  map.for_each_at_least_once([&](key_type key, std::uint64_t value) {
    EXPECT_TRUE(visited.emplace(key, value).second) << "key " << key << " visited twice";
  });
  EXPECT_EQ(visited, expected);
  visited.clear();
  if (!map.for_each([&](key_type key, std::uint64_t value) { visited.emplace(key, value); })) {
    return;  // memory ran out before a migration could be finished; nothing was visited
  }
  EXPECT_EQ(visited, expected);
}

// A map grown to a burst of keys and emptied to a few survivors (recorded in `expected`), whose
// shrink has just started: its successor is small enough for a few inserts of new keys to fill it
// before the large table is copied into it.
class ShrinkingMap : public ::testing::Test {
 protected:
  // Starts the shrink; `before` gets the statistics of the table being shrunk, taken just before.
  void start(enlist::map_stats& before) {
    for (std::uint64_t i = 0; i < burst; ++i)
      ASSERT_EQ(map->insert(address(i), value_for(i)), map_status::ok);
    for (std::uint64_t i = survivors; i < burst; ++i)
      ASSERT_TRUE(map->erase(address(i)));
    for (std::uint64_t i = 0; i < survivors; ++i)
      expected.emplace(address(i), value_for(i));
    // stats() finishes the growth the burst may have left running.
    before = map->stats();
    // Housekeeping, every 256 inserts, starts the shrink; the key inserted is `burst`, unused.
    for (int i = 0; i < 300; ++i) {
      ASSERT_EQ(map->insert(address(burst), 0), map_status::ok);
      ASSERT_TRUE(map->erase(address(burst)));
    }
  }

  void TearDown() override {
    map.reset();
    EXPECT_EQ(memory.outstanding_bytes(), 0u) << "a table was leaked";
  }

  const std::uint64_t burst = enlist::test::scaled(200'000, 4);
  static constexpr std::uint64_t survivors = 20;
  enlist::test::counting_resource memory;  // declared before the map, which it must outlive
  std::optional<concurrent_map> map{std::in_place, 0, &memory};
  std::unordered_map<key_type, std::uint64_t> expected;
};

// Inserts of new keys that come faster than the shrink's steps fill the successor before its
// predecessor is copied, and the successor then migrates in its turn, behind it: a chain of
// tables, which must lose nothing.
TEST_F(ShrinkingMap, AMigrationOutpacedByInsertsPassesKeysDownAChainAndLosesNone) {
  enlist::map_stats before;
  ASSERT_NO_FATAL_FAILURE(start(before));
  const std::uint64_t fresh = before.capacity / 512;  // half as many as the chunks to copy
  for (std::uint64_t i = burst + 1; i <= burst + fresh; ++i) {
    ASSERT_EQ(map->insert(address(i), value_for(i)), map_status::ok);
    expected.emplace(address(i), value_for(i));
    // Finds only: for_each and stats() finish running migrations.
    if (i % 32 != 0) continue;
    for (const auto& [key, value] : expected)
      ASSERT_EQ(map->find(key).value, value);
  }
  ASSERT_NO_FATAL_FAILURE(expect_contents(*map, expected));
  const auto after = map->stats();
  EXPECT_LT(after.capacity, before.capacity) << "the premise: the table shrank";
  EXPECT_GE(after.migrations - before.migrations, 2U)
      << "the premise: a successor migrated behind its predecessor";
  EXPECT_EQ(after.live, expected.size());
  for (const auto& [key, value] : expected)
    ASSERT_TRUE(map->erase(key));
  expect_contents(*map, {});
}

// The same, but memory runs out while the chain would grow: copies that find no room leave their
// chunk unfinished, inserts answer out_of_memory, and every key stays where reads find it.
TEST_F(ShrinkingMap, AMigrationThatRunsOutOfMemoryKeepsEveryKeyReachable) {
  enlist::map_stats before;
  ASSERT_NO_FATAL_FAILURE(start(before));
  memory.fail_allocations(true);
  std::uint64_t next = burst + 1;
  map_status last = map_status::ok;
  while ((last = map->insert(address(next), value_for(next))) == map_status::ok) {
    expected.emplace(address(next), value_for(next));
    ++next;
  }
  EXPECT_EQ(last, map_status::out_of_memory);
  ASSERT_NO_FATAL_FAILURE(expect_contents(*map, expected));
  // A sweep cannot finish the migration either: it refuses rather than risk a second visit.
  bool visited = false;
  EXPECT_FALSE(map->for_each([&](key_type, std::uint64_t) { visited = true; }));
  EXPECT_FALSE(visited);
  // Reads and erases go on without memory; so do inserts of keys already present.
  for (std::uint64_t i = 0; i < survivors; i += 2) {
    ASSERT_EQ(map->insert(address(i), 0), map_status::exists);
    ASSERT_EQ(map->erase(address(i)).value, value_for(i));
    expected.erase(address(i));
  }
  ASSERT_NO_FATAL_FAILURE(expect_contents(*map, expected));
  memory.fail_allocations(false);
  for (std::uint64_t i = next; i < next + 5000; ++i) {
    ASSERT_EQ(map->insert(address(i), value_for(i)), map_status::ok);
    expected.emplace(address(i), value_for(i));
  }
  ASSERT_NO_FATAL_FAILURE(expect_contents(*map, expected));
  EXPECT_EQ(map->stats().live, expected.size());
}

}  // namespace

namespace {

// A sizing hint no machine can hold is a caller's error with one answer, whatever its size: a
// hint that wrapped around in the sizing arithmetic used to give the smallest table silently.
TEST(ConcurrentMap, AHintBeyondWhatATableCanIndexIsRefused) {
  for (const std::size_t hint :
       {enlist::concurrent_map::max_expected_keys + 1, std::size_t{1} << 61, std::size_t{1} << 63,
        std::numeric_limits<std::size_t>::max()}) {
    EXPECT_THROW(enlist::concurrent_map map(hint), std::length_error) << hint;
  }
}

// A resource that is not thread-safe corrupts the heap under concurrent migrations, silently:
// the ones the standard library ships are refused when the map is built, as is null.
TEST(ConcurrentMap, AResourceKnownNotToBeThreadSafeIsRefused) {
  std::pmr::unsynchronized_pool_resource pool;
  std::pmr::monotonic_buffer_resource arena;
  EXPECT_THROW(enlist::concurrent_map map(0, &pool), std::invalid_argument);
  EXPECT_THROW(enlist::concurrent_map map(0, &arena), std::invalid_argument);
  EXPECT_THROW(enlist::concurrent_map map(0, nullptr), std::invalid_argument);
  std::pmr::synchronized_pool_resource shared_pool;
  enlist::concurrent_map accepted(0, &shared_pool);
  EXPECT_EQ(accepted.insert(8, 1), enlist::map_status::ok);
}

}  // namespace
