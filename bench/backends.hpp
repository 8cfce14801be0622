#pragma once
// Every backend of the suite, one translation unit each (backend_<name>.cpp), so that a peer's
// headers, and the warnings they may raise, stay in its own unit.

#include <vector>

#include "workloads.hpp"

namespace enlist::bench {

using add_backend_fn = void (*)(std::vector<bench_spec>&, const profile&, int rank);

void add_enlist(std::vector<bench_spec>&, const profile&, int rank);
void add_tbb_hash_map(std::vector<bench_spec>&, const profile&, int rank);
void add_tbb_unordered_map(std::vector<bench_spec>&, const profile&, int rank);
void add_cuckoo(std::vector<bench_spec>&, const profile&, int rank);
void add_cds_michael(std::vector<bench_spec>&, const profile&, int rank);
void add_cds_feldman(std::vector<bench_spec>&, const profile&, int rank);
void add_urcu_lfht(std::vector<bench_spec>&, const profile&, int rank);
void add_mutex_map(std::vector<bench_spec>&, const profile&, int rank);
void add_sharded_map(std::vector<bench_spec>&, const profile&, int rank);
void add_limit(std::vector<bench_spec>&, const profile&, int rank);

}  // namespace enlist::bench
