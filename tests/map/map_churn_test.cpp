// The session registry's life: endless insert/erase of always-new keys around a stable live
// population. Erased keys leave dead cells behind until a migration drops them; this test holds
// the map to the promise that memory and probe lengths after 100 million pairs are what they
// were after the first million.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "enlist/concurrent_map.hpp"
#include "support/counting_resource.hpp"
#include "support/scale.hpp"

namespace {

using enlist::concurrent_map;
using enlist::map_status;

constexpr std::uint64_t live_keys = 10'000;
constexpr unsigned churners = 2;
constexpr std::uint64_t pairs_per_phase = 1'000'000;

struct checkpoint {
  std::size_t capacity;
  std::size_t used_cells;
  std::size_t table_bytes;
  std::size_t outstanding_bytes;
  double mean_miss_probe;
  double mean_hit_probe;
};

TEST(ConcurrentMapChurn, MemoryAndProbeLengthsStayBoundedOverAHundredMillionPairs) {
  enlist::test::counting_resource memory;
  concurrent_map map(0, &memory);
  // Live keys sit far below the churned ones; every churned key is new (as addresses of new
  // session states are), never reused.
  for (std::uint64_t i = 0; i < live_keys; ++i) {
    ASSERT_EQ(map.insert(0x10000 + i * 16, i & concurrent_map::max_value), map_status::ok);
  }
  std::uint64_t next_key = 1ULL << 40;
  const auto churn_phase = [&](std::uint64_t pairs) {
    std::vector<std::thread> threads;
    std::atomic<std::uint64_t> failures{0};
    for (unsigned t = 0; t < churners; ++t) {
      const std::uint64_t first = next_key + t * (pairs / churners) * 16;
      threads.emplace_back([&map, &failures, first, pairs] {
        for (std::uint64_t i = 0; i < pairs / churners; ++i) {
          const std::uint64_t key = first + i * 16;
          if (map.insert(key, i & concurrent_map::max_value) != map_status::ok) ++failures;
          if (!map.erase(key)) ++failures;
        }
      });
    }
    for (auto& thread : threads)
      thread.join();
    next_key += pairs * 16;
    ASSERT_EQ(failures.load(), 0u);
  };
  const auto measure = [&] {
    // No operation runs between phases, so every retired table is freeable; what is left is
    // the current table and the spare kept for the next migration.
    map.reclaim();
    const auto s = map.stats();
    EXPECT_EQ(s.live, live_keys);
    // Everything the map holds is its table plus retired ones awaiting reclamation.
    EXPECT_EQ(memory.outstanding_bytes(), s.table_bytes + s.retired_bytes);
    return checkpoint{s.capacity,        s.used_cells,    s.table_bytes, memory.outstanding_bytes(),
                      s.mean_miss_probe, s.mean_hit_probe};
  };

  // The first million pairs, sampled often enough to see every point of a migration cycle.
  constexpr int first_samples = 40;
  std::vector<checkpoint> first;
  for (int i = 0; i < first_samples; ++i) {
    churn_phase(pairs_per_phase / first_samples);
    first.push_back(measure());
  }
  const auto max_of = [&](auto field) { return std::ranges::max(first, {}, field).*field; };
  const std::size_t capacity = first.back().capacity;
  const std::size_t max_bytes = max_of(&checkpoint::outstanding_bytes);
  const double max_miss = max_of(&checkpoint::mean_miss_probe);
  const double max_hit = max_of(&checkpoint::mean_hit_probe);
  EXPECT_GT(map.stats().migrations, 10u) << "churn should have migrated the table many times";

  // A preemption may leave the table twice its size: a successor that filled up before its
  // predecessor was done starts a migration at least twice its size, and a sizing sum torn by a
  // preemption can read more live keys than there are (concurrent_map.hpp, MIGRATION). Only a
  // table four times too large shrinks back, and reclaim() in measure() does that, so twice is
  // the bound; and such resizes are rare events, not a drift: a few in the whole run.
  const std::uint64_t phases = enlist::test::scaled(99, 50);
  std::size_t previous_capacity = capacity;
  int resizes = 0;
  for (std::uint64_t phase = 0; phase < phases; ++phase) {
    churn_phase(pairs_per_phase);
    const checkpoint now = measure();
    ASSERT_LE(now.capacity, 2 * capacity) << "after " << phase + 2 << "M pairs";
    resizes += now.capacity != previous_capacity;
    previous_capacity = now.capacity;
    ASSERT_LE(resizes, 4) << "the table keeps resizing: after " << phase + 2 << "M pairs";
    ASSERT_LE(now.used_cells, now.capacity * 3 / 4 + now.capacity / 32) << "dead cells pile up";
    ASSERT_LE(now.outstanding_bytes, now.capacity == capacity ? max_bytes : 2 * max_bytes)
        << "memory grew after " << phase + 2 << "M pairs";
    // Probe lengths depend on where in its migration cycle the table is; the first million
    // covered every point of the cycle, so a later sample may not exceed its worst by much.
    ASSERT_LE(now.mean_miss_probe, 1.5 * max_miss) << "after " << phase + 2 << "M pairs";
    ASSERT_LE(now.mean_hit_probe, 1.5 * max_hit) << "after " << phase + 2 << "M pairs";
  }
  std::printf(
      "churn: %llu M pairs, capacity %zu cells (%d resizes after the first million), worst mean "
      "miss probe %.2f cells, memory at most %zu bytes, %llu migrations\n",
      static_cast<unsigned long long>(phases + 1), capacity, resizes, max_miss, max_bytes,
      static_cast<unsigned long long>(map.stats().migrations));
}

}  // namespace
