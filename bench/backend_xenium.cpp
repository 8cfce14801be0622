#include "backend_list.hpp"  // declares add_<name>
#include "backends/xenium_maps.hpp"

namespace enlist::bench {

// Both of xenium's maps in one translation unit: they share the reclaimer's thread_local state,
// a template member whose TLS init function MinGW-w64 would otherwise define in each unit (a
// duplicate symbol at link time).
void add_xenium(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<xenium_vyukov>(out, p, rank);
  add_peer<xenium_harris>(out, p, rank);
}

}  // namespace enlist::bench
