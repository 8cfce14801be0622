// Every rule of the session contract, one call at a time, with audited states: each test ends
// by checking that every reference the registry took was released exactly once.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

#include "enlist/registry.hpp"
#include "support/audited_state.hpp"
#include "support/counting_resource.hpp"
#include "support/recording_resource.hpp"
#include "support/scale.hpp"

namespace {

using namespace enlist;
using enlist::test::state_pool;
using role = sync_provider_role;

TEST(Registry, BeginTakesOneReferenceAndEndReleasesIt) {
  state_pool states(1);
  registry sessions;
  ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
  EXPECT_EQ(states.get(0)->refs(), 2u);
  EXPECT_TRUE(sessions.is_enlisted(states.get(0)));
  EXPECT_EQ(sessions.size(), 1u);
  ASSERT_EQ(sessions.end(states.get(0)), S_OK);
  EXPECT_EQ(states.get(0)->refs(), 1u);
  EXPECT_FALSE(sessions.is_enlisted(states.get(0)));
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, EndWithoutBeginIsAnInvalidOperationAndTouchesNoReference) {
  state_pool states(1);
  registry sessions;
  EXPECT_EQ(sessions.end(states.get(0)), SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(states.add_refs() + states.releases(), 0u);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, SecondEndIsAnInvalidOperation) {
  state_pool states(1);
  registry sessions;
  ASSERT_EQ(sessions.begin(role::destination, states.get(0)), S_OK);
  ASSERT_EQ(sessions.end(states.get(0)), S_OK);
  EXPECT_EQ(sessions.end(states.get(0)), SYNC_E_INVALIDOPERATION);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, EndMissWritesNoByteOfTheRegistryOrItsMap) {
  enlist::test::recording_resource resource;
  state_pool states(2);
  registry sessions({.expected_sessions = 16, .resource = &resource});
  ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
  const auto blocks_before = resource.snapshot();
  std::vector<std::byte> object_before(sizeof(sessions));
  std::memcpy(object_before.data(), static_cast<const void*>(&sessions), sizeof(sessions));
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(sessions.end(states.get(1)), SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(resource.snapshot(), blocks_before);
  EXPECT_EQ(
      std::memcmp(object_before.data(), static_cast<const void*>(&sessions), sizeof(sessions)), 0);
  ASSERT_EQ(sessions.end(states.get(0)), S_OK);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, NullStateIsAPointerError) {
  registry sessions;
  EXPECT_EQ(sessions.begin(role::source, nullptr), E_POINTER);
  EXPECT_EQ(sessions.end(nullptr), E_POINTER);
  EXPECT_FALSE(sessions.is_enlisted(nullptr));
  EXPECT_EQ(sessions.role_of(nullptr), std::nullopt);
}

TEST(Registry, RoleOtherThanSourceOrDestinationIsAnInvalidArgument) {
  state_pool states(1);
  registry sessions;
  EXPECT_EQ(sessions.begin(static_cast<role>(2), states.get(0)), E_INVALIDARG);
  EXPECT_EQ(sessions.begin(static_cast<role>(-1), states.get(0)), E_INVALIDARG);
  EXPECT_FALSE(sessions.is_enlisted(states.get(0)));
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, BeginOfAnEnlistedStateIsRefusedAndTakesNoReference) {
  state_pool states(1);
  registry sessions;
  ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
  const auto add_refs = states.add_refs();
  EXPECT_EQ(sessions.begin(role::destination, states.get(0)), SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(states.add_refs(), add_refs);
  EXPECT_EQ(sessions.role_of(states.get(0)), role::source);
  ASSERT_EQ(sessions.end(states.get(0)), S_OK);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, RoleOfReportsTheRoleOfEachSession) {
  state_pool states(2);
  registry sessions;
  ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
  ASSERT_EQ(sessions.begin(role::destination, states.get(1)), S_OK);
  EXPECT_EQ(sessions.role_of(states.get(0)), role::source);
  EXPECT_EQ(sessions.role_of(states.get(1)), role::destination);
  static_cast<void>(sessions.end_all());
  EXPECT_EQ(sessions.role_of(states.get(0)), std::nullopt);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, CapacityOneIsTheOneSessionPerProviderRule) {
  state_pool states(2);
  registry sessions({.capacity = 1});
  EXPECT_EQ(sessions.capacity(), 1u);
  ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
  EXPECT_EQ(sessions.begin(role::source, states.get(1)), SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(states.get(1)->refs(), 1u);
  ASSERT_EQ(sessions.end(states.get(0)), S_OK);
  EXPECT_EQ(sessions.begin(role::source, states.get(1)), S_OK);
  ASSERT_EQ(sessions.end(states.get(1)), S_OK);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, RefusedBeginsDoNotUseUpCapacity) {
  state_pool states(3);
  registry sessions({.capacity = 2});
  ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(sessions.begin(role::source, states.get(0)), SYNC_E_INVALID_OPERATION);
    ASSERT_EQ(sessions.begin(static_cast<role>(7), states.get(1)), E_INVALIDARG);
  }
  EXPECT_EQ(sessions.begin(role::source, states.get(1)), S_OK);
  EXPECT_EQ(sessions.begin(role::source, states.get(2)), SYNC_E_INVALID_OPERATION);
  static_cast<void>(sessions.end_all());
  EXPECT_EQ(states.audit_failures(), "");
}

// A pointer at an odd address (a bad cast, a corrupted handle) is refused before the registry
// touches the state: nothing is taken, so nothing is released.
TEST(Registry, AStateAtAnOddAddressIsRefusedUntouched) {
  state_pool states(1);
  registry sessions;
  ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
  alignas(session_state) static unsigned char raw[2 * sizeof(void*)];
  auto* odd = reinterpret_cast<session_state*>(raw + 1);
  EXPECT_EQ(sessions.begin(role::source, odd), E_INVALIDARG);
  EXPECT_FALSE(sessions.is_enlisted(odd));
  EXPECT_EQ(sessions.end(odd), E_INVALIDARG);
  EXPECT_EQ(sessions.end_canceled().count, 0U);
  EXPECT_EQ(sessions.size(), 1U);
  static_cast<void>(sessions.end_all());
  EXPECT_EQ(states.audit_failures(), "");
}

// An address at 2^56 and above (a pointer with a tag in its top byte, or garbage) has no room
// in the map's cells: refused before the state is touched (dereferencing it would fault here),
// never truncated onto another session's key.
TEST(Registry, AStateAboveTheAddressRangeIsRefusedUntouched) {
  if constexpr (sizeof(std::uintptr_t) > 4) {
    state_pool states(1);
    registry sessions;
    ASSERT_EQ(sessions.begin(role::source, states.get(0)), S_OK);
    const auto plain = reinterpret_cast<std::uintptr_t>(states.get(0));
    auto* tagged = reinterpret_cast<session_state*>(plain | (std::uintptr_t{0xb4} << 56));
    EXPECT_EQ(sessions.begin(role::destination, tagged), E_INVALIDARG);
    EXPECT_FALSE(sessions.is_enlisted(tagged));
    EXPECT_EQ(sessions.end(tagged), E_INVALIDARG);
    EXPECT_EQ(sessions.role_of(states.get(0)), role::source);
    EXPECT_EQ(sessions.size(), 1U);
    EXPECT_EQ(sessions.end(states.get(0)), S_OK);
    EXPECT_EQ(states.audit_failures(), "");
  }
}

TEST(Registry, BeginThatCannotGrowTheMapIsOutOfMemoryAndLosesNothing) {
  enlist::test::counting_resource resource;
  state_pool states(1000);
  registry sessions({.resource = &resource});
  resource.fail_allocations(true);
  std::size_t begun = 0;
  hresult last = S_OK;
  for (std::size_t i = 0; i < states.size() && last == S_OK; ++i) {
    last = sessions.begin(role::source, states.get(i));
    if (last == S_OK) ++begun;
  }
  EXPECT_EQ(last, E_OUTOFMEMORY);
  EXPECT_EQ(states.get(begun)->refs(), 1u) << "the refused begin must drop its reference";
  for (std::size_t i = 0; i < begun; ++i)
    EXPECT_TRUE(sessions.is_enlisted(states.get(i)));
  resource.fail_allocations(false);
  EXPECT_EQ(sessions.begin(role::source, states.get(begun)), S_OK);
  EXPECT_EQ(sessions.end_all().count, begun + 1);
  EXPECT_EQ(states.audit_failures(), "");
}

// A sweep that hands states to its caller first finishes a running migration of the map, so that
// one table holds every session and each is visited once. When memory runs out before it can,
// the sweep refuses and visits nothing. An end of a session the migration has not moved yet may
// need room it cannot get either: end_all and shutdown say so and leave that session enlisted,
// and the destructor, which needs no room, releases it.
TEST(Registry, SweepsThatCannotFinishAMigrationSaySoAndTheDestructorReleasesWhatTheyLeft) {
  enlist::test::counting_resource resource;
  const std::size_t burst = enlist::test::scaled(200'000, 4), survivors = 20, spare = 4096;
  state_pool states(burst + 1 + spare);
  {
    registry sessions({.resource = &resource});
    for (std::size_t i = 0; i < burst; ++i)
      ASSERT_EQ(sessions.begin(role::source, states.get(i)), S_OK);
    for (std::size_t i = survivors; i < burst; ++i)
      ASSERT_EQ(sessions.end(states.get(i)), S_OK);
    ASSERT_EQ(sessions.for_each([](session_state*, role) {}).count, survivors);  // grown
    // Churn of one session until housekeeping starts shrinking the emptied table.
    for (int i = 0; i < 300; ++i) {
      ASSERT_EQ(sessions.begin(role::source, states.get(burst)), S_OK);
      ASSERT_EQ(sessions.end(states.get(burst)), S_OK);
    }
    // New sessions fill the small successor before its predecessor is copied into it, and the
    // table that would take the overflow cannot be allocated.
    resource.fail_allocations(true);
    std::size_t begun = survivors;
    hresult last = S_OK;
    for (std::size_t i = burst + 1; i < states.size() && last == S_OK; ++i) {
      last = sessions.begin(role::destination, states.get(i));
      if (last == S_OK) ++begun;
    }
    ASSERT_EQ(last, E_OUTOFMEMORY) << "the premise: memory ran out mid-migration";
    states.get(0)->cancel();
    bool visited = false;
    const sweep_result swept = sessions.for_each([&](session_state*, role) { visited = true; });
    EXPECT_EQ(swept.status, E_OUTOFMEMORY);
    EXPECT_EQ(swept.count, 0u);
    EXPECT_FALSE(visited);
    EXPECT_EQ(sessions.end_canceled().status, E_OUTOFMEMORY);
    EXPECT_TRUE(sessions.is_enlisted(states.get(0))) << "a refused sweep ends nothing";
    const sweep_result ended = sessions.end_all();
    EXPECT_EQ(ended.status, E_OUTOFMEMORY) << "the premise: an end found no room";
    EXPECT_LT(ended.count, begun);
    EXPECT_EQ(sessions.size(), begun - ended.count);
    EXPECT_EQ(sessions.shutdown(), E_OUTOFMEMORY);
    EXPECT_TRUE(sessions.is_shut_down());
  }
  EXPECT_EQ(states.audit_failures(), "");
  resource.fail_allocations(false);
}

TEST(Registry, ForEachVisitsEverySessionWithItsRole) {
  state_pool states(100);
  registry sessions;
  for (std::size_t i = 0; i < states.size(); ++i) {
    ASSERT_EQ(sessions.begin(i % 2 == 0 ? role::source : role::destination, states.get(i)), S_OK);
  }
  std::map<const session_state*, role> seen;
  const sweep_result r = sessions.for_each([&](session_state* s, role rl) {
    static_cast<enlist::test::audited_state*>(s)->touch();
    EXPECT_TRUE(seen.emplace(s, rl).second) << "visited twice";
  });
  EXPECT_EQ(r.status, S_OK);
  EXPECT_EQ(r.count, states.size());
  for (std::size_t i = 0; i < states.size(); ++i) {
    EXPECT_EQ(seen.at(states.get(i)), i % 2 == 0 ? role::source : role::destination);
  }
  static_cast<void>(sessions.end_all());
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, ACallbackMayEndTheSessionItWasHandedAndTheStateStaysAliveUntilItReturns) {
  enlist::test::reference_audit::reset();
  // The registry holds the only reference: the end inside the callback is the last owner.
  auto* state = new enlist::test::audited_state;
  registry sessions;
  ASSERT_EQ(sessions.begin(role::source, state), S_OK);
  state->Release();  // now only the registry's reference keeps it
  ASSERT_FALSE(state->destroyed());
  static_cast<void>(sessions.for_each([&](session_state* s, role) {
    EXPECT_EQ(sessions.end(s), S_OK);
    EXPECT_FALSE(static_cast<enlist::test::audited_state*>(s)->destroyed())
        << "released while the callback still runs";
  }));
  EXPECT_TRUE(state->destroyed())
      << "the handed-over release must happen by the time the sweep returns";
  EXPECT_TRUE(enlist::test::reference_audit::clean()) << enlist::test::reference_audit::summary();
  EXPECT_EQ(state->add_refs() + 1, state->releases());
  delete state;
}

TEST(Registry, EndIfEndsExactlyTheMatchingSessions) {
  state_pool states(50);
  registry sessions;
  for (std::size_t i = 0; i < states.size(); ++i) {
    ASSERT_EQ(sessions.begin(role::source, states.get(i)), S_OK);
    if (i % 5 == 0) states.get(i)->cancel();
  }
  const sweep_result r = sessions.end_canceled();
  EXPECT_EQ(r.status, S_OK);
  EXPECT_EQ(r.count, 10u);
  for (std::size_t i = 0; i < states.size(); ++i) {
    EXPECT_EQ(sessions.is_enlisted(states.get(i)), i % 5 != 0);
  }
  EXPECT_EQ(sessions.end_if([](const session_state*) { return true; }).count, 40u);
  EXPECT_EQ(sessions.size(), 0u);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, AThrowingCallbackStopsTheSweepAndLosesNoReference) {
  state_pool states(10);
  registry sessions;
  for (std::size_t i = 0; i < states.size(); ++i)
    static_cast<void>(sessions.begin(role::source, states.get(i)));
  EXPECT_THROW(static_cast<void>(sessions.for_each([&](session_state* s, role) {
                 static_cast<void>(sessions.end(
                     s));  // the release is handed to the sweep, which must still perform it
                 throw std::runtime_error("callback failed");
               })),
               std::runtime_error);
  EXPECT_EQ(sessions.size(), 9u);
  EXPECT_EQ(states.registry_references(), 9u);
  EXPECT_EQ(sessions.end_all().count, 9u);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, EndAllEndsEverySession) {
  state_pool states(300);
  registry sessions;
  for (std::size_t i = 0; i < states.size(); ++i)
    static_cast<void>(sessions.begin(role::source, states.get(i)));
  const sweep_result r = sessions.end_all();
  EXPECT_EQ(r.status, S_OK);
  EXPECT_EQ(r.count, states.size());
  EXPECT_EQ(sessions.size(), 0u);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, AfterShutdownEveryCallIsAborted) {
  state_pool states(3);
  registry sessions;
  static_cast<void>(sessions.begin(role::source, states.get(0)));
  static_cast<void>(sessions.begin(role::destination, states.get(1)));
  ASSERT_EQ(sessions.shutdown(), S_OK);
  EXPECT_TRUE(sessions.is_shut_down());
  EXPECT_EQ(sessions.size(), 0u);
  EXPECT_EQ(states.audit_failures(), "");
  EXPECT_EQ(sessions.begin(role::source, states.get(2)), E_ABORT);
  EXPECT_EQ(sessions.end(states.get(0)), E_ABORT);
  EXPECT_EQ(sessions.end(nullptr), E_ABORT);
  EXPECT_EQ(sessions.end_all().status, E_ABORT);
  EXPECT_EQ(sessions.end_canceled().status, E_ABORT);
  EXPECT_EQ(sessions.for_each([](session_state*, role) {}).status, E_ABORT);
  EXPECT_EQ(sessions.shutdown(), E_ABORT);
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Registry, DestructorEndsEverySession) {
  state_pool states(20);
  {
    registry sessions;
    for (std::size_t i = 0; i < states.size(); ++i)
      static_cast<void>(sessions.begin(role::source, states.get(i)));
  }
  EXPECT_EQ(states.audit_failures(), "");
}

// A provider's own state type, adapted without inheriting from enlist::session_state.
struct sync_job {
  int refs = 1;
  bool stop = false;
};
struct sync_job_policy {
  using state_type = sync_job;
  static void add_ref(sync_job* j) noexcept { ++j->refs; }
  static void release(sync_job* j) noexcept { --j->refs; }
  static bool is_canceled(const sync_job* j) noexcept { return j->stop; }
};

TEST(Registry, ServesAProviderTypeThroughItsPolicy) {
  std::vector<sync_job> jobs(4);
  basic_registry<sync_job_policy> sessions;
  for (auto& j : jobs)
    ASSERT_EQ(sessions.begin(role::destination, &j), S_OK);
  EXPECT_EQ(jobs[0].refs, 2);
  jobs[1].stop = true;
  EXPECT_EQ(sessions.end_canceled().count, 1u);
  EXPECT_EQ(jobs[1].refs, 1);
  EXPECT_EQ(sessions.end(&jobs[0]), S_OK);
  EXPECT_EQ(sessions.end(&jobs[0]), SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(sessions.end_all().count, 2u);
  for (const auto& j : jobs)
    EXPECT_EQ(j.refs, 1);
}

}  // namespace
