#include "backend_list.hpp"  // declares add_<name>
#include "backends/urcu_lfht.hpp"

namespace enlist::bench {

void add_urcu_lfht(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<urcu_lfht>(out, p, rank);
}

}  // namespace enlist::bench
