#pragma once
// enlist's lock-free maps, bare (the map-level workloads; at registry level enlist is
// enlist::registry itself, see backends.hpp): the map the registry uses, and the next one,
// tagged_map, measured beside it in every run so that one process compares the two. tagged_map's
// table has the capacity it is built with: sized_for(live) at its load of 0.45 leaves room for
// each workload's keys in flight.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "enlist/concurrent_map.hpp"
#include "enlist/tagged_map.hpp"

namespace enlist::bench {

template <class Map>
class bare_enlist_map {
 public:
  explicit bare_enlist_map(std::size_t expected) : map_(expected) {}

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
  Map map_;
};

struct enlist_map : bare_enlist_map<concurrent_map> {
  static constexpr std::string_view name = "enlist";
  using bare_enlist_map::bare_enlist_map;
};

struct enlist_tagged_map : bare_enlist_map<tagged_map<>> {
  static constexpr std::string_view name = "enlist_tagged";
  using bare_enlist_map::bare_enlist_map;
};

}  // namespace enlist::bench
