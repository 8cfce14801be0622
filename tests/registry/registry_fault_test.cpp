// Allocation faults: when the registry's map cannot grow, begin returns E_OUTOFMEMORY and
// changes nothing; every session already enlisted stays enlisted with its reference held exactly
// once; and the registry works again when memory comes back. Faults are injected through the
// registry's memory_resource (counting_resource), which also shows that nothing leaks.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "enlist/registry.hpp"
#include "enlist/status.hpp"
#include "support/audited_state.hpp"
#include "support/counting_resource.hpp"
#include "support/scale.hpp"

namespace {

using enlist::sync_provider_role;
using enlist::test::audited_state;
using enlist::test::reference_audit;
using registry = enlist::basic_registry<enlist::com_state_policy<audited_state>>;

sync_provider_role role_for(std::size_t i) {
  return static_cast<sync_provider_role>(i % 2);
}

TEST(RegistryAllocationFaults, BeginReportsOutOfMemoryAndLosesNothingThenRecovers) {
  reference_audit::reset();
  enlist::test::counting_resource memory;
  enlist::test::state_pool states(100'000);
  {
    registry sessions({.resource = &memory});
    memory.fail_allocations(true);  // the first table exists; no successor can be allocated
    std::vector<std::size_t> enlisted, refused;
    for (std::size_t i = 0; i < states.size(); ++i) {
      const enlist::hresult hr = sessions.begin(role_for(i), states.get(i));
      if (hr == enlist::S_OK) {
        ASSERT_TRUE(refused.empty()) << "a begin succeeded after the table was full";
        enlisted.push_back(i);
      } else {
        ASSERT_EQ(hr, enlist::E_OUTOFMEMORY) << "state " << i;
        refused.push_back(i);
        if (refused.size() == 100) break;
      }
    }
    ASSERT_EQ(refused.size(), 100u) << "the map never ran out of room";
    ASSERT_FALSE(enlisted.empty());
    EXPECT_GT(memory.failed_allocations(), 0u);

    for (const std::size_t i : refused) {  // a refused begin took no reference and left no entry
      EXPECT_EQ(states[i].registry_refs(), 0) << "state " << i;
      EXPECT_FALSE(sessions.role_of(states.get(i))) << "state " << i;
    }
    for (const std::size_t i : enlisted) {  // nothing already enlisted is lost
      EXPECT_EQ(sessions.role_of(states.get(i)), role_for(i)) << "state " << i;
      EXPECT_EQ(states[i].registry_refs(), 1) << "state " << i;
    }
    EXPECT_EQ(sessions.size(), enlisted.size());

    memory.fail_allocations(false);
    for (const std::size_t i : refused) {
      ASSERT_EQ(sessions.begin(role_for(i), states.get(i)), enlist::S_OK) << "state " << i;
    }
    for (const std::size_t i : enlisted)
      ASSERT_EQ(sessions.end(states.get(i)), enlist::S_OK);
    for (const std::size_t i : refused)
      ASSERT_EQ(sessions.end(states.get(i)), enlist::S_OK);
    EXPECT_EQ(sessions.size(), 0u);
    EXPECT_TRUE(states.balanced()) << states.first_unbalanced();
  }
  EXPECT_EQ(memory.outstanding_bytes(), 0u) << "the registry leaked a table";
  EXPECT_TRUE(reference_audit::clean()) << reference_audit::summary();
}

// Threads outnumbering the cores enlist and end their own states in waves while allocation
// failure is switched on and off underneath them. Each wave moves on to states not used for a
// while, so ended entries pile up as dead cells and the table needs a migration every few waves:
// the ones that cannot allocate leave the table to fill up until begin runs out of room. Each
// thread owns its states, so after every call it can check the exact effect on them.
TEST(RegistryAllocationFaults, ConcurrentChurnThroughFaultsKeepsEveryReferenceExact) {
  reference_audit::reset();
  enlist::test::counting_resource memory;
  constexpr unsigned threads = 8;
  constexpr std::size_t per_thread = 8000;
  constexpr std::size_t per_wave = 1000;
  const std::size_t waves = enlist::test::scaled(400, 4);
  enlist::test::state_pool states(threads * per_thread);
  std::atomic<std::uint64_t> out_of_memory{0}, end_out_of_memory{0}, failures{0};
  {
    registry sessions({.resource = &memory});
    std::atomic<bool> done{false};
    std::thread toggler([&] {
      std::mt19937 random(7);
      // First one failing window that lasts until the table has filled up and a begin was
      // refused: under a sanitizer or an emulator a wave is slow enough that short windows alone
      // may never let the table fill, and the refusal path would go unchecked.
      memory.fail_allocations(true);
      while (!done.load() && out_of_memory.load() == 0)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      // Then mostly failing, so that the table keeps filling up while no successor can be had.
      while (!done.load()) {
        memory.fail_allocations(random() % 5 != 0);
        std::this_thread::sleep_for(std::chrono::microseconds(500 + random() % 2000));
      }
      memory.fail_allocations(false);
    });
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::vector<bool> enlisted(per_thread, false);
        const auto state = [&](std::size_t i) { return states.get(t * per_thread + i); };
        const auto check = [&](bool ok) {
          if (!ok) failures.fetch_add(1);
        };
        for (std::size_t wave = 0; wave < waves; ++wave) {
          const std::size_t first = wave * per_wave % per_thread;
          for (std::size_t i = first; i < first + per_wave; ++i) {
            if (enlisted[i]) continue;
            const enlist::hresult hr = sessions.begin(role_for(i), state(i));
            if (hr == enlist::E_OUTOFMEMORY) {
              out_of_memory.fetch_add(1);
            } else {
              check(hr == enlist::S_OK);
              enlisted[i] = hr == enlist::S_OK;
            }
            check(state(i)->registry_refs() == (enlisted[i] ? 1 : 0));
          }
          for (std::size_t i = first; i < first + per_wave; ++i) {
            if (!enlisted[i]) continue;
            const enlist::hresult hr = sessions.end(state(i));
            if (hr == enlist::E_OUTOFMEMORY) {  // a migration could not get its table
              end_out_of_memory.fetch_add(1);
            } else {
              check(hr == enlist::S_OK);
              enlisted[i] = false;
            }
            check(state(i)->registry_refs() == (enlisted[i] ? 1 : 0));
            check(sessions.role_of(state(i)) ==
                  (enlisted[i] ? std::optional(role_for(i)) : std::nullopt));
          }
        }
        // What this thread left enlisted (ends refused for memory) is still there, exactly once.
        for (std::size_t i = 0; i < per_thread; ++i) {
          check(sessions.is_enlisted(state(i)) == enlisted[i]);
          check(state(i)->registry_refs() == (enlisted[i] ? 1 : 0));
        }
      });
    }
    for (std::thread& w : workers)
      w.join();
    done.store(true);
    toggler.join();
    // Memory is back: every state can be ended (or begun and ended) now.
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (sessions.is_enlisted(states.get(i))) {
        ASSERT_EQ(sessions.end(states.get(i)), enlist::S_OK);
      } else {
        ASSERT_EQ(sessions.begin(role_for(i), states.get(i)), enlist::S_OK);
        ASSERT_EQ(sessions.end(states.get(i)), enlist::S_OK);
      }
    }
    EXPECT_EQ(sessions.size(), 0u);
    EXPECT_TRUE(states.balanced()) << states.first_unbalanced();
  }
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(out_of_memory.load(), 0u) << "no allocation fault ever reached a begin";
  std::cout << out_of_memory.load() << " begins and " << end_out_of_memory.load()
            << " ends refused with E_OUTOFMEMORY, " << memory.failed_allocations()
            << " failed allocations\n";
  EXPECT_EQ(memory.outstanding_bytes(), 0u) << "the registry leaked a table";
  EXPECT_TRUE(reference_audit::clean()) << reference_audit::summary();
}

}  // namespace
