// A map used from a static initialiser: inserts that grow it through migrations, erases, and a
// reclaim() that frees the retired tables (a heavy fence), all before main and in an order with
// respect to the library's own translation units that the language leaves unspecified.

#include "reclaim/fence_static_init_user.hpp"

#include "enlist/concurrent_map.hpp"
#include "enlist/reclaim/asymmetric_fence.hpp"
#include "support/keys.hpp"

namespace enlist::test {

namespace {

static_init_use use_map() {
  static_init_use use;
  use.ran = true;
  use.process_barrier = reclaim::uses_process_barrier();
  const std::uint64_t fences = reclaim::heavy_fence_count();
  concurrent_map map;
  constexpr std::uint64_t keys = 5000;
  for (std::uint64_t i = 0; i < keys; ++i)
    static_cast<void>(map.insert(address(i), value_for(i)));
  use.all_found = true;
  for (std::uint64_t i = 0; i < keys; ++i)
    use.all_found = use.all_found && map.find(address(i)).value == value_for(i);
  for (std::uint64_t i = 0; i < keys; ++i)
    static_cast<void>(map.erase(address(i)));
  map.reclaim();
  use.migrations = map.stats().migrations;
  use.heavy_fences = reclaim::heavy_fence_count() - fences;
  return use;
}

const static_init_use used_before_main = use_map();

}  // namespace

const static_init_use& map_use_before_main() {
  return used_before_main;
}

}  // namespace enlist::test
