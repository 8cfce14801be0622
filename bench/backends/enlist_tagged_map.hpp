#pragma once
// enlist's next map, tagged_map, bare: measured beside enlist's current map in every run, so that
// one process compares the two (map-level workloads only: the registry still uses
// concurrent_map). Its table has the capacity it is built with: sized_for(live) at a load of
// 0.45 leaves room for each workload's keys in flight.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "enlist/tagged_map.hpp"

namespace enlist::bench {

class enlist_tagged_map {
 public:
  static constexpr std::string_view name = "enlist_tagged";
  explicit enlist_tagged_map(std::size_t expected) : map_(expected) {}

  bool insert(std::uintptr_t key, std::uint64_t value) noexcept {
    return map_.insert(key, value) == map_status::ok;
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const noexcept {
    const map_result r = map_.find(key);
    if (!r) return std::nullopt;
    return r.value;
  }
  bool erase(std::uintptr_t key) noexcept { return static_cast<bool>(map_.erase(key)); }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  tagged_map<> map_;
};

}  // namespace enlist::bench
