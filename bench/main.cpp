// The enlist benchmark suite: enlist's registry and map side by side with its peers, in one run.
//
//   enlist_bench [--profile=quick|default|full] [Google Benchmark flags]
//
// Profiles (bench/run.sh picks one and the repetitions; see bench/README.md):
//   quick    10,000 live sessions, 1/2/64 threads, uniform access: the CI smoke run.
//   default  10,000 live at 1/2/16/64 threads, uniform and Zipf; 1,000 to 1,000,000 live at 2
//            threads, the read-mostly mixes at 1,000,000 at 1/2 threads; latency at 64
//            threads; memory at every size.
//   full     as default, with the size sweep at 1/2/16/64 threads and latency at 2/16/64.
// A round lasts 5 (quick), 10 (default) or 25 ms (full) per core's worth of threads.
// Every profile starts with the calibration workload (workloads.hpp).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "backend_list.hpp"
#include "bench_config.hpp"

namespace eb = enlist::bench;

namespace {

eb::profile make_profile(std::string_view name) {
  eb::profile p;
  p.name = std::string(name);
  if (name == "quick") {
    p.round = std::chrono::milliseconds(5);
    p.threads = {1, 2, 64};
    p.accesses = {eb::access::uniform};
    p.latency_threads = {64};
    p.memory_live = {10000};
  } else if (name == "full") {
    p.mix_live = {1000000};
    p.mix_threads = {1, 2, 16, 64};
    p.round = std::chrono::milliseconds(25);
    p.live_sweep = {1000, 100000, 1000000};
    p.threads = {1, 2, 16, 64};
    p.sweep_threads = {1, 2, 16, 64};
    p.accesses = {eb::access::uniform, eb::access::zipf};
    p.latency_threads = {2, 16, 64};
    p.memory_live = {1000, 10000, 100000, 1000000};
  } else if (name == "default") {
    p.round = std::chrono::milliseconds(10);
    p.live_sweep = {1000, 100000, 1000000};
    p.threads = {1, 2, 16, 64};
    p.sweep_threads = {2};
    p.accesses = {eb::access::uniform, eb::access::zipf};
    p.latency_threads = {64};
    p.memory_live = {1000, 10000, 100000, 1000000};
    p.mix_live = {1000000};
    p.mix_threads = {1, 2};
  } else {
    p.name.clear();  // unknown: main refuses it
  }
  return p;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  std::string profile_name = "default";
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    constexpr std::string_view flag = "--profile=";
    if (std::string_view(argv[i]).substr(0, flag.size()) == flag) {
      profile_name = argv[i] + flag.size();
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;

  const eb::profile p = make_profile(profile_name);
  if (p.name.empty()) {
    std::fprintf(stderr, "unknown profile '%s': quick, default or full\n", profile_name.c_str());
    return 2;
  }
  eb::round_per_core_share() = p.round;
  std::size_t max_live = p.base_live;
  for (auto n : p.live_sweep)
    max_live = std::max(max_live, n);
  for (auto n : p.memory_live)
    max_live = std::max(max_live, n);
  for (auto n : p.mix_live)
    max_live = std::max(max_live, n);
  eb::state_arena::reserve(max_live);

  // Backends in report order (bench/CMakeLists.txt): enlist first, the limit proxy last.
  std::vector<eb::bench_spec> specs;
  eb::add_calibration(specs, p);
  int rank = 0;
  for (auto add : eb::all_backends)
    add(specs, p, rank++);
  std::stable_sort(specs.begin(), specs.end(), [](const auto& a, const auto& b) {
    if (a.workload != b.workload) return a.workload < b.workload;
    if (a.variant != b.variant) return a.variant < b.variant;
    return a.backend < b.backend;
  });
  for (const auto& s : specs) {
    switch (s.kind) {
      case eb::run_kind::rounds:
        // One benchmark per thread count; the thread group does the threading and the timing.
        for (const int t : s.threads) {
          const std::string name = s.name + "/threads:" + std::to_string(t);
          benchmark::RegisterBenchmark(name.c_str(), [run = s.run, t](benchmark::State& st) {
            run(st, t);
          })->UseManualTime();
        }
        break;
      case eb::run_kind::gbench_threads: {
        auto* b = benchmark::RegisterBenchmark(
            s.name.c_str(), [run = s.run](benchmark::State& st) { run(st, st.threads()); });
        for (const int t : s.threads)
          b->Threads(t);
        b->UseRealTime();
        break;
      }
      case eb::run_kind::once:
        benchmark::RegisterBenchmark(s.name.c_str(),
                                     [run = s.run](benchmark::State& st) { run(st, 1); })
            ->Iterations(1)
            ->Repetitions(1)
            ->ReportAggregatesOnly(false)
            ->UseRealTime();
        break;
    }
  }

  benchmark::AddCustomContext("enlist_profile", p.name);
  // How multi-threaded time is taken (support/thread_group.hpp); report.py reads it.
  benchmark::AddCustomContext("enlist_method", "wall_clock_rounds");
  benchmark::AddCustomContext("enlist_round_ms_per_core_share", std::to_string(p.round.count()));
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("compiler", ENLIST_BENCH_COMPILER);
  benchmark::AddCustomContext("cxx_flags", ENLIST_BENCH_CXX_FLAGS);
  benchmark::AddCustomContext("build_type", ENLIST_BENCH_BUILD_TYPE);
  benchmark::AddCustomContext("packages", ENLIST_BENCH_PACKAGES);
  benchmark::AddCustomContext("enlist_commit", ENLIST_BENCH_COMMIT);

  benchmark::RunSpecifiedBenchmarks();
  eb::thread_group::instance().close();
  eb::world_cache::clear();
  benchmark::Shutdown();
  return 0;
}
