#pragma once
// The session contract (docs/contract.md) over any map adapter: the one implementation every peer
// runs in the registry-level workloads, so that peers differ by their map and nothing else.
//
// It takes the same steps as enlist::basic_registry with unlimited capacity (registry.hpp):
//   begin(role, state)  shutdown check, argument checks, find (a duplicate begin touches no
//                       reference), AddRef, insert; a failed insert releases again.
//   end(state)          shutdown check, erase; the erase that succeeds releases the reference.
//   is_enlisted(state)  find.
// What the real registry adds and this does not: capacity admission (off by default there too),
// sweeps (end_if, for_each) and their hand-over protection, whose cost on end the registry pays
// here and the peers do not.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "interface/map_adapter.hpp"
#include "enlist/registry.hpp"
#include "enlist/session_state.hpp"
#include "enlist/status.hpp"

namespace enlist::bench {

template <map_adapter Map>
class session_contract {
 public:
  using map_type = Map;
  static constexpr std::string_view name = Map::name;

  explicit session_contract(std::size_t expected_sessions) : map_(expected_sessions) {}

  hresult begin(sync_provider_role role, session_state* state) noexcept {
    if (shut_down_.load(std::memory_order_relaxed)) return E_ABORT;
    if (state == nullptr) return E_POINTER;
    if (role != sync_provider_role::source && role != sync_provider_role::destination) {
      return E_INVALIDARG;
    }
    const std::uintptr_t key = reinterpret_cast<std::uintptr_t>(state);
    if (map_.find(key)) return SYNC_E_INVALID_OPERATION;
    state->AddRef();  // before the entry exists: a racing end may release it at once
    if (!map_.insert(key, static_cast<std::uint64_t>(role))) {
      state->Release();  // never the last reference: the caller holds one
      return SYNC_E_INVALID_OPERATION;
    }
    return S_OK;
  }

  hresult end(session_state* state) noexcept {
    if (shut_down_.load(std::memory_order_relaxed)) return E_ABORT;
    if (state == nullptr) return E_POINTER;
    if (!map_.erase(reinterpret_cast<std::uintptr_t>(state))) return SYNC_E_INVALID_OPERATION;
    state->Release();
    return S_OK;
  }

  bool is_enlisted(const session_state* state) const noexcept {
    return state != nullptr && map_.find(reinterpret_cast<std::uintptr_t>(state)).has_value();
  }

  static void attach_thread() { Map::attach_thread(); }
  static void quiesce() { Map::quiesce(); }

 private:
  Map map_;
  std::atomic<bool> shut_down_{false};
};

// enlist's real registry, in the same shape.
class enlist_registry {
 public:
  static constexpr std::string_view name = "enlist";
  explicit enlist_registry(std::size_t expected_sessions)
      : registry_({.expected_sessions = expected_sessions}) {}

  hresult begin(sync_provider_role role, session_state* state) noexcept {
    return registry_.begin(role, state);
  }
  hresult end(session_state* state) noexcept { return registry_.end(state); }
  bool is_enlisted(const session_state* state) const noexcept {
    return registry_.is_enlisted(state);
  }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  registry registry_;
};

}  // namespace enlist::bench
