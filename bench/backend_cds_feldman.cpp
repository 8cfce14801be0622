#include "backend_list.hpp"  // declares add_<name>
#include "backends/cds_feldman.hpp"

namespace enlist::bench {

void add_cds_feldman(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<cds_feldman>(out, p, rank);
}

}  // namespace enlist::bench
