#pragma once
// 64 shards, each an absl::flat_hash_map under its own std::mutex (on its own cache line); the
// top 6 bits of the hash pick the shard, the map uses the whole hash (its probing uses the low
// bits, its control bytes the lowest 7).

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include <absl/container/flat_hash_map.h>

#include "enlist/hash.hpp"

namespace enlist::bench {

class sharded_map {
 public:
  static constexpr std::string_view name = "sharded_map";
  static constexpr std::size_t shard_bits = 6;

  explicit sharded_map(std::size_t expected) {
    for (auto& s : shards_)
      s.map.reserve(expected / shards_.size() + expected / 16 / shards_.size() + 8);
  }

  bool insert(std::uintptr_t key, std::uint64_t value) {
    const std::uint64_t h = address_hash{}(key);
    shard& s = shards_[h >> (64 - shard_bits)];
    const std::lock_guard lock(s.mutex);
    return s.map.try_emplace(key, value).second;
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    const std::uint64_t h = address_hash{}(key);
    const shard& s = shards_[h >> (64 - shard_bits)];
    const std::lock_guard lock(s.mutex);
    const auto it = s.map.find(key);
    if (it == s.map.end()) return std::nullopt;
    return it->second;
  }
  bool erase(std::uintptr_t key) {
    const std::uint64_t h = address_hash{}(key);
    shard& s = shards_[h >> (64 - shard_bits)];
    const std::lock_guard lock(s.mutex);
    return s.map.erase(key) != 0;
  }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  struct alignas(64) shard {
    mutable std::mutex mutex;
    absl::flat_hash_map<std::uintptr_t, std::uint64_t, address_hash> map;
  };
  std::array<shard, std::size_t{1} << shard_bits> shards_;
};

}  // namespace enlist::bench
