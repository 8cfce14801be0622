#pragma once
// A parameterised test that switches one planted bug (detail/planted_bug.hpp) on for its
// duration: the checker under test must then report a violation. Scheduled builds only: bugs
// are planted nowhere else.

#include <gtest/gtest.h>

#include "enlist/detail/planted_bug.hpp"

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)

namespace enlist::test {

class planted_bug_test : public testing::TestWithParam<enlist::detail::planted_bug> {
 protected:
  void SetUp() override { enlist::detail::planted_bug_in_effect = GetParam(); }
  void TearDown() override {
    enlist::detail::planted_bug_in_effect = enlist::detail::planted_bug::none;
  }
};

}  // namespace enlist::test

#endif
