// Bad input and misuse: a null state, an unknown role, a second begin, an end without begin, the
// end of a state ended long ago (its address possibly reused by a new state), begin racing end on
// one state, and calls after shutdown. Each gets its documented code (docs/contract.md), and the
// reference audit shows that nothing crashes, leaks, is released twice or touched after its
// release.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "enlist/registry.hpp"
#include "enlist/status.hpp"
#include "support/audited_state.hpp"
#include "support/scale.hpp"

namespace {

using enlist::sync_provider_role;
using enlist::test::audited_state;
using enlist::test::reference_audit;
using registry = enlist::basic_registry<enlist::com_state_policy<audited_state>>;

constexpr auto source = sync_provider_role::source;
constexpr auto destination = sync_provider_role::destination;

class RegistryBadInput : public ::testing::Test {
 protected:
  void SetUp() override { reference_audit::reset(); }
  void TearDown() override { EXPECT_TRUE(reference_audit::clean()) << reference_audit::summary(); }
};

TEST_F(RegistryBadInput, NullStateIsRefusedWithEPointer) {
  registry sessions;
  EXPECT_EQ(sessions.begin(source, nullptr), enlist::E_POINTER);
  EXPECT_EQ(sessions.end(nullptr), enlist::E_POINTER);
  EXPECT_FALSE(sessions.role_of(nullptr));
  EXPECT_FALSE(sessions.is_enlisted(nullptr));
  EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(RegistryBadInput, UnknownRoleIsRefusedWithEInvalidArgAndTakesNoReference) {
  registry sessions;
  enlist::test::state_pool states(1);
  for (const std::int32_t role : {2, -1, 0x7fffffff, static_cast<std::int32_t>(0x80000000U)}) {
    EXPECT_EQ(sessions.begin(static_cast<sync_provider_role>(role), states.get(0)),
              enlist::E_INVALIDARG)
        << role;
  }
  EXPECT_EQ(states[0].add_refs(), 0u);
  EXPECT_FALSE(sessions.is_enlisted(states.get(0)));
  EXPECT_EQ(sessions.begin(destination, states.get(0)), enlist::S_OK);  // a valid role still works
  EXPECT_EQ(sessions.end(states.get(0)), enlist::S_OK);
  EXPECT_TRUE(states.balanced()) << states.first_unbalanced();
}

TEST_F(RegistryBadInput, EndWithoutBeginIsInvalidOperationAndTouchesNothing) {
  registry sessions;
  enlist::test::state_pool states(2);
  ASSERT_EQ(sessions.begin(source, states.get(1)), enlist::S_OK);
  EXPECT_EQ(sessions.end(states.get(0)), enlist::SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(sessions.end(states.get(0)), enlist::SYNC_E_INVALIDOPERATION);  // the page's spelling
  EXPECT_EQ(states[0].add_refs() + states[0].releases(), 0u);
  EXPECT_EQ(states[1].registry_refs(), 1);  // the other session is untouched
  EXPECT_EQ(sessions.end(states.get(1)), enlist::S_OK);
  EXPECT_EQ(sessions.end(states.get(1)), enlist::SYNC_E_INVALID_OPERATION);  // ended once only
  EXPECT_TRUE(states.balanced()) << states.first_unbalanced();
}

TEST_F(RegistryBadInput, SecondBeginIsRefusedAndTakesNoReference) {
  registry sessions;
  enlist::test::state_pool states(1);
  ASSERT_EQ(sessions.begin(source, states.get(0)), enlist::S_OK);
  EXPECT_EQ(sessions.begin(source, states.get(0)), enlist::SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(sessions.begin(destination, states.get(0)), enlist::SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(sessions.role_of(states.get(0)), source);  // the first begin's role stays
  EXPECT_EQ(states[0].registry_refs(), 1);
  EXPECT_EQ(sessions.end(states.get(0)), enlist::S_OK);
  EXPECT_TRUE(states.balanced()) << states.first_unbalanced();
}

TEST_F(RegistryBadInput, AtCapacityBeginIsRefusedAndTakesNoReference) {
  registry sessions({.capacity = 1});
  enlist::test::state_pool states(2);
  ASSERT_EQ(sessions.begin(source, states.get(0)), enlist::S_OK);
  EXPECT_EQ(sessions.begin(source, states.get(1)), enlist::SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(states[1].add_refs(), states[1].releases());
  EXPECT_EQ(states[1].registry_refs(), 0);
  ASSERT_EQ(sessions.end(states.get(0)), enlist::S_OK);
  EXPECT_EQ(sessions.begin(source, states.get(1)), enlist::S_OK);  // room again
  EXPECT_EQ(sessions.end(states.get(1)), enlist::S_OK);
  EXPECT_TRUE(states.balanced()) << states.first_unbalanced();
}

// A provider ends a state, the state is destroyed, the table migrates several times, and the
// provider calls end with the stale pointer again; later the allocator hands the same address to
// a new state. The registry must neither touch the destroyed state nor mistake the new one for an
// enlisted session.
TEST_F(RegistryBadInput, EndOfAStateEndedLongAgoIsRefusedEvenWhenItsAddressIsReused) {
  registry sessions;
  enlist::test::state_pool old_state(1);
  enlist::test::state_pool churn(20'000);
  audited_state* const address = old_state.get(0);
  ASSERT_EQ(sessions.begin(source, address), enlist::S_OK);
  ASSERT_EQ(sessions.end(address), enlist::S_OK);
  address->release_creator();
  ASSERT_TRUE(address->destroyed());
  for (std::size_t i = 0; i < churn.size(); ++i) {  // grows the map and migrates it
    ASSERT_EQ(sessions.begin(destination, churn.get(i)), enlist::S_OK);
  }
  for (std::size_t i = 0; i < churn.size(); ++i)
    ASSERT_EQ(sessions.end(churn.get(i)), enlist::S_OK);

  EXPECT_EQ(sessions.end(address), enlist::SYNC_E_INVALID_OPERATION);  // the destroyed state
  EXPECT_FALSE(sessions.role_of(address));
  address->revive();  // a new state at the same address
  EXPECT_EQ(sessions.end(address), enlist::SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(address->add_refs() + address->releases(), 0u) << "the new state was touched";
  ASSERT_EQ(sessions.begin(destination, address), enlist::S_OK);  // it is a session of its own
  EXPECT_EQ(sessions.role_of(address), destination);
  ASSERT_EQ(sessions.end(address), enlist::S_OK);
  EXPECT_EQ(address->add_refs(), 1u);
  EXPECT_EQ(address->releases(), 1u);
  EXPECT_TRUE(old_state.balanced()) << old_state.first_unbalanced();
  EXPECT_TRUE(churn.balanced()) << churn.first_unbalanced();
}

// Threads hammer begin and end on one state. Exactly one begin and one end win at a time, so
// successful begins and ends alternate, and every reference taken is released exactly once.
TEST_F(RegistryBadInput, BeginRacingEndOnOneStateReleasesEveryReferenceExactlyOnce) {
  enlist::test::state_pool states(1);
  audited_state* const state = states.get(0);
  std::atomic<std::int64_t> begun{0}, ended{0}, other{0};
  {
    registry sessions;
    const std::size_t rounds = enlist::test::scaled(200'000, 10);
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (std::size_t i = 0; i < rounds; ++i) {
          const enlist::hresult b = sessions.begin(t % 2 == 0 ? source : destination, state);
          if (b == enlist::S_OK) {
            begun.fetch_add(1);
          } else if (b != enlist::SYNC_E_INVALID_OPERATION) {
            other.fetch_add(1);
          }
          const enlist::hresult e = sessions.end(state);
          if (e == enlist::S_OK) {
            ended.fetch_add(1);
          } else if (e != enlist::SYNC_E_INVALID_OPERATION) {
            other.fetch_add(1);
          }
        }
      });
    }
    for (std::thread& thread : threads)
      thread.join();
    EXPECT_EQ(other.load(), 0) << "a call returned neither S_OK nor SYNC_E_INVALID_OPERATION";
    const std::int64_t enlisted = sessions.is_enlisted(state) ? 1 : 0;
    EXPECT_EQ(begun.load() - ended.load(), enlisted);
    EXPECT_EQ(state->registry_refs(), enlisted);
    EXPECT_GT(begun.load(), 1) << "the state was never re-enlisted";
  }
  EXPECT_TRUE(states.balanced()) << states.first_unbalanced();  // the destructor ended the rest
}

TEST_F(RegistryBadInput, CallsAfterShutdownReturnEAbortAndEverySessionIsReleased) {
  enlist::test::state_pool states(100);
  registry sessions;
  for (std::size_t i = 0; i < 90; ++i)
    ASSERT_EQ(sessions.begin(source, states.get(i)), enlist::S_OK);
  ASSERT_EQ(sessions.shutdown(), enlist::S_OK);
  EXPECT_TRUE(states.balanced()) << states.first_unbalanced();  // released at shutdown
  EXPECT_EQ(sessions.size(), 0u);
  EXPECT_EQ(sessions.begin(source, states.get(95)), enlist::E_ABORT);
  EXPECT_EQ(states[95].add_refs(), 0u);
  EXPECT_EQ(sessions.end(states.get(0)), enlist::E_ABORT);
  EXPECT_EQ(sessions.end(states.get(95)), enlist::E_ABORT);
  EXPECT_EQ(sessions.begin(source, nullptr), enlist::E_ABORT);
  EXPECT_EQ(sessions.end_all().status, enlist::E_ABORT);
  EXPECT_EQ(sessions.end_canceled().status, enlist::E_ABORT);
  EXPECT_EQ(sessions.for_each([](audited_state*, sync_provider_role) {}).status, enlist::E_ABORT);
  EXPECT_EQ(sessions.shutdown(), enlist::E_ABORT);
  EXPECT_TRUE(sessions.is_shut_down());
  EXPECT_TRUE(states.balanced()) << states.first_unbalanced();
}

// Shutdown while threads keep beginning and ending their own states: whatever each call
// answered, once shutdown has returned and the threads have stopped, no session is left enlisted
// and no reference is held.
TEST_F(RegistryBadInput, ShutdownRacingBeginsLeavesNoSessionBehind) {
  constexpr unsigned threads = 8;
  constexpr std::size_t per_thread = 500;
  std::size_t raced = 0;  // rounds in which shutdown landed in the middle of the begins
  for (std::size_t round = 0; round < enlist::test::scaled(20, 4); ++round) {
    enlist::test::state_pool states(threads * per_thread);
    registry sessions;
    std::atomic<std::uint64_t> unexpected{0}, accepted{0}, aborted{0};
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (std::size_t i = 0; i < per_thread; ++i) {
          audited_state* s = states.get(t * per_thread + i);
          const enlist::hresult b = sessions.begin(source, s);
          (b == enlist::S_OK ? accepted : b == enlist::E_ABORT ? aborted : unexpected).fetch_add(1);
          if (i % 2 == 0) {
            const enlist::hresult e = sessions.end(s);
            // S_OK, or E_ABORT after shutdown, or invalid when shutdown ended it first.
            if (e != enlist::S_OK && e != enlist::E_ABORT &&
                e != enlist::SYNC_E_INVALID_OPERATION) {
              unexpected.fetch_add(1);
            }
          }
        }
      });
    }
    // Shut down once a share of the begins went through that grows with the round, so that it
    // lands among them whatever the machine's speed (a fixed sleep let every begin finish
    // first on a fast one).
    const std::uint64_t share = threads * per_thread * (round % 4 + 1) / 6;
    while (accepted.load() + aborted.load() + unexpected.load() < share)
      std::this_thread::yield();
    ASSERT_EQ(sessions.shutdown(), enlist::S_OK);
    for (std::thread& w : workers)
      w.join();
    EXPECT_EQ(unexpected.load(), 0u);
    EXPECT_EQ(sessions.size(), 0u) << "round " << round;
    ASSERT_TRUE(states.balanced()) << "round " << round << ": " << states.first_unbalanced();
    if (accepted.load() > 0 && aborted.load() > 0) ++raced;
  }
  EXPECT_GT(raced, 0u) << "shutdown never overlapped the begins";
}

TEST_F(RegistryBadInput, EndCanceledEndsOnlyCanceledSessionsAndReleasesEachOnce) {
  enlist::test::state_pool states(50);
  registry sessions;
  for (std::size_t i = 0; i < states.size(); ++i) {
    ASSERT_EQ(sessions.begin(source, states.get(i)), enlist::S_OK);
    if (i % 3 == 0) states[i].cancel();
  }
  const auto swept = sessions.end_canceled();
  EXPECT_EQ(swept.status, enlist::S_OK);
  EXPECT_EQ(swept.count, 17u);
  for (std::size_t i = 0; i < states.size(); ++i) {
    EXPECT_EQ(sessions.is_enlisted(states.get(i)), i % 3 != 0) << i;
    EXPECT_EQ(states[i].registry_refs(), i % 3 != 0 ? 1 : 0) << i;
  }
  EXPECT_EQ(sessions.end_all().count, 33u);
  EXPECT_TRUE(states.balanced()) << states.first_unbalanced();
}

}  // namespace
