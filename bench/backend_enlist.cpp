#include "backend_list.hpp"  // declares add_<name>
#include "backends/enlist_map.hpp"

namespace enlist::bench {

void add_enlist(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_map_backend<enlist_map>(out, p, rank);            // the bare map
  add_map_backend<enlist_tagged_map>(out, p, rank);     // the next map, beside it
  add_contract_backend<enlist_registry>(out, p, rank);  // the real registry
}

}  // namespace enlist::bench
