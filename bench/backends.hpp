#pragma once
// What a backend of the suite provides: backend_<name>.cpp defines add_<name>, which registers
// its benchmarks. One translation unit per backend, so that a peer's headers, and the warnings
// they may raise, stay in its own unit. The list of backends is bench/CMakeLists.txt's
// enlist_bench_backend() calls, from which the build generates backend_list.hpp.

#include <vector>

#include "workloads.hpp"

namespace enlist::bench {

using add_backend_fn = void (*)(std::vector<bench_spec>&, const profile&, int rank);

}  // namespace enlist::bench
