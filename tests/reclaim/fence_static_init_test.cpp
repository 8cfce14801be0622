// The asymmetric fence pair is sound only if both sides run in the same mode (process barrier,
// or full fences: reclaim/asymmetric_fence.hpp). A map used from another translation unit's
// static initialiser, before the library's own initialisers may have run, must already run in
// the mode every later fence runs in: the first fence decides it, once.

#include <gtest/gtest.h>

#include "enlist/reclaim/asymmetric_fence.hpp"
#include "reclaim/fence_static_init_user.hpp"

namespace {

TEST(FenceStaticInit, AMapUsedBeforeMainRanInTheModeOfEveryLaterFence) {
  const enlist::test::static_init_use& use = enlist::test::map_use_before_main();
  ASSERT_TRUE(use.ran) << "the static initialiser did not run before main";
  EXPECT_TRUE(use.all_found);
  EXPECT_GT(use.migrations, 0U) << "the premise: the map migrated and retired tables";
  EXPECT_GT(use.heavy_fences, 0U) << "the premise: freeing them issued heavy fences";
  EXPECT_EQ(use.process_barrier, enlist::reclaim::uses_process_barrier())
      << "the fence mode changed after the static initialiser used the map";
}

}  // namespace
