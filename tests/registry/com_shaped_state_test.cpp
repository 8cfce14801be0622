// A provider written the COM way: its session state implements an ISyncSessionState-shaped
// interface (IUnknown's QueryInterface/AddRef/Release first in the vtable, then IsCanceled, all
// with the calling convention COM uses), whose methods are not noexcept, as a real COM
// interface's are not. The provider reaches the registry through a state policy of its own,
// whose noexcept functions call the interface, and every reference the registry takes through
// AddRef is given back through Release.
//
// On Windows the interface derives from the real IUnknown of <unknwn.h> (STDMETHODCALLTYPE is
// __stdcall; on x64 that is the one Windows calling convention), and windows.h comes before
// enlist's headers, as it does in a provider, so the test also shows that enlist's status
// constants and the macros of the same names live together. Elsewhere it declares an
// IUnknown of the same layout. The method set after IUnknown is cut to IsCanceled plus one
// progress method: enlist calls nothing else, and the vtable order is what the test is about.

#if defined(_WIN32)
#include <unknwn.h>
#include <windows.h>
#endif

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "enlist/provider.hpp"
#include "enlist/registry.hpp"

namespace {

#if defined(_WIN32)
using com_result = HRESULT;
using com_count = ULONG;
using com_bool = BOOL;
using com_iid = IID;
using com_unknown = IUnknown;
#define ENLIST_TEST_COM_CALL STDMETHODCALLTYPE
#else
using enlist::S_OK;  // on Windows, the macro of the same value
using com_result = std::int32_t;
using com_count = std::uint32_t;
using com_bool = int;
struct com_iid {
  std::uint32_t data1;
  std::uint16_t data2, data3;
  std::uint8_t data4[8];
};
#define ENLIST_TEST_COM_CALL
// IUnknown's layout: three virtual methods, in this order, first in the vtable.
struct com_unknown {
  virtual com_result ENLIST_TEST_COM_CALL QueryInterface(const com_iid& iid, void** out) = 0;
  virtual com_count ENLIST_TEST_COM_CALL AddRef() = 0;
  virtual com_count ENLIST_TEST_COM_CALL Release() = 0;
};
#endif

constexpr com_result com_ok = 0;
constexpr com_result com_no_interface = static_cast<com_result>(0x80004002U);  // E_NOINTERFACE
constexpr com_result com_null_pointer = static_cast<com_result>(0x80004003U);  // E_POINTER

// IUnknown's IID, and an IID for the shaped interface (not Windows Sync's own).
constexpr com_iid iid_unknown = {
    0x00000000, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
constexpr com_iid iid_session_state = {
    0x6e6c6973, 0x7473, 0x4000, {0x80, 0x00, 0x65, 0x6e, 0x6c, 0x69, 0x73, 0x74}};

bool same_iid(const com_iid& a, const com_iid& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

struct sync_session_state_shaped : com_unknown {
  virtual com_result ENLIST_TEST_COM_CALL IsCanceled(com_bool* canceled) = 0;
  virtual com_result ENLIST_TEST_COM_CALL OnProgress(std::int32_t role, std::int32_t stage,
                                                     std::uint32_t completed,
                                                     std::uint32_t total) = 0;
};

// Every reference taken (the one an object is created with, and every AddRef) and every
// Release, of every object, process-wide.
std::atomic<long> add_refs{0};
std::atomic<long> releases{0};
std::atomic<long> destroyed{0};

// A COM object: created with one reference (its creator's), destroys itself at zero.
class session_state_object final : public sync_session_state_shaped {
 public:
  session_state_object() { add_refs.fetch_add(1, std::memory_order_relaxed); }
  com_result ENLIST_TEST_COM_CALL QueryInterface(const com_iid& iid, void** out) override {
    if (out == nullptr) return com_null_pointer;
    if (same_iid(iid, iid_unknown) || same_iid(iid, iid_session_state)) {
      *out = static_cast<sync_session_state_shaped*>(this);
      AddRef();
      return com_ok;
    }
    *out = nullptr;
    return com_no_interface;
  }
  com_count ENLIST_TEST_COM_CALL AddRef() override {
    add_refs.fetch_add(1, std::memory_order_relaxed);
    return refs_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  com_count ENLIST_TEST_COM_CALL Release() override {
    releases.fetch_add(1, std::memory_order_relaxed);
    const com_count left = refs_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if (left == 0) {
      destroyed.fetch_add(1, std::memory_order_relaxed);
      delete this;
    }
    return left;
  }
  com_result ENLIST_TEST_COM_CALL IsCanceled(com_bool* canceled) override {
    if (canceled == nullptr) return com_null_pointer;
    *canceled = canceled_.load(std::memory_order_acquire) ? 1 : 0;
    return com_ok;
  }
  com_result ENLIST_TEST_COM_CALL OnProgress(std::int32_t, std::int32_t, std::uint32_t,
                                             std::uint32_t) override {
    return com_ok;
  }
  void cancel() { canceled_.store(true, std::memory_order_release); }

 private:
  std::atomic<com_count> refs_{1};
  std::atomic<bool> canceled_{false};
};

// The provider's policy: noexcept functions over the interface's methods, which never throw
// (COM methods must not let an exception cross the interface).
struct com_session_state_policy {
  using state_type = sync_session_state_shaped;
  static void add_ref(sync_session_state_shaped* s) noexcept { s->AddRef(); }
  static void release(sync_session_state_shaped* s) noexcept { s->Release(); }
  static bool is_canceled(const sync_session_state_shaped* s) noexcept {
    com_bool canceled = 0;
    // IsCanceled is not const in COM; asking does not change the object.
    const com_result hr = const_cast<sync_session_state_shaped*>(s)->IsCanceled(&canceled);
    return hr == com_ok && canceled != 0;
  }
};
static_assert(enlist::state_policy<com_session_state_policy>);

using com_registry = enlist::basic_registry<com_session_state_policy>;

// What the caller of BeginSession holds: the interface pointer, from QueryInterface.
sync_session_state_shaped* new_session_state() {
  auto* object = new session_state_object;
  void* out = nullptr;
  EXPECT_EQ(object->QueryInterface(iid_session_state, &out), com_ok);
  object->Release();  // the creator's reference; the queried one stays
  return static_cast<sync_session_state_shaped*>(out);
}

class ComShapedState : public ::testing::Test {
 protected:
  void SetUp() override {
    add_refs = 0;
    releases = 0;
    destroyed = 0;
  }
};

TEST_F(ComShapedState, TheRegistryTakesOneReferenceAndGivesItBackOnEnd) {
  com_registry sessions;
  sync_session_state_shaped* state = new_session_state();
  const long refs_before = add_refs.load();
  ASSERT_EQ(sessions.begin(enlist::sync_provider_role::source, state), S_OK);
  EXPECT_EQ(add_refs.load(), refs_before + 1) << "begin takes exactly one reference";
  EXPECT_EQ(sessions.begin(enlist::sync_provider_role::source, state),
            enlist::SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(add_refs.load(), refs_before + 1) << "a refused begin takes none";
  const long releases_before = releases.load();
  EXPECT_EQ(sessions.end(state), S_OK);
  EXPECT_EQ(releases.load(), releases_before + 1) << "end releases the registry's reference";
  EXPECT_EQ(sessions.end(state), enlist::SYNC_E_INVALID_OPERATION);
  EXPECT_EQ(releases.load(), releases_before + 1);
  EXPECT_EQ(destroyed.load(), 0) << "the caller still holds its reference";
  EXPECT_EQ(state->Release(), 0U);
  EXPECT_EQ(destroyed.load(), 1);
  EXPECT_EQ(add_refs.load(), releases.load());
}

TEST_F(ComShapedState, ARegistryHoldingTheLastReferenceDestroysTheObjectThroughRelease) {
  {
    com_registry sessions;
    sync_session_state_shaped* state = new_session_state();
    ASSERT_EQ(sessions.begin(enlist::sync_provider_role::destination, state), S_OK);
    state->Release();  // the caller lets go; the registry's reference keeps it alive
    EXPECT_EQ(destroyed.load(), 0);
    EXPECT_EQ(sessions.end(state), S_OK);
    EXPECT_EQ(destroyed.load(), 1) << "end released the last reference";
  }
  EXPECT_EQ(add_refs.load(), releases.load());
}

TEST_F(ComShapedState, CanceledSessionsAreEndedThroughIsCanceled) {
  enlist::basic_provider<com_session_state_policy> provider;
  std::vector<sync_session_state_shaped*> states;
  for (int i = 0; i < 8; ++i) {
    states.push_back(new_session_state());
    ASSERT_EQ(provider.BeginSession(enlist::sync_provider_role::source, states.back()), S_OK);
  }
  for (int i = 0; i < 8; i += 2)
    static_cast<session_state_object*>(states[static_cast<std::size_t>(i)])->cancel();
  EXPECT_EQ(provider.EndCanceledSessions().count, 4U);
  for (std::size_t i = 0; i < states.size(); ++i) {
    EXPECT_EQ(provider.EndSession(states[i]), i % 2 == 0 ? enlist::SYNC_E_INVALID_OPERATION : S_OK);
    states[i]->Release();
  }
  EXPECT_EQ(destroyed.load(), 8);
  EXPECT_EQ(add_refs.load(), releases.load());
}

TEST_F(ComShapedState, ThreadsBeginningAndEndingTheirOwnObjectsBalanceEveryReference) {
  com_registry sessions;
  constexpr int threads = 4;
  constexpr int rounds = 2000;
  std::atomic<int> wrong{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int r = 0; r < rounds; ++r) {
        sync_session_state_shaped* state = new_session_state();
        if (sessions.begin(enlist::sync_provider_role::source, state) != S_OK) ++wrong;
        state->Release();
        if (sessions.end(state) != S_OK) ++wrong;
      }
    });
  }
  for (auto& w : workers)
    w.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(destroyed.load(), threads * rounds);
  EXPECT_EQ(add_refs.load(), releases.load());
}

}  // namespace
