#pragma once
// What a static initialiser of another translation unit saw when it used a map before main
// (fence_static_init_user.cpp), for fence_static_init_test.cpp to compare with what main sees.

#include <cstdint>

namespace enlist::test {

struct static_init_use {
  bool ran = false;                // the initialiser ran (before main)
  bool process_barrier = false;    // uses_process_barrier() at its start
  std::uint64_t heavy_fences = 0;  // heavy fences it issued (its reclaim() needs them)
  std::uint64_t migrations = 0;    // the map's migrations (so tables were retired and freed)
  bool all_found = false;          // every key it inserted was found
};

const static_init_use& map_use_before_main();

}  // namespace enlist::test
