#pragma once
// The workloads, written once and instantiated for every backend.
//
// Benchmark names are <workload>/<backend>/<live sessions>[/<access>], then Google Benchmark's
// /real_time/threads:<n>. Every benchmark reports items_per_second (operations of the kind the
// workload names, summed over threads, per second of wall time) and a `failures` counter: the
// operations whose result was not the one the workload expects (always 0 for a correct backend;
// anything else means the benchmark measured something other than it says).
//
// Registry level (the session contract; enlist = enlist::registry, peers = session_contract<map>):
//   begin_end     begin(role, s) then end(s) of a state of the thread's own, N others live.
//                 One item = one begin + end pair.
//   end_hit       is_enlisted(s) of a live session: the lookup half of a successful end.
//   end_miss      end(s) of a state never begun: the error path, SYNC_E_INVALID_OPERATION.
//   release       begin + end pairs on 16 states that two providers (two registries, threads
//                 2k and 2k+1) begin and end at once: the reference release with the state
//                 shared by another holder, its count's cache line moving between cores.
//   provider_mix  blocks of 16: begin(own), 13 lookups of live sessions, one end miss, end(own).
//                 One item = one call.
//   latency       per-call latency at 64 threads (p50_ns, p99_ns, p999_ns counters) of the
//                 begin_end calls (each begin and each end timed) and of provider_mix (each call).
//   memory        heap bytes held per live session after beginning N sessions
//                 (bytes_per_session counter; mallinfo2 delta, see support/heap.hpp).
// Map level (issue 2: enlist's bare map against peers' maps, no contract):
//   map_begin_end insert then erase of a key of the thread's own, N others live.
//   map_end_hit   find of a live key.   map_end_miss  find of a key never inserted.
//   map_churn     insert then erase of an always-new key, N others live: sessions whose states
//                 are new allocations, never an address seen before. Unlike map_begin_end, whose
//                 4096 keys per thread come back, no key is ever reused, so tables that keep
//                 erased keys (tombstones) must clean up as they go.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "backends/map_adapter.hpp"
#include "backends/session_contract.hpp"
#include "support/access.hpp"
#include "support/heap.hpp"
#include "support/latency.hpp"
#include "support/states.hpp"
#include "support/world.hpp"

namespace enlist::bench {

// What a profile runs. Sizes are live sessions; the sweep repeats the main workloads at each.
struct profile {
  std::string name;
  std::size_t base_live = 10000;
  std::vector<std::size_t> live_sweep;  // besides base_live
  std::vector<int> threads;             // at base_live
  std::vector<int> sweep_threads;       // at the other sizes
  std::vector<access> accesses;         // for end_hit and provider_mix at base_live
  std::vector<int> latency_threads;
  std::vector<std::size_t> memory_live;
};

// One benchmark to register; main sorts them so that backends interleave within a workload.
struct bench_spec {
  int workload = 0;         // rank of the workload
  std::size_t variant = 0;  // live size, access...: order within the workload
  int backend = 0;          // rank of the backend
  std::string name;
  std::function<void(benchmark::State&)> run;
  std::vector<int> threads;
  bool once = false;  // a measurement, not a loop: one iteration, one repetition
};

inline constexpr std::size_t ring = 4096;        // pre-generated targets per thread
inline constexpr std::size_t release_pool = 16;  // states a pair of providers shares
inline constexpr std::size_t mix_lookups = 13;   // lookups per provider_mix block of 16 calls

inline std::size_t sized_for(std::size_t live) {
  return live + max_threads;  // the live sessions and one in flight per thread
}

inline sync_provider_role role_of_thread(const benchmark::State& st) {
  return (st.thread_index() & 1) != 0 ? sync_provider_role::destination
                                      : sync_provider_role::source;
}

inline void finish(benchmark::State& st, std::int64_t items_per_iteration, std::int64_t failures) {
  st.SetItemsProcessed(st.iterations() * items_per_iteration);
  st.counters["failures"] = benchmark::Counter(static_cast<double>(failures));
}

inline std::vector<const session_state*> live_targets(const benchmark::State& st, access a,
                                                      std::size_t live) {
  const auto idx =
      make_indices(a, live, ring, 0x5eed + static_cast<std::uint64_t>(st.thread_index()));
  std::vector<const session_state*> out(ring);
  for (std::size_t i = 0; i < ring; ++i)
    out[i] = state_arena::get().live(idx[i]);
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
W& world_for(const benchmark::State& st, std::string_view workload, std::string_view backend,
             std::size_t live) {
  const std::string key = bench_name(workload, backend, live);
  return world_cache::acquire<W>(st, key, [live] { return new W(live); });
}

// ---------------------------------------------------------------------------------------------
// Registry-level workloads

template <class B>
void begin_end(benchmark::State& st, std::size_t live) {
  B::attach_thread();
  auto& w = world_for<contract_world<B>>(st, "begin_end", B::name, live);
  const auto own = state_arena::get().own(st.thread_index());
  const auto role = role_of_thread(st);
  std::size_t i = 0;
  std::int64_t failures = w.setup_failures;
  for (auto _ : st) {
    bench_state* s = &own[i];
    i = (i + 1) & (own_per_thread - 1);
    const hresult began = w.backend.begin(role, s);
    const hresult ended = w.backend.end(s);
    failures += (began != S_OK) + (ended != S_OK);
  }
  finish(st, 1, failures);
}

template <class B>
void end_hit(benchmark::State& st, std::size_t live, access a) {
  B::attach_thread();
  auto& w = world_for<contract_world<B>>(st, "end_hit", B::name, live);
  const auto targets = live_targets(st, a, live);
  std::size_t i = 0;
  std::int64_t hits = 0;
  for (auto _ : st) {
    const bool enlisted = w.backend.is_enlisted(targets[i]);
    benchmark::DoNotOptimize(enlisted);
    hits += enlisted;
    i = (i + 1) & (ring - 1);
  }
  finish(st, 1, static_cast<std::int64_t>(st.iterations()) - hits + w.setup_failures);
}

template <class B>
void end_miss(benchmark::State& st, std::size_t live) {
  B::attach_thread();
  auto& w = world_for<contract_world<B>>(st, "end_miss", B::name, live);
  const auto absent = state_arena::get().absent(st.thread_index());
  std::size_t i = 0;
  std::int64_t failures = w.setup_failures;
  for (auto _ : st) {
    const hresult hr = w.backend.end(&absent[i]);
    benchmark::DoNotOptimize(hr);
    failures += hr != SYNC_E_INVALID_OPERATION;
    i = (i + 1) & (absent_per_thread - 1);
  }
  finish(st, 1, failures);
}

template <class B>
void release(benchmark::State& st, std::size_t live) {
  B::attach_thread();
  auto& w = world_for<pair_world<B>>(st, "release", B::name, live);
  const int t = st.thread_index();
  auto& provider = (t & 1) != 0 ? w.destination.backend : w.source.backend;
  const auto pool = state_arena::get().own(t & ~1).first(release_pool);
  const auto role = role_of_thread(st);
  std::size_t i = 0;
  std::int64_t failures = w.source.setup_failures + w.destination.setup_failures;
  for (auto _ : st) {
    bench_state* s = &pool[i];
    i = (i + 1) & (release_pool - 1);
    const hresult began = provider.begin(role, s);
    const hresult ended = provider.end(s);
    failures += (began != S_OK) + (ended != S_OK);
  }
  finish(st, 1, failures);
}

template <class B>
void provider_mix(benchmark::State& st, std::size_t live, access a) {
  B::attach_thread();
  auto& w = world_for<contract_world<B>>(st, "provider_mix", B::name, live);
  const auto targets = live_targets(st, a, live);
  const auto own = state_arena::get().own(st.thread_index());
  const auto absent = state_arena::get().absent(st.thread_index());
  const auto role = role_of_thread(st);
  std::size_t i = 0, j = 0;
  std::int64_t failures = w.setup_failures;
  for (auto _ : st) {
    bench_state* s = &own[i];
    failures += w.backend.begin(role, s) != S_OK;
    for (std::size_t k = 0; k < mix_lookups; ++k) {
      failures += !w.backend.is_enlisted(targets[(j + k) & (ring - 1)]);
    }
    failures += w.backend.end(&absent[i]) != SYNC_E_INVALID_OPERATION;
    failures += w.backend.end(s) != S_OK;
    i = (i + 1) & (own_per_thread - 1);
    j = (j + mix_lookups) & (ring - 1);
  }
  finish(st, mix_lookups + 3, failures);
}

// Per-thread histograms, cleared by thread 0 before the start barrier and written by each thread
// inside its loop only; read by thread 0 after the stop barrier that ends every thread's loop.
inline std::vector<latency_histogram>& latency_slots() {
  static std::vector<latency_histogram> slots(max_threads);
  return slots;
}

inline void report_latency(benchmark::State& st) {
  if (st.thread_index() != 0) return;
  latency_histogram all;
  for (int t = 0; t < st.threads(); ++t)
    all.merge(latency_slots()[static_cast<std::size_t>(t)]);
  const double scale = ns_per_tick();
  auto ns = [&](double q) { return static_cast<double>(all.quantile(q)) * scale; };
  st.counters["p50_ns"] = ns(0.50);
  st.counters["p99_ns"] = ns(0.99);
  st.counters["p999_ns"] = ns(0.999);
  st.counters["samples"] = static_cast<double>(all.total());
}

enum class latency_mix { begin_end, provider_mix };

template <class B>
void latency(benchmark::State& st, std::size_t live, latency_mix mix) {
  B::attach_thread();
  auto& w = world_for<contract_world<B>>(st, "latency", B::name, live);
  if (st.thread_index() == 0) {
    for (auto& h : latency_slots())
      h.clear();
    (void)ns_per_tick();
  }
  const auto targets = live_targets(st, access::uniform, live);
  const auto own = state_arena::get().own(st.thread_index());
  const auto absent = state_arena::get().absent(st.thread_index());
  const auto role = role_of_thread(st);
  latency_histogram& h = latency_slots()[static_cast<std::size_t>(st.thread_index())];
  std::size_t i = 0, j = 0;
  std::int64_t failures = w.setup_failures;
  auto timed = [&h](auto&& call) {
    const std::uint64_t t0 = ticks();
    const auto result = call();
    const std::uint64_t t1 = ticks();
    h.add(t1 - t0);
    return result;
  };
  for (auto _ : st) {
    bench_state* s = &own[i];
    failures += timed([&] { return w.backend.begin(role, s); }) != S_OK;
    if (mix == latency_mix::provider_mix) {
      for (std::size_t k = 0; k < mix_lookups; ++k) {
        const session_state* target = targets[(j + k) & (ring - 1)];
        failures += !timed([&] { return w.backend.is_enlisted(target); });
      }
      failures += timed([&] { return w.backend.end(&absent[i]); }) != SYNC_E_INVALID_OPERATION;
    }
    failures += timed([&] { return w.backend.end(s); }) != S_OK;
    i = (i + 1) & (own_per_thread - 1);
    j = (j + mix_lookups) & (ring - 1);
  }
  finish(st, mix == latency_mix::provider_mix ? mix_lookups + 3 : 2, failures);
  report_latency(st);
}

template <class B>
void memory(benchmark::State& st, std::size_t live) {
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
  finish(st, static_cast<std::int64_t>(live), failures);
  st.counters["bytes_per_session"] = static_cast<double>(held) / static_cast<double>(live);
  st.counters["heap_bytes"] = static_cast<double>(held);
}

// ---------------------------------------------------------------------------------------------
// Map-level workloads

template <class A>
void map_begin_end(benchmark::State& st, std::size_t live) {
  A::attach_thread();
  auto& w = world_for<map_world<A>>(st, "map_begin_end", A::name, live);
  const auto own = state_arena::get().own(st.thread_index());
  std::size_t i = 0;
  std::int64_t failures = 0;
  for (auto _ : st) {
    const std::uintptr_t k = key_of(&own[i]);
    i = (i + 1) & (own_per_thread - 1);
    const bool inserted = w.map.insert(k, 1);
    const bool erased = w.map.erase(k);
    failures += !inserted + !erased;
  }
  finish(st, 1, failures);
}

template <class A>
void map_end_hit(benchmark::State& st, std::size_t live, access a) {
  A::attach_thread();
  auto& w = world_for<map_world<A>>(st, "map_end_hit", A::name, live);
  const auto targets = live_targets(st, a, live);
  std::size_t i = 0;
  std::int64_t failures = 0;
  for (auto _ : st) {
    const auto v = w.map.find(key_of(targets[i]));
    benchmark::DoNotOptimize(v);
    failures += !v.has_value();
    i = (i + 1) & (ring - 1);
  }
  finish(st, 1, failures);
}

// Keys for map_churn: never dereferenced, never reused. Each run of each thread takes its own
// block of 2^30 keys, far above every real address.
inline std::uintptr_t fresh_key_block() {
  static std::atomic<std::uint64_t> next_block{0};
  return (std::uintptr_t{1} << 62) + (next_block.fetch_add(1, std::memory_order_relaxed) << 34);
}

template <class A>
void map_churn(benchmark::State& st, std::size_t live) {
  A::attach_thread();
  auto& w = world_for<map_world<A>>(st, "map_churn", A::name, live);
  std::uintptr_t key = fresh_key_block();
  std::int64_t failures = 0;
  for (auto _ : st) {
    const bool inserted = w.map.insert(key, 1);
    const bool erased = w.map.erase(key);
    failures += !inserted + !erased;
    key += 16;
  }
  finish(st, 1, failures);
}

template <class A>
void map_end_miss(benchmark::State& st, std::size_t live) {
  A::attach_thread();
  auto& w = world_for<map_world<A>>(st, "map_end_miss", A::name, live);
  const auto absent = state_arena::get().absent(st.thread_index());
  std::size_t i = 0;
  std::int64_t failures = 0;
  for (auto _ : st) {
    const auto v = w.map.find(key_of(&absent[i]));
    benchmark::DoNotOptimize(v);
    failures += v.has_value();
    i = (i + 1) & (absent_per_thread - 1);
  }
  finish(st, 1, failures);
}

// ---------------------------------------------------------------------------------------------
// Registration

enum workload_rank : int {
  w_map_begin_end,
  w_map_end_hit,
  w_map_end_miss,
  w_map_churn,
  w_begin_end,
  w_end_hit,
  w_end_miss,
  w_release,
  w_provider_mix,
  w_latency,
  w_memory,
};

// Variants sort by live size first, then by the access pattern / latency mix.
inline std::size_t variant(std::size_t live, std::size_t minor = 0) {
  return live * 4 + minor;
}

// The registry-level workloads of one backend B (enlist_registry or session_contract<map>).
template <class B>
void add_contract_backend(std::vector<bench_spec>& out, const profile& p, int rank) {
  const std::string_view name = B::name;
  const std::size_t base = p.base_live;
  auto add = [&](int w, std::size_t var, std::string n, std::function<void(benchmark::State&)> f,
                 std::vector<int> threads, bool once = false) {
    out.push_back({w, var, rank, std::move(n), std::move(f), std::move(threads), once});
  };
  std::vector<std::size_t> sizes{base};
  sizes.insert(sizes.end(), p.live_sweep.begin(), p.live_sweep.end());
  for (const std::size_t live : sizes) {
    const auto& threads = live == base ? p.threads : p.sweep_threads;
    add(
        w_begin_end, variant(live), bench_name("begin_end", name, live),
        [live](benchmark::State& st) { begin_end<B>(st, live); }, threads);
    add(
        w_end_miss, variant(live), bench_name("end_miss", name, live),
        [live](benchmark::State& st) { end_miss<B>(st, live); }, threads);
    for (const access a : p.accesses) {
      if (live != base && a != access::uniform) continue;
      add(
          w_end_hit, variant(live, static_cast<std::size_t>(a)),
          bench_name("end_hit", name, live, access_name(a)),
          [live, a](benchmark::State& st) { end_hit<B>(st, live, a); }, threads);
    }
  }
  add(
      w_release, variant(base), bench_name("release", name, base),
      [base](benchmark::State& st) { release<B>(st, base); }, p.threads);
  for (const access a : p.accesses) {
    add(
        w_provider_mix, variant(base, static_cast<std::size_t>(a)),
        bench_name("provider_mix", name, base, access_name(a)),
        [base, a](benchmark::State& st) { provider_mix<B>(st, base, a); }, p.threads);
  }
  add(
      w_latency, variant(base, 0), bench_name("latency", name, base, "begin_end"),
      [base](benchmark::State& st) { latency<B>(st, base, latency_mix::begin_end); },
      p.latency_threads);
  add(
      w_latency, variant(base, 1), bench_name("latency", name, base, "provider_mix"),
      [base](benchmark::State& st) { latency<B>(st, base, latency_mix::provider_mix); },
      p.latency_threads);
  for (const std::size_t live : p.memory_live) {
    add(
        w_memory, variant(live), bench_name("memory", name, live),
        [live](benchmark::State& st) { memory<B>(st, live); }, {1}, true);
  }
}

// The map-level workloads of one map adapter A.
template <map_adapter A>
void add_map_backend(std::vector<bench_spec>& out, const profile& p, int rank) {
  const std::string_view name = A::name;
  const std::size_t base = p.base_live;
  out.push_back({w_map_begin_end, variant(base), rank, bench_name("map_begin_end", name, base),
                 [base](benchmark::State& st) { map_begin_end<A>(st, base); }, p.threads});
  out.push_back(
      {w_map_end_hit, variant(base), rank, bench_name("map_end_hit", name, base, "uniform"),
       [base](benchmark::State& st) { map_end_hit<A>(st, base, access::uniform); }, p.threads});
  out.push_back({w_map_end_miss, variant(base), rank, bench_name("map_end_miss", name, base),
                 [base](benchmark::State& st) { map_end_miss<A>(st, base); }, p.threads});
  if constexpr (!keeps_erased_keys<A>) {
    out.push_back({w_map_churn, variant(base), rank, bench_name("map_churn", name, base),
                   [base](benchmark::State& st) { map_churn<A>(st, base); }, p.threads});
  }
}

// Both levels for a peer whose contract is session_contract<A>.
template <map_adapter A>
void add_peer(std::vector<bench_spec>& out, const profile& p, int rank) {
  add_map_backend<A>(out, p, rank);
  add_contract_backend<session_contract<A>>(out, p, rank);
}

}  // namespace enlist::bench
