#include "backend_list.hpp"  // declares add_<name>
#include "backends/cuckoo.hpp"

namespace enlist::bench {

void add_cuckoo(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_peer<cuckoo>(out, p, rank);
}

}  // namespace enlist::bench
