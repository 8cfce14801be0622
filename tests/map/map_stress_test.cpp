// concurrent_map under threads that outnumber the cores: exact final contents with disjoint keys,
// consistent results with shared keys, and lookups that stay right while the table grows and
// shrinks underneath them.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "enlist/concurrent_map.hpp"
#include "support/counting_resource.hpp"
#include "support/keys.hpp"
#include "support/scale.hpp"

namespace {

using enlist::concurrent_map;
using enlist::map_status;
using key_type = concurrent_map::key_type;

using enlist::test::address;

constexpr unsigned thread_count = 16;  // 8x the cores of the machines this runs on

template <class Body>
void run_threads(unsigned n, Body body) {
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < n; ++t)
    threads.emplace_back(body, t);
  for (auto& thread : threads)
    thread.join();
}

TEST(ConcurrentMapStress, DisjointKeysEndWithExactlyTheExpectedContents) {
  enlist::test::counting_resource memory;
  {
    concurrent_map map(0, &memory);  // starts at the minimum size: every round migrates
    const std::uint64_t per_thread = enlist::test::scaled(40'000, 10);
    std::atomic<std::uint64_t> failures{0};
    run_threads(thread_count, [&](unsigned t) {
      const std::uint64_t base = t * per_thread;
      for (std::uint64_t i = 0; i < per_thread; ++i) {
        if (map.insert(address(base + i + 1), base + i) != map_status::ok) ++failures;
      }
      for (std::uint64_t i = 0; i < per_thread; ++i) {
        const auto found = map.find(address(base + i + 1));
        if (!found || found.value != base + i) ++failures;
      }
      for (std::uint64_t i = 0; i < per_thread; i += 2) {  // erase the even ones
        const auto erased = map.erase(address(base + i + 1));
        if (!erased || erased.value != base + i) ++failures;
      }
    });
    ASSERT_EQ(failures.load(), 0u);
    std::unordered_map<key_type, std::uint64_t> contents;
    map.for_each([&](key_type k, std::uint64_t v) { ASSERT_TRUE(contents.emplace(k, v).second); });
    ASSERT_EQ(contents.size(), thread_count * per_thread / 2);
    for (std::uint64_t i = 0; i < thread_count * per_thread; ++i) {
      const auto it = contents.find(address(i + 1));
      if (i % 2 == 0) {
        ASSERT_EQ(it, contents.end()) << "erased key " << i << " is still present";
      } else {
        ASSERT_NE(it, contents.end()) << "key " << i << " was lost";
        ASSERT_EQ(it->second, i);
      }
    }
    EXPECT_EQ(map.size(), contents.size());
  }
  EXPECT_EQ(memory.outstanding_bytes(), 0u);
}

// Threads fight over a few keys. Every inserted value is unique, so the erase results show
// whether any insert was lost, duplicated or erased twice.
TEST(ConcurrentMapStress, SharedKeysEraseEachInsertAtMostOnce) {
  concurrent_map map;
  constexpr std::uint64_t key_count = 128;
  const std::uint64_t steps = enlist::test::scaled(200'000, 10);
  struct log {
    std::vector<std::uint64_t> inserted, erased;
  };
  std::vector<log> logs(thread_count);
  run_threads(thread_count, [&](unsigned t) {
    std::mt19937_64 random(t);
    for (std::uint64_t step = 0; step < steps; ++step) {
      const std::uint64_t k = random() % key_count;
      switch (random() % 3) {
        case 0: {
          const std::uint64_t value = (std::uint64_t{t} << 40) | (step << 8) | k;
          if (map.insert(address(k + 1), value) == map_status::ok)
            logs[t].inserted.push_back(value);
          break;
        }
        case 1: {
          const auto found = map.find(address(k + 1));
          // A found value must belong to the key asked for.
          if (found) {
            ASSERT_EQ(found.value & 0xff, k);
          }
          break;
        }
        default: {
          const auto erased = map.erase(address(k + 1));
          if (erased) logs[t].erased.push_back(erased.value);
        }
      }
    }
  });
  std::unordered_set<std::uint64_t> inserted;
  for (const log& l : logs) {
    for (std::uint64_t v : l.inserted)
      ASSERT_TRUE(inserted.insert(v).second);
  }
  std::unordered_set<std::uint64_t> erased;
  for (const log& l : logs) {
    for (std::uint64_t v : l.erased) {
      ASSERT_TRUE(inserted.contains(v)) << "erase returned a value nobody inserted";
      ASSERT_TRUE(erased.insert(v).second) << "a value was erased twice";
    }
  }
  // Whatever was inserted and not erased is exactly what the map holds, one value per key.
  std::unordered_set<std::uint64_t> remaining;
  for (std::uint64_t v : inserted) {
    if (!erased.contains(v)) remaining.insert(v);
  }
  std::unordered_set<std::uint64_t> present;
  map.for_each([&](key_type k, std::uint64_t v) {
    ASSERT_EQ(address((v & 0xff) + 1), k);
    present.insert(v);
  });
  EXPECT_EQ(present, remaining);
  EXPECT_EQ(map.size(), remaining.size());
}

// Writers grow the table to a burst of keys and shrink it back, again and again, while readers
// check keys that stay put (always found, with their value) and keys that never exist (never
// found).
TEST(ConcurrentMapStress, LookupsStayRightWhileTheTableGrowsAndShrinks) {
  enlist::test::counting_resource memory;
  {
    concurrent_map map(0, &memory);
    constexpr std::uint64_t stable = 1000;
    for (std::uint64_t i = 0; i < stable; ++i)
      ASSERT_EQ(map.insert(address(i + 1), i), map_status::ok);
    const std::uint64_t burst = enlist::test::scaled(100'000, 10);
    constexpr unsigned writers = 4;
    constexpr unsigned readers = thread_count - writers;
    std::atomic<unsigned> writers_done{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> capacity_peak{0};
    run_threads(writers + readers, [&](unsigned t) {
      if (t < writers) {
        for (int cycle = 0; cycle < 3; ++cycle) {
          const std::uint64_t base = stable + 1 + (t * 3 + cycle) * burst;
          for (std::uint64_t i = 0; i < burst; ++i) {
            if (map.insert(address(base + i), i) != map_status::ok) ++failures;
          }
          std::uint64_t peak = capacity_peak.load();
          const std::uint64_t now = map.stats().capacity;
          while (peak < now && !capacity_peak.compare_exchange_weak(peak, now)) {
          }
          for (std::uint64_t i = 0; i < burst; ++i) {
            const auto erased = map.erase(address(base + i));
            if (!erased || erased.value != i) ++failures;
          }
        }
        writers_done.fetch_add(1);
        return;
      }
      std::mt19937_64 random(t);
      while (writers_done.load() < writers) {
        const std::uint64_t i = random() % stable;
        const auto found = map.find(address(i + 1));
        if (!found || found.value != i) ++failures;
        // Far above every key any writer uses.
        if (map.find(address((1ULL << 36) + i)).status != map_status::not_found) ++failures;
      }
    });
    EXPECT_EQ(failures.load(), 0u);
    // Each writer looks right after its own burst, when at least that burst is live.
    EXPECT_GT(capacity_peak.load(), burst) << "the burst did not make the table grow";
    for (std::uint64_t i = 0; i < 4096; ++i) {  // let housekeeping shrink and reclaim
      static_cast<void>(map.insert(address(1ULL << 37), 0));
      static_cast<void>(map.erase(address(1ULL << 37)));
    }
    const auto after = map.stats();
    EXPECT_EQ(after.live, stable);
    // A table sized a quarter full shrinks once it is four times that: 16 cells a survivor at
    // most, against the hundreds of thousands the burst needed.
    EXPECT_LE(after.capacity, 16 * stable) << "the table did not shrink back";
    for (std::uint64_t i = 0; i < stable; ++i)
      ASSERT_EQ(map.find(address(i + 1)).value, i);
  }
  EXPECT_EQ(memory.outstanding_bytes(), 0u);
}

}  // namespace
