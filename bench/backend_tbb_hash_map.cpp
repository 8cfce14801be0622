#include "backend_list.hpp"  // declares add_<name>
#include "backends/tbb_hash_map.hpp"

namespace enlist::bench {

void add_tbb_hash_map(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<tbb_hash_map>(out, p, rank);
}

}  // namespace enlist::bench
