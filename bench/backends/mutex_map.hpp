#pragma once
// std::unordered_map under one std::mutex: what a provider writes first.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "enlist/hash.hpp"

namespace enlist::bench {

class mutex_map {
 public:
  static constexpr std::string_view name = "mutex_map";
  explicit mutex_map(std::size_t expected) { map_.reserve(expected); }

  bool insert(std::uintptr_t key, std::uint64_t value) {
    const std::lock_guard lock(mutex_);
    return map_.try_emplace(key, value).second;
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    const std::lock_guard lock(mutex_);
    const auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  bool erase(std::uintptr_t key) {
    const std::lock_guard lock(mutex_);
    return map_.erase(key) != 0;
  }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uintptr_t, std::uint64_t, address_hash> map_;
};

}  // namespace enlist::bench
