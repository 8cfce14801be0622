#include "backend_list.hpp"  // declares add_<name>
#include "backends/phmap.hpp"

namespace enlist::bench {

void add_phmap_shared(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<phmap_shared>(out, p, rank);
}

}  // namespace enlist::bench
