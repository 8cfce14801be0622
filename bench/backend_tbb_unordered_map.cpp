#include "backend_list.hpp"  // declares add_<name>
#include "backends/tbb_unordered_map.hpp"

namespace enlist::bench {

void add_tbb_unordered_map(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<tbb_unordered_map>(out, p, rank);
}

}  // namespace enlist::bench
