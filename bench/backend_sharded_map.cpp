#include "backend_list.hpp"  // declares add_<name>
#include "backends/sharded_map.hpp"

namespace enlist::bench {

void add_sharded_map(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<sharded_map>(out, p, rank);
}

}  // namespace enlist::bench
