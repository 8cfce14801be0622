#pragma once
// libcuckoo cuckoohash_map: bucketized cuckoo hashing (4 slots per bucket) under striped spin
// locks; every operation locks the two buckets of its key.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <libcuckoo/cuckoohash_map.hh>

#include "enlist/hash.hpp"

namespace enlist::bench {

class cuckoo {
 public:
  static constexpr std::string_view name = "cuckoo";
  explicit cuckoo(std::size_t expected) : map_(expected) {}

  bool insert(std::uintptr_t key, std::uint64_t value) { return map_.insert(key, value); }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    std::uint64_t value;
    if (!map_.find(key, value)) return std::nullopt;
    return value;
  }
  bool erase(std::uintptr_t key) { return map_.erase(key); }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  libcuckoo::cuckoohash_map<std::uintptr_t, std::uint64_t, address_hash,
                            std::equal_to<std::uintptr_t>,
                            std::allocator<std::pair<const std::uintptr_t, std::uint64_t>>>
      map_;
};

}  // namespace enlist::bench
