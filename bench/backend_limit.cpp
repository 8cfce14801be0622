#include "backend_list.hpp"  // declares add_<name>
#include "backends/limit.hpp"

namespace enlist::bench {

void add_limit(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<limit_map>(out, p, rank);
}

}  // namespace enlist::bench
