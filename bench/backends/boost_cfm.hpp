#pragma once
// boost::concurrent_flat_map (Boost 1.88, from Debian 13's libboost1.88-dev, unpacked by
// bench/run.sh): open addressing over groups of 15 slots behind a 16-byte metadata word (one
// reduced-hash byte per slot, matched with SIMD, and an overflow byte); a read-write spinlock per
// group, which lookups take too, and an insert counter per group that catches racing inserts of
// one key into different groups. Erased slots are reused at once; a rehash takes every lock.
// The hash is enlist::address_hash, declared avalanching (every input bit reaches every output
// bit), so that Boost uses it as it is instead of mixing it again: how a user with a good hash
// runs it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include <boost/unordered/concurrent_flat_map.hpp>

#include "enlist/hash.hpp"

namespace enlist::bench {

class boost_cfm {
 public:
  static constexpr std::string_view name = "boost_cfm";
  explicit boost_cfm(std::size_t expected) { map_.reserve(expected); }

  bool insert(std::uintptr_t key, std::uint64_t value) { return map_.emplace(key, value); }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    std::optional<std::uint64_t> found;
    map_.cvisit(key, [&found](const auto& entry) { found = entry.second; });
    return found;
  }
  bool erase(std::uintptr_t key) { return map_.erase(key) != 0; }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  struct hash : address_hash {
    using is_avalanching = std::true_type;
  };
  boost::concurrent_flat_map<std::uintptr_t, std::uint64_t, hash> map_;
};

}  // namespace enlist::bench
