// The provider base: BeginSession / EndSession with the registry's semantics, reachable from a
// derived provider.

#include "enlist/provider.hpp"

#include <gtest/gtest.h>

#include <map>

#include "support/audited_state.hpp"

namespace {

using namespace enlist;
using enlist::test::state_pool;

class counting_provider : public provider {
 public:
  counting_provider() : provider({.capacity = 2}) {}
  std::size_t enlisted() const { return sessions().size(); }
};

TEST(Provider, BeginAndEndSessionFollowTheContract) {
  state_pool states(3);
  {
    counting_provider p;
    EXPECT_EQ(p.BeginSession(sync_provider_role::source, states.get(0)), S_OK);
    EXPECT_EQ(p.BeginSession(sync_provider_role::destination, states.get(1)), S_OK);
    EXPECT_EQ(p.BeginSession(sync_provider_role::source, states.get(2)), SYNC_E_INVALID_OPERATION);
    EXPECT_EQ(p.enlisted(), 2u);
    EXPECT_EQ(p.EndSession(states.get(2)), SYNC_E_INVALID_OPERATION);
    EXPECT_EQ(p.EndSession(nullptr), E_POINTER);
    EXPECT_EQ(p.EndSession(states.get(0)), S_OK);
    states.get(1)->cancel();
    EXPECT_EQ(p.EndCanceledSessions().count, 1u);
    EXPECT_EQ(p.BeginSession(sync_provider_role::source, states.get(2)), S_OK);
    EXPECT_EQ(p.Shutdown(), S_OK);
    EXPECT_EQ(p.EndSession(states.get(2)), E_ABORT);
  }
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Provider, ForEachSessionListsEverySessionWithItsRole) {
  state_pool states(3);
  {
    provider p;
    ASSERT_EQ(p.BeginSession(sync_provider_role::source, states.get(0)), S_OK);
    ASSERT_EQ(p.BeginSession(sync_provider_role::destination, states.get(1)), S_OK);
    std::map<const session_state*, sync_provider_role> seen;
    const sweep_result r = p.ForEachSession([&](session_state* s, sync_provider_role role) {
      EXPECT_TRUE(seen.emplace(s, role).second) << "visited twice";
    });
    EXPECT_EQ(r.status, S_OK);
    EXPECT_EQ(r.count, 2u);
    EXPECT_EQ(seen.at(states.get(0)), sync_provider_role::source);
    EXPECT_EQ(seen.at(states.get(1)), sync_provider_role::destination);
    EXPECT_EQ(seen.count(states.get(2)), 0u);
  }
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(Provider, DestroyingAProviderEndsItsSessions) {
  state_pool states(2);
  {
    counting_provider p;
    static_cast<void>(p.BeginSession(sync_provider_role::source, states.get(0)));
    static_cast<void>(p.BeginSession(sync_provider_role::destination, states.get(1)));
  }
  EXPECT_EQ(states.audit_failures(), "");
}

}  // namespace
