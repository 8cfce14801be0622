// Checks the cost model of tagged_map.hpp on the build that reports every write to the library's
// atomics: per operation, the locked instructions (read-modify-writes) and plain stores, and the
// lines they go to. A returning key costs one locked instruction, a fresh one two, an erase one,
// and finds, misses and the failing calls none; all of them on the key's group, one line.

#include <gtest/gtest.h>

#include <cstdint>

#include "enlist/tagged_map.hpp"
#include "support/keys.hpp"
#include "support/write_counter.hpp"

namespace {

using enlist::map_status;
using enlist::tagged_map;
using enlist::test::address;
using enlist::test::write_counter;
using enlist::test::writes;

// 10,000 live keys in a table built for them, then pairs of fresh keys and returning keys.
TEST(TaggedMapCostModel, EachOperationWritesWhatTheCostModelSays) {
  constexpr std::uint64_t live = 10'000, pairs = 20'000;
  tagged_map<> map(live + 16);
  for (std::uint64_t i = 0; i < live; ++i)
    ASSERT_EQ(map.insert(address(i), enlist::test::value_for(i)), map_status::ok);

  write_counter counter;
  int fresh_retagged = 0, fresh_overflowing = 0;
  for (std::uint64_t i = 0; i < pairs; ++i) {
    const std::uintptr_t fresh = address(live + i), oldest = address(i);
    counter.take();

    // A fresh key: the claim, the retag unless the slot it took was tagged for it already, and
    // the publishing store; a CAS on an overflow count for each full group it passed.
    ASSERT_EQ(map.insert(fresh, 1), map_status::ok);
    const writes insert = counter.take();
    ASSERT_EQ(insert.stores, 1);
    ASSERT_GE(insert.shared, 1);
    ASSERT_LE(insert.shared, 2 + static_cast<int>(insert.lines.size()) - 1);
    if (insert.lines.size() == 1) {
      ASSERT_LE(insert.shared, 2);
      fresh_retagged += insert.shared == 2;
    } else {
      ++fresh_overflowing;
    }

    ASSERT_EQ(map.insert(fresh, 2), map_status::exists);
    ASSERT_TRUE(map.find(fresh));
    ASSERT_FALSE(map.find(address(8 * live + pairs + i)));
    ASSERT_EQ(map.erase(address(8 * live + pairs + i)).status, map_status::not_found);
    const writes reads = counter.take();
    ASSERT_EQ(reads.shared + reads.stores, 0);

    // An erase: one CAS, on one line unless the key sat past its home group.
    ASSERT_EQ(map.erase(oldest).status, map_status::ok);
    const writes erase = counter.take();
    ASSERT_EQ(erase.stores, 0);
    ASSERT_EQ(erase.shared, static_cast<int>(erase.lines.size()));

    // The same key again, at once: the slot it left is free and tagged for it.
    ASSERT_EQ(map.insert(oldest, 3), map_status::ok);
    const writes revive = counter.take();
    ASSERT_EQ(revive.stores, 1);
    if (erase.lines.size() == 1) {  // it sat in its home group, where its slot waits for it
      ASSERT_EQ(revive.shared, 1);
      ASSERT_EQ(revive.lines.size(), 1u);
    }
    ASSERT_EQ(map.erase(oldest).status, map_status::ok);
    counter.take();
  }
  // Most fresh keys take a slot some other key left, so they retag; few pass a full group.
  EXPECT_GT(fresh_retagged, static_cast<int>(pairs) / 2);
  EXPECT_LT(fresh_overflowing, static_cast<int>(pairs) / 10);
}

}  // namespace
