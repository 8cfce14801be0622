#include "backend_list.hpp"  // declares add_<name>
#include "backends/boost_cfm.hpp"

namespace enlist::bench {

void add_boost_cfm(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<boost_cfm>(out, p, rank);
}

}  // namespace enlist::bench
