// Sweeps hand live states to user code while ends race to release them
// (detail/sweep_protection.hpp): a state a sweep's callback is looking at must not be destroyed
// until the callback returns, and every reference must still be released exactly once, by the
// end or by the sweep that the end handed its release to.
//
// Each round enlists a few states whose only remaining reference is the registry's, so that the
// release that drops it destroys the state; then one thread ends them all while others sweep
// (for_each touching every state before and after a registry call, end_canceled ending the
// canceled ones). The audited states
// flag any call on a destroyed state and any release below zero.
//
// Built twice: on real threads, and under the deterministic scheduler, where an end that
// releases without handing off to a protecting sweep (a planted bug) must be caught.

#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <string>

#include "enlist/detail/planted_bug.hpp"
#include "enlist/registry.hpp"
#include "support/audited_state.hpp"
#include "support/concurrent_runner.hpp"
#include "support/scale.hpp"

namespace {

using enlist::sync_provider_role;
using enlist::test::audited_state;
using enlist::test::reference_audit;
using enlist::test::scheduled_build;
using registry = enlist::basic_registry<enlist::com_state_policy<audited_state>>;

struct round_result {
  bool completed = true;
  std::string problem;  // empty when the round was clean
};

round_result run_round(enlist::test::concurrent_runner& runner, enlist::test::state_pool& states,
                       std::uint64_t seed) {
  const std::size_t count = 2 + seed % (states.size() - 1);
  const unsigned sweepers = 1 + static_cast<unsigned>(seed / 7 % 2);
  reference_audit::reset();
  registry sessions;
  for (std::size_t i = 0; i < count; ++i) {
    audited_state* s = states.get(i);
    s->revive();
    if (i % 2 == 1) s->cancel();
    EXPECT_EQ(sessions.begin(sync_provider_role::source, s), enlist::S_OK);
    s->release_creator();  // the registry's reference is now the last one
  }
  const auto outcome = runner.run(
      [&](unsigned t) {
        if (t == 0) {
          for (std::size_t i = 0; i < count; ++i)
            static_cast<void>(sessions.end(states.get(i)));
        } else if (t == 1) {
          // User code that takes a while: the state must stay alive across a call that lets
          // other threads run.
          static_cast<void>(sessions.for_each([&sessions](audited_state* s, sync_provider_role) {
            s->IsCanceled();
            static_cast<void>(sessions.role_of(s));
            s->IsCanceled();
          }));
        } else {
          static_cast<void>(sessions.end_canceled());
        }
      },
      seed, 1 + sweepers);
  round_result result;
  result.completed = outcome.completed;
  if (!reference_audit::clean()) {
    result.problem = reference_audit::summary();
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      const audited_state& s = states[i];
      if (!s.destroyed() || s.releases() != s.add_refs() + 1) {
        result.problem = "state " + std::to_string(i) + " was not released exactly once";
      }
    }
  }
  if (!result.problem.empty() && !outcome.schedule.empty())
    result.problem += " under " + outcome.schedule;
  return result;
}

TEST(SweepProtection, AStateIsAliveForTheWholeCallbackAndReleasedExactlyOnce) {
  enlist::test::concurrent_runner runner(3);
  enlist::test::state_pool states(6);
  const std::size_t rounds = enlist::test::scaled(scheduled_build ? 20000 : 3000, 10);
  for (std::size_t round = 0; round < rounds; ++round) {
    const round_result r = run_round(runner, states, round);
    ASSERT_TRUE(r.completed) << "round " << round << ": the schedule did not finish";
    ASSERT_TRUE(r.problem.empty()) << "round " << round << ": " << r.problem;
  }
}

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)

TEST(SweepProtection, AnEndThatDoesNotHandItsReleaseToTheSweepIsCaught) {
  enlist::detail::planted_bug_in_effect = enlist::detail::planted_bug::sweep_hand_off_skipped;
  enlist::test::concurrent_runner runner(3);
  enlist::test::state_pool states(6);
  std::size_t round = 0;
  std::string problem;
  for (; round < 5000 && problem.empty(); ++round)
    problem = run_round(runner, states, round).problem;
  enlist::detail::planted_bug_in_effect = enlist::detail::planted_bug::none;
  EXPECT_FALSE(problem.empty()) << "not caught in " << round << " rounds";
  std::cout << "caught in round " << round << ": " << problem << '\n';
}

#endif

}  // namespace
