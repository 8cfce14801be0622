// Checks the cost model of concurrent_map.hpp on the build that reports every write to the
// library's atomics: per operation, the writes to memory that another thread may also write,
// which is what stops a write path from scaling with the cores and what a 2-core machine
// cannot time. Also the work of the one operation that carries a migration, and that churn
// never brings the heavy fence into an erase.
//
// The plain stores outside the caller's record (support/write_counter.hpp) are the thread's
// counter stripe (one writer by construction; the steady-state test checks they go to one
// word) and, during a migration, the chunk flags and the successor's live count.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <set>

#include "enlist/concurrent_map.hpp"
#include "enlist/reclaim/asymmetric_fence.hpp"
#include "support/keys.hpp"
#include "support/write_counter.hpp"

namespace {

using enlist::concurrent_map;
using enlist::map_status;
using enlist::test::address;
using enlist::test::write_counter;
using enlist::test::writes;

// 10,000 live keys in a table built for 40,000, so that no operation below meets a migration:
// the steady state the cost model's per-operation rows describe.
TEST(MapCostModel, EachOperationWritesWhatTheCostModelSays) {
  constexpr std::uint64_t live = 10'000, pairs = 20'000;
  concurrent_map map(4 * live);
  for (std::uint64_t i = 0; i < live; ++i)
    ASSERT_EQ(map.insert(address(i), enlist::test::value_for(i)), map_status::ok);
  const std::uint64_t migrations = map.stats().migrations;
  const std::uint64_t fences = enlist::reclaim::heavy_fence_count();

  write_counter counter;
  std::set<std::uintptr_t> stripe_words;
  for (std::uint64_t i = 0; i < pairs; ++i) {
    const std::uintptr_t fresh = address(live + i), oldest = address(i);
    counter.take();

    // A fresh key: the one CAS that claims and publishes its cell, and the caller's stripe.
    ASSERT_EQ(map.insert(fresh, 1), map_status::ok);
    const writes insert = counter.take();
    ASSERT_EQ(insert.shared, 1);
    ASSERT_EQ(insert.stores, 1);

    ASSERT_EQ(map.insert(fresh, 2), map_status::exists);
    const writes present = counter.take();
    ASSERT_EQ(present.shared + present.stores, 0);

    ASSERT_TRUE(map.find(fresh));
    ASSERT_FALSE(map.find(address(8 * live + pairs + i)));
    const writes finds = counter.take();
    ASSERT_EQ(finds.shared + finds.stores, 0);

    ASSERT_EQ(map.erase(oldest).status, map_status::ok);
    const writes erase = counter.take();
    ASSERT_EQ(erase.shared, 1);
    ASSERT_EQ(erase.stores, 1);

    ASSERT_EQ(map.erase(oldest).status, map_status::not_found);
    const writes miss = counter.take();
    ASSERT_EQ(miss.shared + miss.stores, 0);

    // The same key again: its own erased cell, revived by the same one CAS.
    ASSERT_EQ(map.insert(oldest, 3), map_status::ok);
    const writes revive = counter.take();
    ASSERT_EQ(revive.shared, 1);
    ASSERT_EQ(map.erase(oldest).status, map_status::ok);
    counter.take();

    for (const writes* w : {&insert, &erase, &revive})
      stripe_words.insert(w->store_words.begin(), w->store_words.end());
  }
  ASSERT_EQ(map.stats().migrations, migrations) << "the premise: no migration in the loop";
  EXPECT_EQ(stripe_words.size(), 1U) << "plain stores went to more than the caller's stripe";
  EXPECT_EQ(enlist::reclaim::heavy_fence_count(), fences);
}

// Churn of always-new keys across migrations at 10,000 live: the shared writes per pair,
// amortised, and the most one operation writes (the one that carries a migration alone).
TEST(MapCostModel, ChurnAmortisedAndTheOperationThatCarriesAMigration) {
  constexpr std::uint64_t live = 10'000, pairs = 400'000;
  concurrent_map map(live);  // the size churn at this population settles at
  for (std::uint64_t i = 0; i < live; ++i)
    ASSERT_EQ(map.insert(address(i), 1), map_status::ok);
  const std::uint64_t migrations_before = map.stats().migrations;
  const std::size_t capacity = map.stats().capacity;

  write_counter counter;
  std::uint64_t shared = 0, stores = 0, carriers = 0, erase_fences = 0;
  std::size_t lines_max = 0, other_lines_max = 0, erase_lines_max = 0;
  for (std::uint64_t i = 0; i < pairs; ++i) {
    counter.take();
    ASSERT_EQ(map.insert(address(live + i), 1), map_status::ok);
    const writes insert = counter.take();
    const std::uint64_t fences = enlist::reclaim::heavy_fence_count();
    ASSERT_EQ(map.erase(address(i)).status, map_status::ok);
    const writes erase = counter.take();
    erase_fences += enlist::reclaim::heavy_fence_count() - fences;
    erase_lines_max = std::max(erase_lines_max, erase.lines.size());
    for (const writes* w : {&insert, &erase}) {
      shared += static_cast<std::uint64_t>(w->shared);
      stores += static_cast<std::uint64_t>(w->stores);
      lines_max = std::max(lines_max, w->lines.size());
      // Carrying a migration writes a line per 8 cells of the old table; nothing else comes
      // near 64 lines.
      if (w->lines.size() > 64) {
        ++carriers;
      } else {
        other_lines_max = std::max(other_lines_max, w->lines.size());
      }
    }
  }
  const std::uint64_t migrations = map.stats().migrations - migrations_before;
  ASSERT_GT(migrations, 0U) << "the premise: churn crosses migrations";
  ASSERT_EQ(map.stats().capacity, capacity) << "the premise: churn at a stable size";
  const double per_pair = static_cast<double>(shared) / static_cast<double>(pairs);
  const double stores_per_pair = static_cast<double>(stores) / static_cast<double>(pairs);
  std::cout << pairs << " pairs at " << live << " live in " << capacity << " cells, " << migrations
            << " migrations: " << per_pair << " shared read-modify-writes and " << stores_per_pair
            << " plain stores per pair; " << carriers
            << " operations carried a migration, writing up to " << lines_max
            << " lines; every other wrote at most " << other_lines_max << " lines\n";
  // The cost model: 2 per pair, plus per migration one freeze per cell and one copy per live
  // key. A table of C cells starts at most a third full and migrates at 3/4, so at least
  // 5C/12 claims pass between migrations: at most 2.4 freezes and 0.8 copies per pair, and a
  // few cursor and flag updates per chunk.
  EXPECT_LE(per_pair, 2.0 + 2.4 + 0.8 + 0.1);
  EXPECT_LE(stores_per_pair, 2.1);
  // Single-threaded, the insert that starts a migration carries it alone: it writes every line
  // of the old table once (freezing) and a line of the successor per live key, plus headers.
  // Every other operation writes its cell and its stripe, and now and then an insert's
  // housekeeping hands a retired table to the spare slot (a third line).
  EXPECT_EQ(carriers, migrations) << "migration work fell to more operations than started one";
  EXPECT_LE(lines_max, capacity / 8 + live + 64);
  EXPECT_LE(other_lines_max, 3U);
  EXPECT_LE(erase_lines_max, 2U) << "an erase wrote beyond its cell and its stripe";
  EXPECT_EQ(erase_fences, 0U) << "an erase reached the heavy fence";
}

}  // namespace
