// A provider kept alive only by its sessions: every state holds a reference to the provider
// (the usual COM back-reference), the caller drops its own, and a sweep or Shutdown ends the
// sessions. The release of the last state destroys the provider and the registry inside it; the
// sweep must not touch either afterwards. The provider's memory and the map's tables are
// overwritten when freed, so a sweep that read on would crash or miscount here, and
// AddressSanitizer reports it as a use after free.

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory_resource>
#include <new>
#include <vector>

#include "enlist/provider.hpp"

namespace {

using namespace enlist;

std::atomic<int> providers_alive{0};
std::atomic<int> states_alive{0};

// Fills what it frees with a pattern, so that reading a freed table cannot pass unnoticed.
class poisoning_resource : public std::pmr::memory_resource {
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    return ::operator new (bytes, std::align_val_t{align});
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    std::memset(p, 0xdb, bytes);
    ::operator delete (p, std::align_val_t{align});
  }
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
};
poisoning_resource tables;

// A provider with a COM-style count; it is destroyed by its last Release.
class counted_provider : public provider {
 public:
  counted_provider() : provider({.resource = &tables}) { providers_alive.fetch_add(1); }
  ~counted_provider() override { providers_alive.fetch_sub(1); }
  void AddRef() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  // The provider is over-aligned (the registry keeps hot words on lines of their own), so its
  // storage comes from the aligned operator new and goes back to the matching delete.
  static void operator delete(void* p, std::size_t bytes, std::align_val_t align) {
    std::memset(p, 0xdb, bytes);
    ::operator delete(p, align);
  }

  using provider::sessions;  // for the end_if and end_all cases

 private:
  std::atomic<int> refs_{1};
};

// A session state that holds a reference to its provider until it is destroyed.
class back_referencing_state : public ref_counted_session_state {
 public:
  explicit back_referencing_state(counted_provider& owner) : owner_(owner) {
    owner_.AddRef();
    states_alive.fetch_add(1);
  }

 protected:
  ~back_referencing_state() override {
    states_alive.fetch_sub(1);
    owner_.Release();
  }

 private:
  counted_provider& owner_;
};

constexpr std::size_t sessions = 500;

// Begins `sessions` canceled sessions whose states hold the only references to a new provider
// once this returns; returns that provider, which the caller must not own.
counted_provider* provider_owned_by_its_sessions() {
  auto* p = new counted_provider;
  for (std::size_t i = 0; i < sessions; ++i) {
    auto* state = new back_referencing_state(*p);
    EXPECT_EQ(p->BeginSession(sync_provider_role::source, state), S_OK);
    state->cancel();
    state->Release();  // the registry's reference is now the state's only one
  }
  p->Release();  // the states' references are now the provider's only ones
  EXPECT_EQ(providers_alive.load(), 1);
  EXPECT_EQ(states_alive.load(), static_cast<int>(sessions));
  return p;
}

void expect_everything_destroyed() {
  EXPECT_EQ(states_alive.load(), 0);
  EXPECT_EQ(providers_alive.load(), 0);
}

TEST(ProviderLifetime, EndCanceledSessionsMayReleaseTheLastReferenceToItsProvider) {
  counted_provider* p = provider_owned_by_its_sessions();
  const sweep_result r = p->EndCanceledSessions();
  EXPECT_EQ(r.status, S_OK);
  EXPECT_EQ(r.count, sessions);
  expect_everything_destroyed();
}

TEST(ProviderLifetime, ShutdownMayReleaseTheLastReferenceToItsProvider) {
  counted_provider* p = provider_owned_by_its_sessions();
  EXPECT_EQ(p->Shutdown(), S_OK);
  expect_everything_destroyed();
}

TEST(ProviderLifetime, EndIfMayReleaseTheLastReferenceToItsProvider) {
  counted_provider* p = provider_owned_by_its_sessions();
  const sweep_result r = p->sessions().end_if([](const session_state*) { return true; });
  EXPECT_EQ(r.status, S_OK);
  EXPECT_EQ(r.count, sessions);
  expect_everything_destroyed();
}

TEST(ProviderLifetime, EndAllMayReleaseTheLastReferenceToItsProvider) {
  counted_provider* p = provider_owned_by_its_sessions();
  const sweep_result r = p->sessions().end_all();
  EXPECT_EQ(r.status, S_OK);
  EXPECT_EQ(r.count, sessions);
  expect_everything_destroyed();
}

// The callback of a sweep ends the state it was handed: the release is handed to the sweep
// (the state stays alive for the callback), and the sweep performs it once it is done.
TEST(ProviderLifetime, ForEachThatEndsItsStatesMayReleaseTheLastReferenceToItsProvider) {
  counted_provider* p = provider_owned_by_its_sessions();
  std::size_t ended = 0;
  const sweep_result r = p->ForEachSession([&](session_state* state, sync_provider_role) {
    ended += p->EndSession(state) == S_OK;
    EXPECT_TRUE(state->IsCanceled());  // still alive: the sweep holds its release
  });
  EXPECT_EQ(r.status, S_OK);
  EXPECT_EQ(r.count, sessions);
  EXPECT_EQ(ended, sessions);
  expect_everything_destroyed();
}

}  // namespace
