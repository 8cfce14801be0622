#pragma once
// enlist's own lock-free map, bare (the map-level workloads; at registry level enlist is
// enlist::registry itself, see backends.hpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "enlist/concurrent_map.hpp"

namespace enlist::bench {

class enlist_map {
 public:
  static constexpr std::string_view name = "enlist";
  explicit enlist_map(std::size_t expected) : map_(expected) {}

  bool insert(std::uintptr_t key, std::uint64_t value) noexcept {
    return map_.insert(key, value) == map_status::ok;
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const noexcept {
    const map_result r = map_.find(key);
    if (!r) return std::nullopt;
    return r.value;
  }
  bool erase(std::uintptr_t key) noexcept { return static_cast<bool>(map_.erase(key)); }
  static void attach_thread() noexcept {}  // enlist registers threads by itself
  static void quiesce() noexcept {}

 private:
  concurrent_map map_;
};

}  // namespace enlist::bench
