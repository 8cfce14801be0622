// The registry's rows of the cost model (registry.hpp, COST MODEL): what a begin and an end
// write that another thread may also write, beyond the map's own cell, on the build that
// reports every write to the library's atomics (support/write_counter.hpp). The state's
// reference count is the provider's memory, not the registry's, and is not counted here.

#include <gtest/gtest.h>

#include <cstddef>

#include "enlist/registry.hpp"
#include "support/audited_state.hpp"
#include "support/write_counter.hpp"

namespace {

using namespace enlist;
using enlist::test::state_pool;
using enlist::test::write_counter;
using enlist::test::writes;
using role = sync_provider_role;

// Begins and ends of fresh sessions around 1,000 live ones, in a registry sized for them.
void expect_costs(registry_options options, int admission) {
  constexpr std::size_t live = 1000, fresh = 4000;
  state_pool states(live + fresh);
  options.expected_sessions = 4 * (live + fresh);  // no migration in the loop
  registry sessions(options);
  for (std::size_t i = 0; i < live; ++i)
    ASSERT_EQ(sessions.begin(role::source, states.get(i)), S_OK);
  write_counter counter;
  for (std::size_t i = live; i < live + fresh; ++i) {
    counter.take();
    ASSERT_EQ(sessions.begin(role::destination, states.get(i)), S_OK);
    const writes begin = counter.take();
    EXPECT_EQ(begin.shared, 1 + admission) << "begin: the cell's CAS, and the admission count";
    EXPECT_EQ(begin.stores, 1) << "begin: the caller's counter stripe";

    ASSERT_EQ(sessions.begin(role::destination, states.get(i)), SYNC_E_INVALID_OPERATION);
    const writes duplicate = counter.take();
    EXPECT_EQ(duplicate.shared + duplicate.stores, 0)
        << "a duplicate begin wrote something shared (a limited registry's admission count?)";

    ASSERT_TRUE(sessions.is_enlisted(states.get(i)));
    const writes lookup = counter.take();
    EXPECT_EQ(lookup.shared + lookup.stores, 0);

    ASSERT_EQ(sessions.end(states.get(i)), S_OK);
    const writes end = counter.take();
    EXPECT_EQ(end.shared, 1 + admission) << "end: the cell's CAS, and the admission count";
    EXPECT_EQ(end.stores, 1);

    ASSERT_EQ(sessions.end(states.get(i)), SYNC_E_INVALID_OPERATION);
    const writes miss = counter.take();
    EXPECT_EQ(miss.shared + miss.stores, 0) << "an end without a begin wrote something shared";
    if (testing::Test::HasFailure()) return;
  }
  static_cast<void>(sessions.end_all());
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(RegistryCostModel, BeginAndEndWriteOneSharedWordEach) {
  expect_costs({}, 0);
}

TEST(RegistryCostModel, ALimitedRegistryAddsItsAdmissionCount) {
  expect_costs({.capacity = 100'000}, 1);
}

TEST(RegistryCostModel, ABeginRefusedAtCapacityWritesNothingShared) {
  state_pool states(3);
  registry sessions({.capacity = 2});
  ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
  ASSERT_EQ(sessions.begin(role::source, states.get(1)), S_OK);
  write_counter counter;
  counter.take();
  ASSERT_EQ(sessions.begin(role::source, states.get(2)), SYNC_E_INVALID_OPERATION);
  const writes refused = counter.take();
  EXPECT_EQ(refused.shared + refused.stores, 0) << "a begin refused at capacity wrote";
  ASSERT_EQ(sessions.end(states.get(0)), S_OK);
  counter.take();
  ASSERT_EQ(sessions.begin(role::source, states.get(2)), S_OK) << "a freed place is taken again";
  EXPECT_EQ(counter.take().shared, 2) << "the cell's CAS and the admission count";
  static_cast<void>(sessions.end_all());
  EXPECT_EQ(states.audit_failures(), "");
}

}  // namespace
