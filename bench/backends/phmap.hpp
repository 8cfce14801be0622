#pragma once
// phmap::parallel_flat_hash_map (parallel-hashmap 1.4.1, from Debian 13's libparallel-hashmap-dev,
// unpacked by bench/run.sh): 16 SwissTables (phmap's default N = 4), each under its own lock, the
// submap picked by hash bits. With std::mutex every call locks its submap; with
// std::shared_mutex lookups take it shared, which lets readers of one submap overlap but costs an
// RMW on the lock word either way. Lookups go through if_contains, phmap's thread-safe read (its
// find hands out an iterator that the lock does not cover). The hash is enlist::address_hash.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <utility>

#include <parallel_hashmap/phmap.h>

#include "enlist/hash.hpp"

namespace enlist::bench {

template <class Mutex>
class basic_phmap {
 public:
  static constexpr std::string_view name =
      std::is_same_v<Mutex, std::shared_mutex> ? "phmap_shared" : "phmap";
  explicit basic_phmap(std::size_t expected) { map_.reserve(expected); }

  bool insert(std::uintptr_t key, std::uint64_t value) {
    return map_.try_emplace(key, value).second;
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    std::optional<std::uint64_t> found;
    map_.if_contains(key, [&found](const auto& entry) { found = entry.second; });
    return found;
  }
  bool erase(std::uintptr_t key) { return map_.erase(key) != 0; }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  phmap::parallel_flat_hash_map<
      std::uintptr_t, std::uint64_t, address_hash, std::equal_to<std::uintptr_t>,
      std::allocator<std::pair<const std::uintptr_t, std::uint64_t>>, 4, Mutex>
      map_;
};

using phmap_mutex = basic_phmap<std::mutex>;
using phmap_shared = basic_phmap<std::shared_mutex>;

}  // namespace enlist::bench
