#include <gtest/gtest.h>

#include "enlist/concurrent_map.hpp"

namespace {

using enlist::concurrent_map;
using enlist::map_status;

TEST(ConcurrentMap, InsertThenFindReturnsTheValue) {
  concurrent_map map;
  EXPECT_EQ(map.insert(0x1000, 7), map_status::ok);
  const auto found = map.find(0x1000);
  ASSERT_TRUE(found);
  EXPECT_EQ(found.value, 7u);
}

}  // namespace
