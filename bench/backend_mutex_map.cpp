#include "backend_list.hpp"  // declares add_<name>
#include "backends/mutex_map.hpp"

namespace enlist::bench {

void add_mutex_map(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<mutex_map>(out, p, rank);
}

}  // namespace enlist::bench
