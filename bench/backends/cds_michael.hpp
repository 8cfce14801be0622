#pragma once
// libcds MichaelHashMap over MichaelKVList with hazard pointers: a fixed array of lock-free
// ordered lists (Michael 2002). It does not grow: sized for the expected keys, load factor 1.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include <cds/container/michael_kvlist_hp.h>
#include <cds/container/michael_map.h>

#include "backends/cds_runtime.hpp"
#include "enlist/hash.hpp"

namespace enlist::bench {

class cds_michael {
 public:
  static constexpr std::string_view name = "cds_michael";
  explicit cds_michael(std::size_t expected) : map_((cds_runtime::attach_thread(), expected), 1) {}

  bool insert(std::uintptr_t key, std::uint64_t value) { return map_.insert(key, value); }
  std::optional<std::uint64_t> find(std::uintptr_t key) const { return cds_find(map_, key); }
  bool erase(std::uintptr_t key) { return map_.erase(key); }
  static void attach_thread() { cds_runtime::attach_thread(); }
  static void quiesce() { cds_runtime::quiesce(); }

 private:
  struct list_traits : cds::container::michael_list::traits {
    using less = std::less<std::uintptr_t>;
  };
  using list_type =
      cds::container::MichaelKVList<cds::gc::HP, std::uintptr_t, std::uint64_t, list_traits>;
  struct map_traits : cds::container::michael_map::traits {
    using hash = address_hash;
  };
  using map_type = cds::container::MichaelHashMap<cds::gc::HP, list_type, map_traits>;
  map_type map_;
};

}  // namespace enlist::bench
