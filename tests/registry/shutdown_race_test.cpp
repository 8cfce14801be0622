// EndSession racing Shutdown: a session that was begun and that only the shutdown ended must
// get S_OK or E_ABORT from its end, never SYNC_E_INVALID_OPERATION (to its caller the session was
// begun and never ended by it), and every reference is released exactly once.
//
// Built twice: on real threads, and under the deterministic scheduler, which interleaves every
// end with each step of the shutdown's scan (tests/README.md).

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>

#include "enlist/registry.hpp"
#include "support/audited_state.hpp"
#include "support/concurrent_runner.hpp"
#include "support/scale.hpp"

namespace {

using enlist::hresult;
using enlist::sync_provider_role;
using enlist::test::audited_state;
using enlist::test::reference_audit;
using enlist::test::scheduled_build;
using registry = enlist::basic_registry<enlist::com_state_policy<audited_state>>;

constexpr unsigned enders = 3;
constexpr std::size_t per_ender = 2;

// One round: every ender ends its own states while the last thread shuts the registry down.
std::string run_round(enlist::test::concurrent_runner& runner, enlist::test::state_pool& states,
                      std::uint64_t seed) {
  reference_audit::reset();
  std::array<hresult, enders * per_ender> answers{};
  {
    registry sessions;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      audited_state* s = states.get(i);
      s->revive();
      EXPECT_EQ(sessions.begin(sync_provider_role::source, s), enlist::S_OK);
    }
    const auto outcome = runner.run(
        [&](unsigned t) {
          if (t == enders) {
            static_cast<void>(sessions.shutdown());
            return;
          }
          for (std::size_t k = 0; k < per_ender; ++k) {
            const std::size_t i = t * per_ender + k;
            answers[i] = sessions.end(states.get(i));
          }
        },
        seed, enders + 1);
    if (!outcome.completed) return "the schedule did not finish";
    for (std::size_t i = 0; i < answers.size(); ++i) {
      if (answers[i] != enlist::S_OK && answers[i] != enlist::E_ABORT) {
        return "end of a begun state racing shutdown answered " +
               std::string(enlist::status_name(answers[i])) +
               (outcome.schedule.empty() ? "" : " under " + outcome.schedule);
      }
    }
  }
  for (std::size_t i = 0; i < answers.size(); ++i) {
    audited_state* s = states.get(i);
    if (s->releases() != s->add_refs()) return "state " + std::to_string(i) + " unbalanced";
    s->release_creator();
  }
  if (!reference_audit::clean()) return reference_audit::summary();
  return {};
}

TEST(ShutdownRace, AnEndRacingShutdownAnswersOkOrAbort) {
  enlist::test::concurrent_runner runner(enders + 1);
  enlist::test::state_pool states(enders * per_ender);
  const std::size_t rounds = enlist::test::scaled(scheduled_build ? 20000 : 2000, 10);
  for (std::size_t round = 0; round < rounds; ++round) {
    const std::string problem = run_round(runner, states, round);
    ASSERT_TRUE(problem.empty()) << "round " << round << ": " << problem;
  }
}

}  // namespace
