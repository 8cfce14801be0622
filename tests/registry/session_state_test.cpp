// The session-state interface, its reference-counted implementation, session_ptr, and adapting
// a provider's own state type through a policy.

#include <gtest/gtest.h>

#include <atomic>
#include <utility>

#include "enlist/session_ptr.hpp"
#include "enlist/session_state.hpp"
#include "enlist/state_policy.hpp"
#include "support/audited_state.hpp"

namespace {

using enlist::test::audited_state;
using enlist::test::reference_audit;

// Counts destructions so a test can see exactly when the object went away.
class counted_state : public enlist::ref_counted_session_state {
 public:
  explicit counted_state(int& destroyed) : destroyed_(destroyed) {}

 protected:
  ~counted_state() override { ++destroyed_; }

 private:
  int& destroyed_;
};

TEST(RefCountedSessionState, ReleaseReturnsTheNewCountAndDestroysAtZero) {
  int destroyed = 0;
  auto* state = new counted_state(destroyed);  // holds one reference
  EXPECT_EQ(state->AddRef(), 2u);
  EXPECT_EQ(state->Release(), 1u);
  EXPECT_EQ(destroyed, 0);
  EXPECT_EQ(state->Release(), 0u);
  EXPECT_EQ(destroyed, 1);
}

TEST(RefCountedSessionState, CancelIsReportedByIsCanceled) {
  auto state = enlist::make_session_state();
  EXPECT_FALSE(state->IsCanceled());
  state->cancel();
  EXPECT_TRUE(state->IsCanceled());
}

TEST(SessionPtr, CopiesShareAndTheLastOwnerDestroys) {
  int destroyed = 0;
  {
    auto first = enlist::make_session_state<counted_state>(destroyed);
    {
      auto second = first;  // NOLINT: the copy is the point
      EXPECT_EQ(second.get(), first.get());
    }
    EXPECT_EQ(destroyed, 0);
    auto moved = std::move(first);
    EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 1);
}

TEST(SessionPtr, ShareTakesAReferenceAndAdoptDoesNot) {
  reference_audit::reset();
  auto* raw = new audited_state;
  {
    auto shared = enlist::session_ptr<audited_state>::share(raw);
    EXPECT_EQ(raw->refs(), 2u);
    auto adopted = enlist::session_ptr<audited_state>::adopt(shared.detach());
    EXPECT_EQ(raw->refs(), 2u);
  }
  EXPECT_EQ(raw->refs(), 1u);
  EXPECT_TRUE(reference_audit::clean()) << reference_audit::summary();
  delete raw;
}

// A provider's own type, unrelated to enlist::session_state, adapted with a policy.
struct sync_job {
  std::atomic<int> refs{1};
  bool stop = false;
};
// Only checked against the concept, never called: [[maybe_unused]] for Clang's unused-member
// warnings.
struct sync_job_policy {
  using state_type = sync_job;
  [[maybe_unused]] static void add_ref(sync_job* j) noexcept { j->refs.fetch_add(1); }
  [[maybe_unused]] static void release(sync_job* j) noexcept { j->refs.fetch_sub(1); }
  [[maybe_unused]] static bool is_canceled(const sync_job* j) noexcept { return j->stop; }
};
struct throwing_release_policy {
  using state_type = sync_job;
  [[maybe_unused]] static void add_ref(sync_job*) noexcept {}
  [[maybe_unused]] static void release(sync_job*) {}  // may throw: unusable on the end path
  [[maybe_unused]] static bool is_canceled(const sync_job*) noexcept { return false; }
};

TEST(StatePolicy, AcceptsAdaptedTypesAndRejectsReleasesThatMayThrow) {
  static_assert(enlist::state_policy<sync_job_policy>);
  static_assert(enlist::state_policy<enlist::com_state_policy<enlist::session_state>>);
  static_assert(!enlist::state_policy<throwing_release_policy>);
}

TEST(StatePolicy, SessionPtrWorksThroughAPolicy) {
  sync_job job;
  {
    auto p = enlist::session_ptr<sync_job, sync_job_policy>::share(&job);
    EXPECT_EQ(job.refs.load(), 2);
  }
  EXPECT_EQ(job.refs.load(), 1);
}

}  // namespace
