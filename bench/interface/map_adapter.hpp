#pragma once
// What a peer's map must offer to stand in the suite: the three operations of enlist's
// concurrent_map, on the same keys (session-state addresses, never dereferenced) and values
// (the session's role), every one hashed with enlist::address_hash.
//
//   static constexpr std::string_view name;     // the backend's name in benchmark names
//   explicit Map(std::size_t expected_keys);    // sized for that many keys where the map can be
//   bool insert(key, value);                    // insert if absent: false when present
//   std::optional<value> find(key) const;       // the value of a present key
//   bool erase(key);                            // true when it removed the key
//   static void attach_thread();                // before a thread's first operation (libcds
//                                               // hazard pointers, RCU registration); the
//                                               // adapter detaches at thread exit by itself
//   static void quiesce();                      // wait until deferred frees have run
//
// Adapters do what a careful user of the peer would write, nothing more: no tuning the peer's
// documentation does not suggest, the peer's own locking and memory reclamation.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace enlist::bench {

// clang-format 14 mangles requires-expressions (`}\n&&`): formatted by hand.
// clang-format off
template <class M>
concept map_adapter =
    requires(M& m, const M& cm, std::uintptr_t key, std::uint64_t value) {
      { M::name } -> std::convertible_to<std::string_view>;
      { m.insert(key, value) } -> std::same_as<bool>;
      { cm.find(key) } -> std::same_as<std::optional<std::uint64_t>>;
      { m.erase(key) } -> std::same_as<bool>;
      M::attach_thread();
      M::quiesce();
    } &&
    std::constructible_from<M, std::size_t>;
// clang-format on

// An adapter whose erase keeps the key's node (tbb_unordered_map has no concurrent-safe erase,
// so its adapter emulates one with a tombstone value) specialises this to true. The
// always-new-key workload would grow such a map without bound, so it leaves them out, and the
// report says why.
template <class M>
inline constexpr bool keeps_erased_keys = false;

}  // namespace enlist::bench
