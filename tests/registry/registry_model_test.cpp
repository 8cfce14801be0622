// Random sequences of registry calls, single-threaded, checked call by call against a sequential
// model of the contract: status codes, roles, sizes and the references each state holds.

#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <random>

#include "enlist/registry.hpp"
#include "support/audited_state.hpp"
#include "support/scale.hpp"

namespace {

using namespace enlist;
using enlist::test::state_pool;
using role = sync_provider_role;

// The contract, sequentially: which states are enlisted in which role.
struct model {
  std::size_t capacity = registry_options::unlimited;
  bool shut_down = false;
  std::map<std::size_t, role> enlisted;

  hresult begin(std::size_t i, role r, bool null_state) {
    if (shut_down) return E_ABORT;
    if (null_state) return E_POINTER;
    if (r != role::source && r != role::destination) return E_INVALIDARG;
    if (enlisted.contains(i) || enlisted.size() >= capacity) return SYNC_E_INVALID_OPERATION;
    enlisted.emplace(i, r);
    return S_OK;
  }
  hresult end(std::size_t i, bool null_state) {
    if (shut_down) return E_ABORT;
    if (null_state) return E_POINTER;
    return enlisted.erase(i) == 1 ? S_OK : SYNC_E_INVALID_OPERATION;
  }
};

void run_random_sequence(std::uint32_t seed, std::size_t capacity) {
  SCOPED_TRACE(::testing::Message() << "seed " << seed << ", capacity " << capacity);
  std::mt19937 rng(seed);
  state_pool states(24);
  model expected;
  expected.capacity = capacity;
  {
    registry sessions({.capacity = capacity});
    std::map<const session_state*, std::size_t> index_of;
    for (std::size_t i = 0; i < states.size(); ++i)
      index_of.emplace(states.get(i), i);
    auto pick = [&] {
      return std::uniform_int_distribution<std::size_t>(0, states.size() - 1)(rng);
    };
    auto chance = [&](int percent) {
      return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
    };
    const std::size_t steps = enlist::test::scaled(2000, 4);
    for (std::size_t step = 0; step < steps; ++step) {
      const std::size_t i = pick();
      const bool null_state = chance(3);
      auto* state = null_state ? nullptr : states.get(i);
      switch (std::uniform_int_distribution<int>(0, 9)(rng)) {
        case 0:
        case 1:
        case 2:
        case 3: {
          const auto r = static_cast<role>(chance(5) ? 2 : (chance(50) ? 0 : 1));
          ASSERT_EQ(sessions.begin(r, state), expected.begin(i, r, null_state)) << "step " << step;
          break;
        }
        case 4:
        case 5:
        case 6:
          ASSERT_EQ(sessions.end(state), expected.end(i, null_state)) << "step " << step;
          break;
        case 7: {
          if (!null_state && !states.get(i)->IsCanceled()) states.get(i)->cancel();
          if (!chance(30)) break;
          std::size_t canceled = 0;
          for (auto it = expected.enlisted.begin(); it != expected.enlisted.end();) {
            if (states.get(it->first)->IsCanceled()) {
              it = expected.enlisted.erase(it);
              ++canceled;
            } else {
              ++it;
            }
          }
          const sweep_result r = sessions.end_canceled();
          ASSERT_EQ(r.status, expected.shut_down ? E_ABORT : S_OK);
          ASSERT_EQ(r.count, canceled);
          break;
        }
        case 8: {
          if (chance(90)) {
            ASSERT_EQ(sessions.is_enlisted(state), !null_state && expected.enlisted.contains(i));
            const auto found = expected.enlisted.find(i);
            ASSERT_EQ(sessions.role_of(state), null_state || found == expected.enlisted.end()
                                                   ? std::nullopt
                                                   : std::optional<role>(found->second));
          } else {
            const sweep_result r = sessions.end_all();
            ASSERT_EQ(r.status, expected.shut_down ? E_ABORT : S_OK);
            ASSERT_EQ(r.count, expected.enlisted.size());
            expected.enlisted.clear();
          }
          break;
        }
        case 9:
          if (chance(2)) {
            ASSERT_EQ(sessions.shutdown(), expected.shut_down ? E_ABORT : S_OK);
            expected.shut_down = true;
            expected.enlisted.clear();
          } else {
            std::size_t visited = 0;
            static_cast<void>(sessions.for_each([&](session_state* s, role r) {
              ++visited;
              const auto found = expected.enlisted.find(index_of.at(s));
              ASSERT_NE(found, expected.enlisted.end()) << "visited a session not enlisted";
              EXPECT_EQ(found->second, r);
            }));
            ASSERT_EQ(visited, expected.shut_down ? 0 : expected.enlisted.size());
          }
          break;
      }
      ASSERT_EQ(sessions.size(), expected.enlisted.size());
      ASSERT_EQ(states.registry_references(), expected.enlisted.size());
    }
  }
  EXPECT_EQ(states.audit_failures(), "");
}

TEST(RegistryModel, RandomSequencesFollowTheSequentialContract) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    run_random_sequence(seed, seed % 4 == 0 ? 3 : registry_options::unlimited);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
