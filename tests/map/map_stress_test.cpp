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
using enlist::test::value_for;

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
        if (map.insert(address(base + i + 1), value_for(base + i)) != map_status::ok) ++failures;
      }
      for (std::uint64_t i = 0; i < per_thread; ++i) {
        const auto found = map.find(address(base + i + 1));
        if (!found || found.value != value_for(base + i)) ++failures;
      }
      for (std::uint64_t i = 0; i < per_thread; i += 2) {  // erase the even ones
        const auto erased = map.erase(address(base + i + 1));
        if (!erased || erased.value != value_for(base + i)) ++failures;
      }
    });
    ASSERT_EQ(failures.load(), 0u);
    std::unordered_map<key_type, std::uint64_t> contents;
    ASSERT_TRUE(map.for_each(
        [&](key_type k, std::uint64_t v) { ASSERT_TRUE(contents.emplace(k, v).second); }));
    ASSERT_EQ(contents.size(), thread_count * per_thread / 2);
    for (std::uint64_t i = 0; i < thread_count * per_thread; ++i) {
      const auto it = contents.find(address(i + 1));
      if (i % 2 == 0) {
        ASSERT_EQ(it, contents.end()) << "erased key " << i << " is still present";
      } else {
        ASSERT_NE(it, contents.end()) << "key " << i << " was lost";
        ASSERT_EQ(it->second, value_for(i));
      }
    }
    EXPECT_EQ(map.size(), contents.size());
  }
  EXPECT_EQ(memory.outstanding_bytes(), 0u);
}

// Threads fight over a few keys. Per key, the inserts that succeeded minus the erases that
// succeeded must be what the map holds at the end (0 or 1): a lost insert, an insert that
// succeeded twice, an erase of a key that was not there or a resurrected key breaks the count.
// Each key's value is its index, so a value found under the wrong key shows too.
TEST(ConcurrentMapStress, SharedKeysEraseEachInsertAtMostOnce) {
  concurrent_map map;
  constexpr std::uint64_t key_count = concurrent_map::max_value + 1;
  const std::uint64_t steps = enlist::test::scaled(200'000, 10);
  struct log {
    std::vector<std::int64_t> balance = std::vector<std::int64_t>(key_count);
  };
  std::vector<log> logs(thread_count);
  run_threads(thread_count, [&](unsigned t) {
    std::mt19937_64 random(t);
    for (std::uint64_t step = 0; step < steps; ++step) {
      const std::uint64_t k = random() % key_count;
      switch (random() % 3) {
        case 0:
          if (map.insert(address(k + 1), k) == map_status::ok) ++logs[t].balance[k];
          break;
        case 1: {
          const auto found = map.find(address(k + 1));
          if (found) {
            ASSERT_EQ(found.value, k) << "a value found under another key";
          }
          break;
        }
        default: {
          const auto erased = map.erase(address(k + 1));
          if (erased) {
            ASSERT_EQ(erased.value, k) << "an erase returned another key's value";
            --logs[t].balance[k];
          }
        }
      }
    }
  });
  std::vector<std::int64_t> present(key_count);
  ASSERT_TRUE(map.for_each([&](key_type k, std::uint64_t v) {
    ASSERT_EQ(address(v + 1), k);
    ++present[v];
  }));
  std::int64_t total = 0;
  for (std::uint64_t k = 0; k < key_count; ++k) {
    std::int64_t balance = 0;
    for (const log& l : logs)
      balance += l.balance[k];
    ASSERT_EQ(balance, present[k]) << "key " << k << ": inserts minus erases is not what is left";
    total += present[k];
  }
  EXPECT_EQ(map.size(), static_cast<std::size_t>(total));
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
      ASSERT_EQ(map.insert(address(i + 1), value_for(i)), map_status::ok);
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
            if (map.insert(address(base + i), value_for(i)) != map_status::ok) ++failures;
          }
          std::uint64_t peak = capacity_peak.load();
          const std::uint64_t now = map.stats().capacity;
          while (peak < now && !capacity_peak.compare_exchange_weak(peak, now)) {
          }
          for (std::uint64_t i = 0; i < burst; ++i) {
            const auto erased = map.erase(address(base + i));
            if (!erased || erased.value != value_for(i)) ++failures;
          }
        }
        writers_done.fetch_add(1);
        return;
      }
      std::mt19937_64 random(t);
      while (writers_done.load() < writers) {
        const std::uint64_t i = random() % stable;
        const auto found = map.find(address(i + 1));
        if (!found || found.value != value_for(i)) ++failures;
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
      ASSERT_EQ(map.find(address(i + 1)).value, value_for(i));
  }
  EXPECT_EQ(memory.outstanding_bytes(), 0u);
}

}  // namespace
