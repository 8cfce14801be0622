#pragma once
// libcds FeldmanHashMap with hazard pointers: a multi-level array indexed by the bits of the
// key's hash (Feldman, Laborde, Dechev). It compares hashes, not keys, so the hash must be
// perfect: enlist::address_hash (fmix64) is a bijection on 64-bit words, so it is.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <cds/container/feldman_hashmap_hp.h>

#include "backends/cds_runtime.hpp"
#include "enlist/hash.hpp"

namespace enlist::bench {

class cds_feldman {
 public:
  static constexpr std::string_view name = "cds_feldman";
  // The head array has 2^8 slots and each level 2^4 (the library's defaults); the map grows by
  // levels and takes no size hint.
  explicit cds_feldman(std::size_t) : map_((cds_runtime::attach_thread(), 8), 4) {}

  bool insert(std::uintptr_t key, std::uint64_t value) { return map_.insert(key, value); }
  std::optional<std::uint64_t> find(std::uintptr_t key) const { return cds_find(map_, key); }
  bool erase(std::uintptr_t key) { return map_.erase(key); }
  static void attach_thread() { cds_runtime::attach_thread(); }
  static void quiesce() { cds_runtime::quiesce(); }

 private:
  struct traits : cds::container::feldman_hashmap::traits {
    using hash = address_hash;
  };
  using map_type =
      cds::container::FeldmanHashMap<cds::gc::HP, std::uintptr_t, std::uint64_t, traits>;
  map_type map_;
};

}  // namespace enlist::bench
