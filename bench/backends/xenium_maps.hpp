#pragma once
// xenium's concurrent maps (xenium 0.0.2, Debian 12's libxenium-dev), with its generic
// epoch-based reclamation (xenium::reclamation::epoch_based, the scheme its own benchmarks
// default to; threads register themselves on first use):
//   xenium_vyukov   vyukov_hash_map: buckets of a cache line holding keys and values in atomics,
//                   lock-free lookups, a lock per bucket for inserts and erases, growth by
//                   doubling under every bucket lock.
//   xenium_harris   harris_michael_hash_map: a fixed array of lock-free Harris-Michael lists;
//                   every insert allocates a node, every erase retires one. Its bucket count is a
//                   compile-time parameter, here 2^16 (load 0.15 at 10,000 live, 15 at 1,000,000):
//                   it does not grow, so its rows at large sizes measure long lists.
// The hash is enlist::address_hash.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <xenium/harris_michael_hash_map.hpp>
#include <xenium/policy.hpp>
#include <xenium/reclamation/generic_epoch_based.hpp>
#include <xenium/vyukov_hash_map.hpp>

#include "enlist/hash.hpp"

namespace enlist::bench {

using xenium_reclaimer = xenium::reclamation::epoch_based<>;

class xenium_vyukov {
 public:
  static constexpr std::string_view name = "xenium_vyukov";
  explicit xenium_vyukov(std::size_t expected) : map_(expected) {}

  bool insert(std::uintptr_t key, std::uint64_t value) { return map_.emplace(key, value); }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    typename map_type::accessor found;
    if (!map_.try_get_value(key, found)) return std::nullopt;
    return *found;
  }
  bool erase(std::uintptr_t key) { return map_.erase(key); }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  using map_type = xenium::vyukov_hash_map<std::uintptr_t, std::uint64_t,
                                           xenium::policy::reclaimer<xenium_reclaimer>,
                                           xenium::policy::hash<address_hash>>;
  map_type map_;
};

class xenium_harris {
 public:
  static constexpr std::string_view name = "xenium_harris";
  explicit xenium_harris(std::size_t) {}

  bool insert(std::uintptr_t key, std::uint64_t value) { return map_.emplace(key, value); }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    const auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  bool erase(std::uintptr_t key) { return map_.erase(key); }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  using map_type = xenium::harris_michael_hash_map<
      std::uintptr_t, std::uint64_t, xenium::policy::reclaimer<xenium_reclaimer>,
      xenium::policy::hash<address_hash>, xenium::policy::buckets<std::size_t{1} << 16>>;
  // find and end are not const in xenium 0.0.2; a lookup changes nothing a reader could see.
  mutable map_type map_;
};

}  // namespace enlist::bench
