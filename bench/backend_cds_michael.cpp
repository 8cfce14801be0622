#include "backend_list.hpp"  // declares add_<name>
#include "backends/cds_michael.hpp"

namespace enlist::bench {

void add_cds_michael(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<cds_michael>(out, p, rank);
}

}  // namespace enlist::bench
