// The epoch-based reclamation on its own (reclaim/epoch.hpp, reclaim/retired_list.hpp): a node
// retired while a guard could still reach it is not freed until that guard ends; once no guard
// is older it is freed, exactly once; a thread that exits hands its record back. Then the
// property everything rests on, under concurrency: a reader inside a guard never sees the node
// it loaded freed and reused.
//
// Built twice: on real threads, and under the deterministic scheduler, where a reclaimer that
// ignores the readers' announcements (a planted bug) must be caught.

#include <gtest/gtest.h>

#if defined(_WIN32)
#include <windows.h>
#endif

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include "enlist/detail/atomic.hpp"
#include "enlist/detail/planted_bug.hpp"
#include "enlist/reclaim/epoch.hpp"
#include "enlist/reclaim/retired_list.hpp"
#include "support/concurrent_runner.hpp"
#include "support/scale.hpp"
#include "support/thread_sync.hpp"

namespace {

using enlist::reclaim::epoch_domain;
using enlist::reclaim::epoch_guard;
using enlist::reclaim::retired_list;
using enlist::reclaim::retired_node;
using enlist::test::scheduled_build;

// A retirable node that records its life: "freeing" it bumps its generation and marks it free,
// and the pool hands free nodes out again, as an allocator (or the map's spare table) would.
struct node : retired_node {
  enlist::detail::atomic<std::uint64_t> generation{0};
  enlist::detail::atomic<bool> free{true};
};

class node_pool {
 public:
  node* take() {
    for (node& n : nodes_) {
      if (n.free.load(std::memory_order_relaxed)) {
        n.free.store(false, std::memory_order_relaxed);
        return &n;
      }
    }
    std::abort();  // sized for the tests below: every node in use means nothing was reclaimed
  }
  void give_back(retired_node* r) {
    node* n = static_cast<node*>(r);
    ++frees_;
    n->generation.fetch_add(1, std::memory_order_relaxed);
    n->free.store(true, std::memory_order_relaxed);
  }
  // Used by the real-thread tests only (the scheduled build leaves them out).
  [[maybe_unused]] std::size_t frees() const { return frees_; }

 private:
  std::array<node, 64> nodes_;
  std::size_t frees_ = 0;
};

#if !defined(ENLIST_DETERMINISTIC_SCHEDULE)

TEST(EpochReclamation, ANodeIsNotFreedWhileAnOlderGuardIsHeldAndIsFreedOnceAfter) {
  epoch_domain& domain = epoch_domain::global();
  node_pool pool;
  retired_list retired;
  node* n = pool.take();
  enlist::test::thread_latch guarded(1), retired_done(1);
  std::thread reader([&] {
    const epoch_guard guard;  // announced before the retirement: may still reach n
    guarded.count_down();
    retired_done.wait();
  });
  guarded.wait();
  retired.retire(domain, n);
  EXPECT_EQ(retired.reclaim(domain, [&](retired_node* r) { pool.give_back(r); }), 0U);
  EXPECT_EQ(pool.frees(), 0U);
  retired_done.count_down();
  reader.join();
  EXPECT_EQ(retired.reclaim(domain, [&](retired_node* r) { pool.give_back(r); }), 1U);
  EXPECT_EQ(retired.reclaim(domain, [&](retired_node* r) { pool.give_back(r); }), 0U);
  EXPECT_EQ(pool.frees(), 1U) << "freed exactly once";
}

TEST(EpochReclamation, AGuardTakenAfterTheRetirementDoesNotHoldTheNodeBack) {
  epoch_domain& domain = epoch_domain::global();
  node_pool pool;
  retired_list retired;
  retired.retire(domain, pool.take());
  enlist::test::thread_latch guarded(1), done(1);
  std::thread reader([&] {
    const epoch_guard guard;  // cannot reach a node unlinked before it started
    guarded.count_down();
    done.wait();
  });
  guarded.wait();
  EXPECT_EQ(retired.reclaim(domain, [&](retired_node* r) { pool.give_back(r); }), 1U);
  done.count_down();
  reader.join();
}

TEST(EpochReclamation, AThreadThatExitsHandsItsRecordBack) {
  epoch_domain& domain = epoch_domain::global();
  std::thread([] { const epoch_guard guard; }).join();  // makes sure one record is free
  const std::uint32_t records = domain.record_count();
  for (int i = 0; i < 50; ++i) {
    std::thread([] { const epoch_guard guard; }).join();
  }
  EXPECT_EQ(domain.record_count(), records) << "exited threads' records were not reused";
}

// A thread_local whose destructor takes a guard runs during the thread's exit, when some
// platforms have already torn down other thread-local storage (MinGW frees its emulated TLS
// before the exit notifications): the destructor must find a usable record, and the thread must
// still hand back every record it held.
struct guard_at_thread_exit {
  bool armed = false;
  ~guard_at_thread_exit() {
    if (armed) const epoch_guard guard;
  }
};

void use_a_guard_now_and_at_exit() {
  thread_local guard_at_thread_exit at_exit;
  at_exit.armed = true;
  const epoch_guard guard;
}

TEST(EpochReclamation, AGuardInAThreadLocalDestructorLeavesNoRecordBehind) {
  epoch_domain& domain = epoch_domain::global();
  std::thread(use_a_guard_now_and_at_exit).join();  // records free for both uses
  std::thread(use_a_guard_now_and_at_exit).join();
  const std::uint32_t records = domain.record_count();
  for (int i = 0; i < 50; ++i) {
    std::thread(use_a_guard_now_and_at_exit).join();
  }
  EXPECT_LE(domain.record_count(), records + 1) << "records of exited threads pile up";
}

#if defined(_WIN32)
// The same for threads the C++ runtime did not create: the thread-exit hook must cover them.
TEST(EpochReclamation, AThreadCreatedByTheSystemHandsItsRecordBack) {
  epoch_domain& domain = epoch_domain::global();
  const auto run_system_thread = [] {
    HANDLE thread = CreateThread(
        nullptr, 0,
        [](void*) -> DWORD {
          use_a_guard_now_and_at_exit();
          return 0;
        },
        nullptr, 0, nullptr);
    ASSERT_NE(thread, nullptr);
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
  };
  run_system_thread();
  run_system_thread();
  const std::uint32_t records = domain.record_count();
  for (int i = 0; i < 50; ++i)
    run_system_thread();
  EXPECT_LE(domain.record_count(), records + 1) << "records of exited threads pile up";
}
#endif

#endif

// Readers take a guard, load the current node and read its generation twice; a writer replaces
// the node again and again, retiring the old one and reclaiming. A node freed (and reused) under
// a reader would show a changed generation.
struct churn_result {
  std::uint64_t torn_reads = 0;
  std::size_t retired = 0;
  std::size_t freed = 0;
  bool completed = true;
};

churn_result run_churn(enlist::test::concurrent_runner& runner, std::uint64_t seed,
                       unsigned readers, unsigned replacements) {
  epoch_domain& domain = epoch_domain::global();
  node_pool pool;
  retired_list retired;
  enlist::detail::atomic<node*> current{pool.take()};
  std::atomic<std::uint64_t> torn{0};
  std::atomic<bool> writing{true};
  churn_result result;
  const auto outcome = runner.run(
      [&](unsigned t) {
        if (t == 0) {
          for (unsigned i = 0; i < replacements; ++i) {
            node* fresh = pool.take();
            node* old = current.exchange(fresh, std::memory_order_acq_rel);
            retired.retire(domain, old);
            ++result.retired;
            result.freed += retired.reclaim(domain, [&](retired_node* r) { pool.give_back(r); });
          }
          writing.store(false);
          return;
        }
        // Readers: a bounded number of guarded reads each, so that every run ends.
        for (unsigned i = 0; i < replacements * 2 && writing.load(); ++i) {
          const epoch_guard guard;
          node* n = current.load(std::memory_order_acquire);
          const std::uint64_t first = n->generation.load(std::memory_order_relaxed);
          const bool was_free = n->free.load(std::memory_order_relaxed);
          const std::uint64_t second = n->generation.load(std::memory_order_relaxed);
          if (was_free || first != second) torn.fetch_add(1);
        }
      },
      seed, readers + 1);
  result.completed = outcome.completed;
  // Quiescent now: everything retired can go.
  result.freed += retired.reclaim(domain, [&](retired_node* r) { pool.give_back(r); });
  result.torn_reads = torn.load();
  return result;
}

TEST(EpochReclamation, ReadersNeverSeeTheirNodeFreedUnderChurn) {
  enlist::test::concurrent_runner runner(4);
  const std::size_t rounds = enlist::test::scaled(scheduled_build ? 20000 : 300, 10);
  for (std::size_t round = 0; round < rounds; ++round) {
    const churn_result r = run_churn(runner, round, 1 + static_cast<unsigned>(round % 3), 40);
    ASSERT_TRUE(r.completed) << "round " << round << ": the schedule did not finish";
    ASSERT_EQ(r.torn_reads, 0U) << "round " << round << ": a guarded node was freed";
    ASSERT_EQ(r.freed, r.retired) << "round " << round << ": every node is freed once quiescent";
  }
}

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)

TEST(EpochReclamation, AReclaimerThatIgnoresTheReadersIsCaught) {
  enlist::detail::planted_bug_in_effect = enlist::detail::planted_bug::reclaim_ignores_readers;
  enlist::test::concurrent_runner runner(4);
  std::size_t round = 0;
  std::uint64_t torn = 0;
  for (; round < 2000 && torn == 0; ++round)
    torn = run_churn(runner, round, 1 + static_cast<unsigned>(round % 3), 40).torn_reads;
  enlist::detail::planted_bug_in_effect = enlist::detail::planted_bug::none;
  EXPECT_GT(torn, 0U) << "no reader saw its node freed in " << round << " rounds";
  std::cout << "caught in round " << round << '\n';
}

#endif

}  // namespace
