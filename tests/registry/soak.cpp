// Soak: mixed registry load from threads far beyond the cores for a chosen duration, then an
// audit. Not a CTest test (it runs for minutes); tests/README.md has the command.
//
//   build/release/tests/soak --minutes 30 --threads 64
//
// Each thread begins and ends its own states (checked against its own model after every call),
// looks them up, cancels some and sweeps them away with end_if, ends states destroyed long ago
// and reuses their addresses, and begins and ends states shared by all threads. Its window of
// states slides, so the registry sees a steady stream of new addresses around a stable
// population, and the map migrates again and again. A monitor samples the registry's memory and
// the process's resident set. At the end the registry shuts down and the run fails unless
//   - no call returned anything the contract does not allow,
//   - every reference is back with its creator (the audit balances: none released twice, none
//     used after its release, none kept),
//   - the registry's memory stayed bounded: its peak over the last half of the run is no more
//     than twice its peak over the first half (after warm-up), and below a fixed bound per
//     session that could be enlisted,
//   - and every byte it allocated was returned.

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "enlist/registry.hpp"
#include "enlist/status.hpp"
#include "support/audited_state.hpp"
#include "support/counting_resource.hpp"

namespace {

using enlist::hresult;
using enlist::sync_provider_role;
using enlist::test::audited_state;
using enlist::test::reference_audit;
using registry = enlist::basic_registry<enlist::com_state_policy<audited_state>>;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t states_per_thread = 512;
constexpr std::size_t window = 64;  // states a thread works on at a time
constexpr std::size_t shared_states = 64;

struct options {
  double seconds = 60;
  unsigned threads = 64;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--minutes" && value != nullptr) {
      o.seconds = std::atof(value) * 60;
      ++i;
    } else if (arg == "--seconds" && value != nullptr) {
      o.seconds = std::atof(value);
      ++i;
    } else if (arg == "--threads" && value != nullptr) {
      o.threads = static_cast<unsigned>(std::atoi(value));
      ++i;
    } else {
      std::fprintf(stderr, "usage: %s [--minutes M | --seconds S] [--threads N]\n", argv[0]);
      std::exit(2);
    }
  }
  if (o.threads == 0 || o.seconds <= 0) {
    std::fprintf(stderr, "threads and duration must be positive\n");
    std::exit(2);
  }
  return o;
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

struct shared_counts {
  std::atomic<std::int64_t> begun{0}, ended{0};
};

struct totals {
  std::atomic<std::uint64_t> operations{0};
  std::atomic<std::uint64_t> violations{0};
  std::atomic<std::uint64_t> begun{0}, ended{0}, swept{0}, reused{0};
};

class worker {
 public:
  worker(registry& sessions, enlist::test::state_pool& states, shared_counts* shared, totals& total,
         unsigned t)
      : sessions_(sessions),
        states_(states),
        shared_(shared),
        total_(total),
        thread_(t),
        random_(t) {}

  void run(const std::atomic<bool>& stop) {
    std::uint64_t operations = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int batch = 0; batch < 256; ++batch, ++operations)
        step(operations);
    }
    total_.operations.fetch_add(operations);
  }

  // After the run, quiescent: the registry agrees with this thread's model exactly.
  void final_check() {
    for (std::size_t i = 0; i < states_per_thread; ++i) {
      expect(sessions_.role_of(own(i)) == model_[i]);
      expect(own(i)->registry_refs() == (model_[i] ? 1 : 0));
    }
  }

 private:
  audited_state* own(std::size_t i) { return states_.get(thread_ * states_per_thread + i); }
  void expect(bool ok) {
    if (!ok) total_.violations.fetch_add(1);
  }

  void step(std::uint64_t n) {
    // The window slides by one state every 4096 calls; the state it leaves is ended, so the
    // population stays stable while the addresses in use keep changing.
    const std::size_t base = n / 4096 % states_per_thread;
    if (n % 4096 == 0) {
      const std::size_t left = (base + states_per_thread - 1) % states_per_thread;
      if (model_[left]) end(left);
    }
    const std::size_t i = (base + random_() % window) % states_per_thread;
    const unsigned r = static_cast<unsigned>(random_() % 1000);
    if (r < 400) {
      begin(i);
    } else if (r < 800) {
      end(i);
    } else if (r < 900) {
      expect(sessions_.role_of(own(i)) == model_[i]);
    } else if (r < 960) {
      on_shared();
    } else if (r < 980) {
      cancel_and_sweep(i);
    } else if (r < 999) {
      reuse_address(i);
    } else {
      // Rare: a sweep of every session; states it hands out must be alive.
      static_cast<void>(sessions_.for_each(
          [this](audited_state* s, sync_provider_role) { expect(!s->destroyed()); }));
    }
  }

  void begin(std::size_t i) {
    const auto role = static_cast<sync_provider_role>(random_() % 2);
    const hresult hr = sessions_.begin(role, own(i));
    if (model_[i]) {
      expect(hr == enlist::SYNC_E_INVALID_OPERATION);
    } else {
      expect(hr == enlist::S_OK);
      if (hr == enlist::S_OK) {
        model_[i] = role;
        total_.begun.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  void end(std::size_t i) {
    const hresult hr = sessions_.end(own(i));
    expect(hr == (model_[i] ? enlist::S_OK : enlist::SYNC_E_INVALID_OPERATION));
    if (hr == enlist::S_OK) {
      model_[i].reset();
      total_.ended.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void on_shared() {
    shared_counts& k = shared_[random_() % shared_states];
    audited_state* s =
        states_.get(states_.size() - shared_states + static_cast<std::size_t>(&k - shared_));
    if (random_() % 2 == 0) {
      const hresult hr = sessions_.begin(sync_provider_role::source, s);
      expect(hr == enlist::S_OK || hr == enlist::SYNC_E_INVALID_OPERATION);
      if (hr == enlist::S_OK) k.begun.fetch_add(1);
    } else {
      const hresult hr = sessions_.end(s);
      expect(hr == enlist::S_OK || hr == enlist::SYNC_E_INVALID_OPERATION);
      if (hr == enlist::S_OK) k.ended.fetch_add(1);
    }
  }

  void cancel_and_sweep(std::size_t i) {
    if (!model_[i]) return;
    own(i)->cancel();
    const audited_state* target = own(i);
    // Only this state, so that the model stays exact; the sweep still walks every session.
    const auto swept = sessions_.end_if([target](const audited_state* s) { return s == target; });
    expect(swept.status == enlist::S_OK && swept.count == 1);
    model_[i].reset();
    total_.swept.fetch_add(1, std::memory_order_relaxed);
  }

  // End a state destroyed long ago, then let a new state take its address.
  void reuse_address(std::size_t i) {
    audited_state* s = own(i);
    if (model_[i] || s->refs() != 1) return;  // enlisted, or a sweep still holds the release
    s->release_creator();
    expect(s->destroyed());
    expect(sessions_.end(s) == enlist::SYNC_E_INVALID_OPERATION);
    s->revive();
    total_.reused.fetch_add(1, std::memory_order_relaxed);
  }

  registry& sessions_;
  enlist::test::state_pool& states_;
  shared_counts* shared_;
  totals& total_;
  const unsigned thread_;
  std::mt19937_64 random_;
  std::vector<std::optional<sync_provider_role>> model_ =
      std::vector<std::optional<sync_provider_role>>(states_per_thread);
};

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  reference_audit::reset();
  enlist::test::counting_resource memory;
  enlist::test::state_pool states(o.threads * states_per_thread + shared_states);
  std::vector<shared_counts> shared(shared_states);
  totals total;
  const std::size_t rss_before = resident_bytes();
  std::size_t early_peak = 0, late_peak = 0, peak_rss = 0, peak_sessions = 0;
  bool balanced = false;
  std::uint64_t shared_mismatch = 0;
  {
    registry sessions({.resource = &memory});
    std::vector<worker> workers;
    workers.reserve(o.threads);
    for (unsigned t = 0; t < o.threads; ++t) {
      workers.emplace_back(sessions, states, shared.data(), total, t);
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    const auto start = clock_type::now();
    for (unsigned t = 0; t < o.threads; ++t) {
      threads.emplace_back([&, t] { workers[t].run(stop); });
    }
    // The monitor: registry bytes and resident set, early (10%-50% of the run, after warm-up)
    // and late (the second half).
    const auto duration = std::chrono::duration<double>(o.seconds);
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      const double done = std::chrono::duration<double>(clock_type::now() - start) / duration;
      if (done >= 1) break;
      const std::size_t bytes = memory.outstanding_bytes();
      if (done >= 0.1 && done < 0.5) early_peak = std::max(early_peak, bytes);
      if (done >= 0.5) late_peak = std::max(late_peak, bytes);
      peak_rss = std::max(peak_rss, resident_bytes());
      peak_sessions = std::max(peak_sessions, sessions.size());
    }
    stop.store(true);
    for (std::thread& thread : threads)
      thread.join();
    const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();

    for (worker& w : workers)
      w.final_check();
    for (std::size_t k = 0; k < shared_states; ++k) {
      const std::int64_t held =
          sessions.is_enlisted(states.get(states.size() - shared_states + k)) ? 1 : 0;
      if (shared[k].begun.load() - shared[k].ended.load() != held) ++shared_mismatch;
    }
    const std::size_t at_end = sessions.size();
    if (sessions.shutdown() != enlist::S_OK) total.violations.fetch_add(1);
    balanced = states.balanced();

    const std::uint64_t ops = total.operations.load();
    std::printf("soak: %.0f s, %u threads on %u cores\n", elapsed, o.threads,
                std::thread::hardware_concurrency());
    std::printf(
        "  operations       %llu (%.2f M/s): %llu begins, %llu ends, %llu swept, "
        "%llu addresses reused\n",
        static_cast<unsigned long long>(ops), static_cast<double>(ops) / elapsed / 1e6,
        static_cast<unsigned long long>(total.begun.load()),
        static_cast<unsigned long long>(total.ended.load()),
        static_cast<unsigned long long>(total.swept.load()),
        static_cast<unsigned long long>(total.reused.load()));
    std::printf("  sessions         peak %zu, %zu at the end, 0 after shutdown: %s\n",
                peak_sessions, at_end, sessions.size() == 0 ? "yes" : "NO");
    std::printf("  registry memory  peak %zu B (first half %zu B, second half %zu B)\n",
                std::max(early_peak, late_peak), early_peak, late_peak);
    std::printf("  resident set     %zu MiB before, peak %zu MiB\n", rss_before >> 20,
                peak_rss >> 20);
  }
  // Quarter-full tables, a successor while migrating and retired tables waiting for their
  // epoch: generously 512 bytes per session that can be enlisted at once, plus 1 MiB.
  const std::size_t bound = 512 * (o.threads * window + shared_states) + (1u << 20);
  const bool bounded =
      late_peak <= 2 * early_peak + 65536 && std::max(early_peak, late_peak) <= bound;
  const bool freed = memory.outstanding_bytes() == 0;
  const bool ok = total.violations.load() == 0 && shared_mismatch == 0 && balanced &&
                  reference_audit::clean() && bounded && freed;
  std::printf("  contract         %llu violations, %llu shared-state mismatches\n",
              static_cast<unsigned long long>(total.violations.load()),
              static_cast<unsigned long long>(shared_mismatch));
  std::printf("  reference audit  %s (%s)\n",
              balanced && reference_audit::clean() ? "balances" : "BROKEN",
              reference_audit::summary().c_str());
  std::printf("  memory           %s (bound %zu B), %s after destruction\n",
              bounded ? "bounded" : "NOT BOUNDED", bound, freed ? "all freed" : "LEAKED");
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
