#pragma once
// oneTBB tbb::concurrent_unordered_map: split-ordered lists, lock-free insert and lookup, but no
// concurrent-safe erase (only unsafe_erase). Erase is therefore EMULATED by a tombstone: the
// mapped value is an atomic word, 0 meaning erased; insert revives a tombstone with a CAS, erase
// CASes the value to 0, find treats 0 as absent. Nodes are never freed while the map lives, so
// its memory grows with every distinct key ever begun (here bounded by the states the suite
// uses). The report says so next to every number of this backend.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <tbb/concurrent_unordered_map.h>

#include "enlist/hash.hpp"

namespace enlist::bench {

class tbb_unordered_map {
 public:
  static constexpr std::string_view name = "tbb_unordered_map";
  explicit tbb_unordered_map(std::size_t expected) : map_(expected) {}

  bool insert(std::uintptr_t key, std::uint64_t value) {
    auto it = map_.find(key);
    if (it == map_.end()) it = map_.emplace(key, 0).first;  // a racing emplace of key loses
    std::uint64_t expected = 0;
    return it->second.compare_exchange_strong(expected, value + 1, std::memory_order_release,
                                              std::memory_order_relaxed);
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    const auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    const std::uint64_t w = it->second.load(std::memory_order_acquire);
    if (w == 0) return std::nullopt;
    return w - 1;
  }
  bool erase(std::uintptr_t key) {
    const auto it = map_.find(key);
    if (it == map_.end()) return false;
    std::uint64_t w = it->second.load(std::memory_order_relaxed);
    while (w != 0) {
      if (it->second.compare_exchange_weak(w, 0, std::memory_order_acq_rel,
                                           std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  using map_type = tbb::concurrent_unordered_map<
      std::uintptr_t, std::atomic<std::uint64_t>, address_hash, std::equal_to<std::uintptr_t>,
      std::allocator<std::pair<const std::uintptr_t, std::atomic<std::uint64_t>>>>;
  map_type map_;
};

template <>
inline constexpr bool keeps_erased_keys<tbb_unordered_map> = true;

}  // namespace enlist::bench
