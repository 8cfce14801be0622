#pragma once
// oneTBB tbb::concurrent_hash_map: chained buckets with per-bucket reader-writer spin locks;
// readers take a const_accessor (a read lock). Given std::allocator so that every backend
// allocates through the same malloc (tbb's default allocator would use tbbmalloc when present).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <tbb/concurrent_hash_map.h>

#include "enlist/hash.hpp"

namespace enlist::bench {

class tbb_hash_map {
 public:
  static constexpr std::string_view name = "tbb_hash_map";
  explicit tbb_hash_map(std::size_t expected) : map_(expected) {}

  bool insert(std::uintptr_t key, std::uint64_t value) {
    return map_.insert(std::pair<const std::uintptr_t, std::uint64_t>(key, value));
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    map_type::const_accessor a;
    if (!map_.find(a, key)) return std::nullopt;
    return a->second;
  }
  bool erase(std::uintptr_t key) { return map_.erase(key); }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  struct hash_compare {
    static std::size_t hash(std::uintptr_t key) noexcept { return address_hash{}(key); }
    static bool equal(std::uintptr_t a, std::uintptr_t b) noexcept { return a == b; }
  };
  using map_type =
      tbb::concurrent_hash_map<std::uintptr_t, std::uint64_t, hash_compare,
                               std::allocator<std::pair<const std::uintptr_t, std::uint64_t>>>;
  map_type map_;
};

}  // namespace enlist::bench
