#pragma once
// The workloads, written once and instantiated for every backend.
//
// Benchmark names are <workload>/<backend>/<live sessions>[/<access>]/threads:<n>, then Google
// Benchmark's /manual_time. Every benchmark reports items_per_second (operations of the kind the
// workload names, summed over threads, per second of wall time: support/thread_group.hpp says
// how that time is taken and why it is not Google Benchmark's own), the spread of operations
// over threads (thread_ops_min, thread_ops_max: the fewest and most operations a thread
// completed in a round, over the mean, worst round) and a `failures` counter: the operations
// whose result was not the one the workload expects (always 0 for a correct backend; anything
// else means the benchmark measured something other than it says), also as failures_per_item.
// The limit proxy fails on collisions by design, at most 1 in 8 calls of a key (2 failures per
// begin/end pair whose begin collided); the report flags it beyond 0.25 failures per item.
//
// Calibration (no backend):
//   calibration   100 dependent multiply-adds per operation, nothing shared: its throughput at
//                 n threads can be at most min(n, cores) times its 1-thread throughput, so a run
//                 whose calibration scales past the cores has measured something else than
//                 throughput. Registered twice: wall_clock (this suite's method) and
//                 gbench_threads (Google Benchmark's own ->Threads()->UseRealTime()), so that
//                 every report shows what the check catches.
// Registry level (the session contract; enlist = enlist::registry, peers = session_contract<map>):
//   begin_end     begin(role, s) then end(s) of a state of the thread's own, N others live.
//                 One item = one begin + end pair.
//   lookup_hit    is_enlisted(s) of a live session: the lookup half of a successful end (a
//                 real end cannot repeat without a begin; begin_end measures the pair).
//   end_miss      end(s) of a state never begun: the error path, SYNC_E_INVALID_OPERATION.
//   release       begin + end pairs on 16 states that two providers (two registries, threads
//                 2k and 2k+1) begin and end at once: the reference release with the state
//                 shared by another holder, its count's cache line moving between cores.
//   provider_mix  blocks of 16: begin(own), 13 lookups of live sessions, one end miss, end(own).
//                 One item = one call.
//   latency       per-call latency (p50_ns, p99_ns, p999_ns counters) of the begin_end calls
//                 (each begin and each end timed) and of provider_mix (each call), measured
//                 inside the same rounds: a sample is one call's own duration, preemption
//                 included. The begins and the successful ends are also counted apart
//                 (begin_p99_ns, begin_p999_ns, end_p99_ns, end_p999_ns): a map may put work on
//                 one of the two (enlist's begins carry its migration steps; its ends never do).
//   memory        heap bytes held per live session after beginning N sessions
//                 (bytes_per_session counter; mallinfo2 delta, see support/heap.hpp).
// Map level (enlist's bare map against peers' maps, no contract):
//   map_begin_end insert then erase of a key of the thread's own, N others live.
//   map_find_hit  find of a live key.   map_find_miss  find of a key never inserted.
//   map_churn     insert then erase of an always-new key, N others live: sessions whose states
//                 are new allocations, never an address seen before. Unlike map_begin_end, whose
//                 4096 keys per thread come back, no key is ever reused, so tables that keep
//                 erased keys (tombstones) must clean up as they go.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "interface/map_adapter.hpp"
#include "interface/session_contract.hpp"
#include "support/access.hpp"
#include "support/heap.hpp"
#include "support/interconnect.hpp"
#include "support/latency.hpp"
#include "support/states.hpp"
#include "support/thread_group.hpp"
#include "support/world.hpp"

namespace enlist::bench {

// What a profile runs. Sizes are live sessions; the sweep repeats the main workloads at each.
struct profile {
  std::string name;
  std::chrono::milliseconds round{10};  // a round's wall time per core's worth of threads
  std::size_t base_live = 10000;
  std::vector<std::size_t> live_sweep;  // besides base_live
  std::vector<int> threads;             // at base_live
  std::vector<int> sweep_threads;       // at the other sizes
  std::vector<access> accesses;         // for lookup_hit and provider_mix at base_live
  std::vector<int> latency_threads;
  std::vector<std::size_t> memory_live;
  std::vector<std::size_t> mix_live;  // the read-mostly mixes, besides base_live
  std::vector<int> mix_threads;       // at mix_live
};

// How a benchmark is run.
enum class run_kind {
  rounds,          // a thread group per thread count, wall-clock manual time (thread_group.hpp)
  gbench_threads,  // Google Benchmark's own threads and per-thread timing (calibration only)
  once,            // a measurement, not a loop: one iteration, one repetition
};

// One benchmark to register (one per thread count); main sorts them so that backends interleave
// within a workload.
struct bench_spec {
  int workload = 0;         // rank of the workload
  std::size_t variant = 0;  // live size, access...: order within the workload
  int backend = 0;          // rank of the backend
  std::string name;         // without the thread count
  std::function<void(benchmark::State&, int threads)> run;
  std::vector<int> threads;
  run_kind kind = run_kind::rounds;
};

inline constexpr std::size_t ring = 4096;        // pre-generated targets per thread
inline constexpr std::size_t release_pool = 16;  // states a pair of providers shares
inline constexpr std::size_t mix_lookups = 13;   // lookups per provider_mix block of 16 calls

inline std::size_t sized_for(std::size_t live) {
  return live + max_threads;  // the live sessions and one in flight per thread
}

inline sync_provider_role role_of_thread(int thread) {
  return (thread & 1) != 0 ? sync_provider_role::destination : sync_provider_role::source;
}

// The wall time of a round per core's worth of threads; main sets it from the profile.
inline std::chrono::nanoseconds& round_per_core_share() {
  static std::chrono::nanoseconds duration = std::chrono::milliseconds(10);
  return duration;
}

// A round of n threads lasts the profile's share times n / cores (at least once): every thread
// then gets about the same CPU time whatever n is, several scheduler slices of it, so that threads
// beyond the cores take part in every round instead of waiting for a slice that never comes.
inline std::chrono::nanoseconds round_duration(int threads) {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return round_per_core_share() * std::max(1, (threads + cores - 1) / cores);
}

// Runs rounds of `body` on `threads` threads for as many iterations as Google Benchmark asks,
// each round's wall span as the iteration's manual time, and reports items (operations times
// items_per_operation), failures and the spread of operations over threads.
inline void measure(benchmark::State& st, int threads, const round_body& body,
                    std::int64_t items_per_operation, std::int64_t setup_failures) {
  thread_group& group = thread_group::instance();
  const thread_group::caller_pinning pinned(group);
  const interconnect_sample machine = measure_interconnect(group);
  std::uint64_t operations = 0;
  std::int64_t failures = setup_failures;
  double min_share = 1, max_share = 1;
  for (auto _ : st) {
    const round_result r = group.run(threads, round_duration(threads), body);
    st.SetIterationTime(r.seconds);
    operations += r.operations;
    failures += r.failures;
    const double mean = static_cast<double>(r.operations) / threads;
    if (mean > 0) {
      min_share = std::min(min_share, static_cast<double>(r.min_thread) / mean);
      max_share = std::max(max_share, static_cast<double>(r.max_thread) / mean);
    }
  }
  const auto items = static_cast<std::int64_t>(operations) * items_per_operation;
  st.SetItemsProcessed(items);
  st.counters["failures"] = benchmark::Counter(static_cast<double>(failures));
  // What the report holds the limit proxy to: its collisions are bounded per item, a defect's
  // failures are not.
  st.counters["failures_per_item"] =
      items > 0 ? static_cast<double>(failures) / static_cast<double>(items) : 0.0;
  st.counters["thread_ops_min"] = min_share;
  st.counters["thread_ops_max"] = max_share;
  st.counters["interconnect_ns"] = machine.interconnect_ns;
  st.counters["memory_ns"] = machine.memory_ns;
}

// A thread's position in its rings, kept from round to round; a line of its own.
struct alignas(64) cursor {
  std::size_t i = 0, j = 0, k = 0;
  std::uintptr_t key = 0;
  std::uint64_t in = 0, out = 0;  // the mixes' inserts (begins) and erases (ends) so far
  std::uint64_t same = 0;         // lifecycle: begins of the address just ended
};

// The scaffold of every workload below: rounds of `threads` threads of backend X, each attached
// first (X::attach_thread), and X's deferred frees drained after (X::quiesce), so that they do
// not run during the next benchmark. per_thread(t, cursor) prepares thread t and returns its
// operation, void(std::int64_t& failures), run until the round ends; it must capture what it
// prepared by value (the preparing call has returned by then) and the cursor by reference,
// which keeps the thread's position from one round to the next. A workload that prepares the
// cursors, or reads them afterwards, passes its own (one per thread).
template <class X, class PerThread>
void measure_threads(benchmark::State& st, int threads, std::int64_t items_per_operation,
                     std::int64_t setup_failures, PerThread&& per_thread,
                     std::vector<cursor>& cursors) {
  cursors.resize(static_cast<std::size_t>(threads));
  measure(
      st, threads,
      [&](int t, const round_signal& signal) {
        X::attach_thread();
        return run_until_stopped(signal, per_thread(t, cursors[static_cast<std::size_t>(t)]));
      },
      items_per_operation, setup_failures);
  X::quiesce();
}

template <class X, class PerThread>
void measure_threads(benchmark::State& st, int threads, std::int64_t items_per_operation,
                     std::int64_t setup_failures, PerThread&& per_thread) {
  std::vector<cursor> cursors;
  measure_threads<X>(st, threads, items_per_operation, setup_failures,
                     std::forward<PerThread>(per_thread), cursors);
}

inline std::vector<const session_state*> live_targets(int thread, access a, std::size_t live) {
  const auto idx = make_indices(a, live, ring, 0x5eed + static_cast<std::uint64_t>(thread));
  std::vector<const session_state*> out(ring);
  for (std::size_t i = 0; i < ring; ++i)
    out[i] = state_arena::get().live(idx[i]);
  return out;
}

// Per-thread lookup targets of a benchmark, made before its first round (never timed).
inline std::vector<std::vector<const session_state*>> targets_per_thread(int threads, access a,
                                                                         std::size_t live) {
  std::vector<std::vector<const session_state*>> out;
  for (int t = 0; t < threads; ++t)
    out.push_back(live_targets(t, a, live));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Worlds

template <class B>
struct contract_world {
  B backend;
  std::size_t live;
  std::int64_t setup_failures = 0;
  explicit contract_world(std::size_t n) : backend(sized_for(n)), live(n) {
    B::attach_thread();
    for (std::size_t i = 0; i < n; ++i) {
      const auto role = (i & 1) != 0 ? sync_provider_role::destination : sync_provider_role::source;
      setup_failures += backend.begin(role, state_arena::get().live(i)) != S_OK;
    }
  }
  ~contract_world() {
    for (std::size_t i = 0; i < live; ++i)
      backend.end(state_arena::get().live(i));
  }
};

// Two providers (source and destination) enlisted in the same N sessions.
template <class B>
struct pair_world {
  contract_world<B> source;
  contract_world<B> destination;
  explicit pair_world(std::size_t n) : source(n), destination(n) {}
};

template <class A>
struct map_world {
  A map;
  explicit map_world(std::size_t n) : map(sized_for(n)) {
    A::attach_thread();
    for (std::size_t i = 0; i < n; ++i)
      map.insert(key_of(state_arena::get().live(i)), i & 1);
  }
};

inline std::string bench_name(std::string_view workload, std::string_view backend, std::size_t live,
                              std::string_view suffix = {}) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "/" + std::string.
  std::string n(workload);
  n.append("/").append(backend).append("/").append(std::to_string(live));
  if (!suffix.empty()) n.append("/").append(suffix);
  return n;
}

template <class W>
W& world_for(std::string_view workload, std::string_view backend, std::size_t live) {
  const std::string key = bench_name(workload, backend, live);
  return world_cache::acquire<W>(key, [live] { return new W(live); });
}

// ---------------------------------------------------------------------------------------------
// Calibration

// 100 dependent multiply-adds (an LCG step each): a few hundred cycles of one core, no memory.
inline std::uint64_t compute_step(std::uint64_t x) {
  for (int k = 0; k < 100; ++k)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x;
}

inline void calibration(benchmark::State& st, int threads) {
  std::vector<cursor> cursors(static_cast<std::size_t>(threads));
  measure(
      st, threads,
      [&](int t, const round_signal& signal) {
        std::uint64_t& x = cursors[static_cast<std::size_t>(t)].key;
        return run_until_stopped(signal, [&](std::int64_t&) {
          x = compute_step(x);
          benchmark::DoNotOptimize(x);
        });
      },
      1, 0);
}

// The same computation timed Google Benchmark's own way (one benchmark thread per thread, each
// timing its own batch): what the wall-clock method replaces, kept so that each report shows it.
inline void calibration_gbench_threads(benchmark::State& st, int) {
  std::uint64_t x = static_cast<std::uint64_t>(st.thread_index());
  for (auto _ : st) {
    x = compute_step(x);
    benchmark::DoNotOptimize(x);
  }
  st.SetItemsProcessed(st.iterations());
}

// ---------------------------------------------------------------------------------------------
// Registry-level workloads

template <class B>
void begin_end(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<contract_world<B>>("begin_end", B::name, live);
  measure_threads<B>(st, threads, 1, w.setup_failures, [&w](int t, cursor& c) {
    return [&w, &c, own = state_arena::get().own(t),
            role = role_of_thread(t)](std::int64_t& failures) {
      bench_state* s = &own[c.i];
      c.i = (c.i + 1) & (own_per_thread - 1);
      const hresult began = w.backend.begin(role, s);
      const hresult ended = w.backend.end(s);
      failures += (began != S_OK) + (ended != S_OK);
    };
  });
}

template <class B>
void lookup_hit(benchmark::State& st, int threads, std::size_t live, access a) {
  auto& w = world_for<contract_world<B>>("lookup_hit", B::name, live);
  const auto targets = targets_per_thread(threads, a, live);
  measure_threads<B>(st, threads, 1, w.setup_failures, [&](int t, cursor& c) {
    return [&w, &c, &mine = targets[static_cast<std::size_t>(t)]](std::int64_t& failures) {
      const bool enlisted = w.backend.is_enlisted(mine[c.i]);
      benchmark::DoNotOptimize(enlisted);
      failures += !enlisted;
      c.i = (c.i + 1) & (ring - 1);
    };
  });
}

template <class B>
void end_miss(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<contract_world<B>>("end_miss", B::name, live);
  measure_threads<B>(st, threads, 1, w.setup_failures, [&w](int t, cursor& c) {
    return [&w, &c, absent = state_arena::get().absent(t)](std::int64_t& failures) {
      const hresult hr = w.backend.end(&absent[c.i]);
      benchmark::DoNotOptimize(hr);
      failures += hr != SYNC_E_INVALID_OPERATION;
      c.i = (c.i + 1) & (absent_per_thread - 1);
    };
  });
}

template <class B>
void release(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<pair_world<B>>("release", B::name, live);
  const std::int64_t setup_failures = w.source.setup_failures + w.destination.setup_failures;
  measure_threads<B>(st, threads, 1, setup_failures, [&w](int t, cursor& c) {
    return [&c, &provider = (t & 1) != 0 ? w.destination.backend : w.source.backend,
            pool = state_arena::get().own(t & ~1).first(release_pool),
            role = role_of_thread(t)](std::int64_t& failures) {
      bench_state* s = &pool[c.i];
      c.i = (c.i + 1) & (release_pool - 1);
      const hresult began = provider.begin(role, s);
      const hresult ended = provider.end(s);
      failures += (began != S_OK) + (ended != S_OK);
    };
  });
}

template <class B>
void provider_mix(benchmark::State& st, int threads, std::size_t live, access a) {
  auto& w = world_for<contract_world<B>>("provider_mix", B::name, live);
  const auto targets = targets_per_thread(threads, a, live);
  measure_threads<B>(st, threads, mix_lookups + 3, w.setup_failures, [&](int t, cursor& c) {
    return
        [&w, &c, &mine = targets[static_cast<std::size_t>(t)], own = state_arena::get().own(t),
         absent = state_arena::get().absent(t), role = role_of_thread(t)](std::int64_t& failures) {
          bench_state* s = &own[c.i];
          failures += w.backend.begin(role, s) != S_OK;
          for (std::size_t k = 0; k < mix_lookups; ++k) {
            failures += !w.backend.is_enlisted(mine[(c.j + k) & (ring - 1)]);
          }
          failures += w.backend.end(&absent[c.i]) != SYNC_E_INVALID_OPERATION;
          failures += w.backend.end(s) != S_OK;
          c.i = (c.i + 1) & (own_per_thread - 1);
          c.j = (c.j + mix_lookups) & (ring - 1);
        };
  });
}

enum class latency_mix { begin_end, provider_mix };

// Each call timed on its own (support/latency.hpp): per-call latency, preemption included, in
// the same rounds that give the throughput.
template <class B>
void latency(benchmark::State& st, int threads, std::size_t live, latency_mix mix) {
  auto& w = world_for<contract_world<B>>("latency", B::name, live);
  (void)ns_per_tick();  // calibrated before the first round
  // Per thread: every call, and apart from that, begins and successful ends.
  struct call_histograms {
    latency_histogram all, begins, ends;
  };
  std::vector<call_histograms> histograms(static_cast<std::size_t>(threads));
  const auto targets = targets_per_thread(threads, access::uniform, live);
  std::vector<cursor> cursors(static_cast<std::size_t>(threads));
  measure(
      st, threads,
      [&](int t, const round_signal& signal) {
        B::attach_thread();
        const auto& mine = targets[static_cast<std::size_t>(t)];
        const auto own = state_arena::get().own(t);
        const auto absent = state_arena::get().absent(t);
        const auto role = role_of_thread(t);
        call_histograms& h = histograms[static_cast<std::size_t>(t)];
        cursor& c = cursors[static_cast<std::size_t>(t)];
        auto timed = [&h](auto&& call, latency_histogram* kind = nullptr) {
          const std::uint64_t t0 = ticks();
          const auto result = call();
          const std::uint64_t t1 = ticks();
          h.all.add(t1 - t0);
          if (kind != nullptr) kind->add(t1 - t0);
          return result;
        };
        return run_until_stopped(signal, [&](std::int64_t& failures) {
          bench_state* s = &own[c.i];
          failures += timed([&] { return w.backend.begin(role, s); }, &h.begins) != S_OK;
          if (mix == latency_mix::provider_mix) {
            for (std::size_t k = 0; k < mix_lookups; ++k) {
              const session_state* target = mine[(c.j + k) & (ring - 1)];
              failures += !timed([&] { return w.backend.is_enlisted(target); });
            }
            failures +=
                timed([&] { return w.backend.end(&absent[c.i]); }) != SYNC_E_INVALID_OPERATION;
          }
          failures += timed([&] { return w.backend.end(s); }, &h.ends) != S_OK;
          c.i = (c.i + 1) & (own_per_thread - 1);
          c.j = (c.j + mix_lookups) & (ring - 1);
        });
      },
      mix == latency_mix::provider_mix ? mix_lookups + 3 : 2, w.setup_failures);
  call_histograms merged;
  for (const auto& h : histograms) {
    merged.all.merge(h.all);
    merged.begins.merge(h.begins);
    merged.ends.merge(h.ends);
  }
  const double scale = ns_per_tick();
  auto ns = [scale](const latency_histogram& h, double q) {
    return static_cast<double>(h.quantile(q)) * scale;
  };
  st.counters["p50_ns"] = ns(merged.all, 0.50);
  st.counters["p99_ns"] = ns(merged.all, 0.99);
  st.counters["p999_ns"] = ns(merged.all, 0.999);
  st.counters["begin_p99_ns"] = ns(merged.begins, 0.99);
  st.counters["begin_p999_ns"] = ns(merged.begins, 0.999);
  st.counters["end_p99_ns"] = ns(merged.ends, 0.99);
  st.counters["end_p999_ns"] = ns(merged.ends, 0.999);
  st.counters["samples"] = static_cast<double>(merged.all.total());
  B::quiesce();  // deferred frees must not run during the next benchmark
}

template <class B>
void memory(benchmark::State& st, int, std::size_t live) {
  world_cache::clear();
  B::attach_thread();
  B::quiesce();
  std::size_t held = 0;
  std::int64_t failures = 0;
  for (auto _ : st) {
    const std::size_t before = heap_in_use();
    auto w = std::make_unique<contract_world<B>>(live);
    held = heap_in_use() - before;
    failures += w->setup_failures;
    benchmark::DoNotOptimize(w.get());
    st.PauseTiming();
    w.reset();
    B::quiesce();
    st.ResumeTiming();
  }
  st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(live));
  st.counters["failures"] = benchmark::Counter(static_cast<double>(failures));
  st.counters["bytes_per_session"] = static_cast<double>(held) / static_cast<double>(live);
  st.counters["heap_bytes"] = static_cast<double>(held);
}

// ---------------------------------------------------------------------------------------------
// Map-level workloads

template <class A>
void map_begin_end(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<map_world<A>>("map_begin_end", A::name, live);
  measure_threads<A>(st, threads, 1, 0, [&w](int t, cursor& c) {
    return [&w, &c, own = state_arena::get().own(t)](std::int64_t& failures) {
      const std::uintptr_t k = key_of(&own[c.i]);
      c.i = (c.i + 1) & (own_per_thread - 1);
      const bool inserted = w.map.insert(k, 1);
      const bool erased = w.map.erase(k);
      failures += !inserted + !erased;
    };
  });
}

template <class A>
void map_find_hit(benchmark::State& st, int threads, std::size_t live, access a) {
  auto& w = world_for<map_world<A>>("map_find_hit", A::name, live);
  const auto targets = targets_per_thread(threads, a, live);
  measure_threads<A>(st, threads, 1, 0, [&](int t, cursor& c) {
    return [&w, &c, &mine = targets[static_cast<std::size_t>(t)]](std::int64_t& failures) {
      const auto v = w.map.find(key_of(mine[c.i]));
      benchmark::DoNotOptimize(v);
      failures += !v.has_value();
      c.i = (c.i + 1) & (ring - 1);
    };
  });
}

// Keys for map_churn: never dereferenced, never reused. Each thread of each run takes its own
// block of 2^30 keys (16 bytes apart, like states), from 2^55 up: above every address the
// states of a run can have, below 2^56, where every map's keys must stay (enlist's cells keep
// their state above the address bits). 2^21 blocks fit before 2^56; a run takes a few hundred.
inline std::uintptr_t fresh_key_block() {
  static std::atomic<std::uint64_t> next_block{0};
  return (std::uintptr_t{1} << 55) + (next_block.fetch_add(1, std::memory_order_relaxed) << 34);
}

template <class A>
void map_churn(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<map_world<A>>("map_churn", A::name, live);
  std::vector<cursor> cursors(static_cast<std::size_t>(threads));
  for (cursor& c : cursors)
    c.key = fresh_key_block();
  measure_threads<A>(
      st, threads, 1, 0,
      [&w](int, cursor& c) {
        return [&w, &key = c.key](std::int64_t& failures) {
          const bool inserted = w.map.insert(key, 1);
          const bool erased = w.map.erase(key);
          failures += !inserted + !erased;
          key += 16;
        };
      },
      cursors);
}

template <class A>
void map_find_miss(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<map_world<A>>("map_find_miss", A::name, live);
  measure_threads<A>(st, threads, 1, 0, [&w](int t, cursor& c) {
    return [&w, &c, absent = state_arena::get().absent(t)](std::int64_t& failures) {
      const auto v = w.map.find(key_of(&absent[c.i]));
      benchmark::DoNotOptimize(v);
      failures += v.has_value();
      c.i = (c.i + 1) & (absent_per_thread - 1);
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Read-mostly mixes: writes hidden among reads. Each thread runs a ring of operations generated
// before the first round, in blocks of 20 in random order: 16 lookups of live keys (uniform), 2 of
// absent ones, 1 insert (begin) of a key the thread has not inserted before, and 1 erase (end) of
// the key it inserted mix_window inserts earlier, so that its fresh keys live for a while and the
// population stays N plus mix_window per thread. One item = one operation.

inline constexpr std::size_t mix_window = 64;
inline constexpr std::size_t mix_ring = 4000;  // 200 blocks
enum class mix_op : std::uint8_t { hit, miss, insert, erase };

inline std::vector<mix_op> mix_ops(int thread) {
  std::vector<mix_op> ops;
  std::mt19937_64 random(0x3157 + static_cast<std::uint64_t>(thread));
  for (std::size_t block = 0; block < mix_ring / 20; ++block) {
    std::vector<mix_op> b(16, mix_op::hit);
    b.insert(b.end(), {mix_op::miss, mix_op::miss, mix_op::insert, mix_op::erase});
    std::shuffle(b.begin(), b.end(), random);
    ops.insert(ops.end(), b.begin(), b.end());
  }
  return ops;
}

template <class A>
void map_read_mostly(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<map_world<A>>("map_read_mostly", A::name, live);
  const auto targets = targets_per_thread(threads, access::uniform, live);
  std::vector<cursor> cursors(static_cast<std::size_t>(threads));
  for (cursor& c : cursors)
    c.key = fresh_key_block();  // fresh keys are key + 16 * n, never seen before
  measure_threads<A>(
      st, threads, 1, 0,
      [&](int t, cursor& c) {
        return [&w, &c, &mine = targets[static_cast<std::size_t>(t)], ops = mix_ops(t),
                absent = state_arena::get().absent(t)](std::int64_t& failures) {
          switch (ops[c.i]) {
            case mix_op::hit:
              failures += !w.map.find(key_of(mine[c.j])).has_value();
              c.j = (c.j + 1) & (ring - 1);
              break;
            case mix_op::miss:
              failures += w.map.find(key_of(&absent[c.k])).has_value();
              c.k = (c.k + 1) & (absent_per_thread - 1);
              break;
            case mix_op::insert:
              failures += !w.map.insert(c.key + 16 * c.in++, 1);
              break;
            case mix_op::erase:
              // Until the window has filled, an absent key is looked up instead.
              if (c.in - c.out > mix_window) {
                failures += !w.map.erase(c.key + 16 * c.out++);
              } else {
                failures += w.map.find(key_of(&absent[c.k])).has_value();
              }
              break;
          }
          c.i = c.i + 1 == mix_ring ? 0 : c.i + 1;
        };
      },
      cursors);
  // The keys still in the windows leave with this benchmark (never timed).
  for (cursor& c : cursors) {
    for (; c.out < c.in; ++c.out)
      static_cast<void>(w.map.erase(c.key + 16 * c.out));
  }
}

template <class B>
void read_mostly(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<contract_world<B>>("read_mostly", B::name, live);
  const auto targets = targets_per_thread(threads, access::uniform, live);
  std::vector<cursor> cursors(static_cast<std::size_t>(threads));
  measure_threads<B>(
      st, threads, 1, w.setup_failures,
      [&](int t, cursor& c) {
        return [&w, &c, &mine = targets[static_cast<std::size_t>(t)], ops = mix_ops(t),
                own = state_arena::get().own(t), absent = state_arena::get().absent(t),
                role = role_of_thread(t)](std::int64_t& failures) {
          switch (ops[c.i]) {
            case mix_op::hit:
              failures += !w.backend.is_enlisted(mine[c.j]);
              c.j = (c.j + 1) & (ring - 1);
              break;
            case mix_op::miss:
              failures += w.backend.is_enlisted(&absent[c.k]);
              c.k = (c.k + 1) & (absent_per_thread - 1);
              break;
            case mix_op::insert:
              failures += w.backend.begin(role, &own[c.in++ & (own_per_thread - 1)]) != S_OK;
              break;
            case mix_op::erase:
              if (c.in - c.out > mix_window) {
                failures += w.backend.end(&own[c.out++ & (own_per_thread - 1)]) != S_OK;
              } else {
                failures += w.backend.is_enlisted(&absent[c.k]);
              }
              break;
          }
          c.i = c.i + 1 == mix_ring ? 0 : c.i + 1;
        };
      },
      cursors);
  for (std::size_t t = 0; t < cursors.size(); ++t) {
    cursor& c = cursors[t];
    const auto own = state_arena::get().own(static_cast<int>(t));
    for (; c.out < c.in; ++c.out)
      static_cast<void>(w.backend.end(&own[c.out & (own_per_thread - 1)]));
  }
}

// ---------------------------------------------------------------------------------------------
// Session lifecycle: every session is a session state freshly allocated with new, begun, and
// destroyed by its last Release when it ends, as in a provider whose registry holds the only
// reference. Each thread keeps lifecycle_window sessions of its own, N others live; an operation
// ends one of them at random and begins a new one in its place. Whether the new state gets an
// address seen before (the one just freed, typically) is the allocator's doing, as in a real
// provider: `same_address_share` counts the begins whose state has the address of the state ended
// just before. One item = one end + begin pair (with a new and a delete).

inline constexpr std::size_t lifecycle_window = 256;

// A session state on the heap, deleted by its last Release: 64 bytes with natural alignment, as
// a small COM object from a general-purpose allocator.
class heap_state final : public session_state {
 public:
  std::uint32_t AddRef() noexcept override {
    return refs_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  std::uint32_t Release() noexcept override {
    const std::uint32_t left = refs_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if (left == 0) delete this;
    return left;
  }
  bool IsCanceled() const noexcept override { return false; }

 private:
  ~heap_state() override = default;
  std::atomic<std::uint32_t> refs_{1};
  [[maybe_unused]] std::uint64_t payload_[6]{};
};

template <class B>
void lifecycle(benchmark::State& st, int threads, std::size_t live) {
  auto& w = world_for<contract_world<B>>("lifecycle", B::name, live);
  B::attach_thread();
  // A window slot: its state, and whether its begin succeeded (then the registry holds the only
  // reference; else the thread still holds its own, so that a state a backend refused, which only
  // the limit proxy does, is not freed and handed out again at once by the allocator).
  struct slot {
    heap_state* state;
    bool enlisted;
  };
  // Begins a new state in `s` and drops the creator's reference once the registry holds one.
  const auto begin_new = [&w](slot& s, sync_provider_role role) {
    s.state = new heap_state;
    s.enlisted = w.backend.begin(role, s.state) == S_OK;
    if (s.enlisted) s.state->Release();
    return s.enlisted;
  };
  // Ends the session of `s`; its state is deleted by the last Release.
  const auto end_old = [&w](slot& s) {
    if (!s.enlisted) {
      s.state->Release();
      return false;
    }
    return w.backend.end(s.state) == S_OK;
  };
  // The windows, begun before the first round (never timed).
  std::int64_t setup_failures = w.setup_failures;
  std::vector<std::vector<slot>> windows(static_cast<std::size_t>(threads),
                                         std::vector<slot>(lifecycle_window));
  for (std::size_t t = 0; t < windows.size(); ++t) {
    for (slot& s : windows[t])
      setup_failures += !begin_new(s, role_of_thread(static_cast<int>(t)));
  }
  std::vector<cursor> cursors(static_cast<std::size_t>(threads));
  for (std::size_t t = 0; t < cursors.size(); ++t)
    cursors[t].key = 0x9e3779b97f4a7c15ULL * (t + 1);  // each thread's random stream
  measure_threads<B>(
      st, threads, 1, setup_failures,
      [&](int t, cursor& c) {
        return [&c, &window = windows[static_cast<std::size_t>(t)], &begin_new, &end_old,
                role = role_of_thread(t)](std::int64_t& failures) {
          c.key ^= c.key << 13;
          c.key ^= c.key >> 7;
          c.key ^= c.key << 17;
          slot& s = window[c.key % lifecycle_window];
          const std::uintptr_t ended = key_of(s.state);  // an address, not a pointer to use
          failures += !end_old(s);
          failures += !begin_new(s, role);
          c.same += key_of(s.state) == ended;
          ++c.in;
        };
      },
      cursors);
  std::uint64_t begins = 0, same = 0;
  for (const cursor& c : cursors) {
    begins += c.in;
    same += c.same;
  }
  st.counters["same_address_share"] =
      begins == 0 ? 0.0 : static_cast<double>(same) / static_cast<double>(begins);
  for (auto& window : windows) {
    for (slot& s : window)
      static_cast<void>(end_old(s));
  }
}

// ---------------------------------------------------------------------------------------------
// Registration

enum workload_rank : int {
  w_calibration,
  w_map_begin_end,
  w_map_find_hit,
  w_map_find_miss,
  w_map_churn,
  w_begin_end,
  w_lookup_hit,
  w_end_miss,
  w_release,
  w_provider_mix,
  w_latency,
  w_memory,
  w_map_read_mostly,
  w_read_mostly,
  w_lifecycle,
};

// Variants sort by live size first, then by the access pattern / latency mix.
inline std::size_t variant(std::size_t live, std::size_t minor = 0) {
  return live * 4 + minor;
}

using run_fn = std::function<void(benchmark::State&, int)>;

// The calibration, in both methods, ranked before every backend.
inline void add_calibration(std::vector<bench_spec>& out, const profile& p) {
  out.push_back({w_calibration, 0, -1, "calibration/wall_clock/0", &calibration, p.threads,
                 run_kind::rounds});
  out.push_back({w_calibration, 1, -1, "calibration/gbench_threads/0", &calibration_gbench_threads,
                 p.threads, run_kind::gbench_threads});
}

// The registry-level workloads of one backend B (enlist_registry or session_contract<map>).
template <class B>
void add_contract_backend(std::vector<bench_spec>& out, const profile& p, int rank) {
  const std::string_view name = B::name;
  const std::size_t base = p.base_live;
  auto add = [&](int w, std::size_t var, std::string n, run_fn f, std::vector<int> threads,
                 run_kind kind = run_kind::rounds) {
    out.push_back({w, var, rank, std::move(n), std::move(f), std::move(threads), kind});
  };
  std::vector<std::size_t> sizes{base};
  sizes.insert(sizes.end(), p.live_sweep.begin(), p.live_sweep.end());
  for (const std::size_t live : sizes) {
    const auto& threads = live == base ? p.threads : p.sweep_threads;
    add(
        w_begin_end, variant(live), bench_name("begin_end", name, live),
        [live](benchmark::State& st, int n) { begin_end<B>(st, n, live); }, threads);
    add(
        w_end_miss, variant(live), bench_name("end_miss", name, live),
        [live](benchmark::State& st, int n) { end_miss<B>(st, n, live); }, threads);
    for (const access a : p.accesses) {
      if (live != base && a != access::uniform) continue;
      add(
          w_lookup_hit, variant(live, static_cast<std::size_t>(a)),
          bench_name("lookup_hit", name, live, access_name(a)),
          [live, a](benchmark::State& st, int n) { lookup_hit<B>(st, n, live, a); }, threads);
    }
  }
  add(
      w_release, variant(base), bench_name("release", name, base),
      [base](benchmark::State& st, int n) { release<B>(st, n, base); }, p.threads);
  for (const access a : p.accesses) {
    add(
        w_provider_mix, variant(base, static_cast<std::size_t>(a)),
        bench_name("provider_mix", name, base, access_name(a)),
        [base, a](benchmark::State& st, int n) { provider_mix<B>(st, n, base, a); }, p.threads);
  }
  std::vector<std::size_t> mix_sizes{base};
  mix_sizes.insert(mix_sizes.end(), p.mix_live.begin(), p.mix_live.end());
  for (const std::size_t live : mix_sizes) {
    add(
        w_read_mostly, variant(live), bench_name("read_mostly", name, live),
        [live](benchmark::State& st, int n) { read_mostly<B>(st, n, live); },
        live == base ? p.threads : p.mix_threads);
  }
  add(
      w_lifecycle, variant(base), bench_name("lifecycle", name, base),
      [base](benchmark::State& st, int n) { lifecycle<B>(st, n, base); }, p.threads);
  add(
      w_latency, variant(base, 0), bench_name("latency", name, base, "begin_end"),
      [base](benchmark::State& st, int n) { latency<B>(st, n, base, latency_mix::begin_end); },
      p.latency_threads);
  add(
      w_latency, variant(base, 1), bench_name("latency", name, base, "provider_mix"),
      [base](benchmark::State& st, int n) { latency<B>(st, n, base, latency_mix::provider_mix); },
      p.latency_threads);
  for (const std::size_t live : p.memory_live) {
    add(
        w_memory, variant(live), bench_name("memory", name, live),
        [live](benchmark::State& st, int n) { memory<B>(st, n, live); }, {1}, run_kind::once);
  }
}

// The map-level workloads of one map adapter A.
template <map_adapter A>
void add_map_backend(std::vector<bench_spec>& out, const profile& p, int rank) {
  const std::string_view name = A::name;
  const std::size_t base = p.base_live;
  out.push_back({w_map_begin_end, variant(base), rank, bench_name("map_begin_end", name, base),
                 [base](benchmark::State& st, int n) { map_begin_end<A>(st, n, base); },
                 p.threads});
  out.push_back(
      {w_map_find_hit, variant(base), rank, bench_name("map_find_hit", name, base, "uniform"),
       [base](benchmark::State& st, int n) { map_find_hit<A>(st, n, base, access::uniform); },
       p.threads});
  out.push_back({w_map_find_miss, variant(base), rank, bench_name("map_find_miss", name, base),
                 [base](benchmark::State& st, int n) { map_find_miss<A>(st, n, base); },
                 p.threads});
  if constexpr (!keeps_erased_keys<A>) {
    out.push_back({w_map_churn, variant(base), rank, bench_name("map_churn", name, base),
                   [base](benchmark::State& st, int n) { map_churn<A>(st, n, base); }, p.threads});
    std::vector<std::size_t> mix_sizes{base};
    mix_sizes.insert(mix_sizes.end(), p.mix_live.begin(), p.mix_live.end());
    for (const std::size_t live : mix_sizes) {
      out.push_back({w_map_read_mostly, variant(live), rank,
                     bench_name("map_read_mostly", name, live),
                     [live](benchmark::State& st, int n) { map_read_mostly<A>(st, n, live); },
                     live == base ? p.threads : p.mix_threads});
    }
  }
}

// Both levels for a peer whose contract is session_contract<A>.
template <map_adapter A>
void add_peer(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_map_backend<A>(out, p, rank);
  add_contract_backend<session_contract<A>>(out, p, rank);
}

}  // namespace enlist::bench
