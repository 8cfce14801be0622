// A scaled provider driven like a busy sync orchestrator would drive it: thousands of
// simultaneous sessions begun and ended from oneTBB tasks on far more threads than cores, mixed
// with the bad calls real orchestrators make (end without begin, double end, null state,
// unknown role, begin at capacity, canceled sessions left for a sweep). Prints what happened
// and a reference audit; exits 1 if any reference was lost, doubled, or released early.

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "enlist/provider.hpp"
#include "enlist/status.hpp"

namespace {

using enlist::hresult;
using enlist::sync_provider_role;

// Reference bookkeeping of every state, checked at the end.
struct audit {
  std::atomic<std::uint64_t> add_refs{0};
  std::atomic<std::uint64_t> releases{0};
  std::atomic<std::uint64_t> destroyed{0};
  std::atomic<std::uint64_t> violations{0};  // release below zero, or use of a destroyed state
};

// The orchestrator's session state. Its memory belongs to the example's pool, so "destroyed" is
// a flag that can be checked safely rather than freed memory. A short copy of the test suite's
// audited state (tests/support/audited_state.hpp), kept here so that the example stands alone
// as a file a provider author can read and build without the tests.
class tracked_state final : public enlist::session_state {
 public:
  explicit tracked_state(audit& a) : audit_(a) {}
  ~tracked_state() override = default;

  std::uint32_t AddRef() noexcept override {
    check_alive();
    audit_.add_refs.fetch_add(1, std::memory_order_relaxed);
    return refs_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  std::uint32_t Release() noexcept override {
    check_alive();
    const std::uint32_t before = refs_.fetch_sub(1, std::memory_order_acq_rel);
    if (before == 0) {
      audit_.violations.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
    audit_.releases.fetch_add(1, std::memory_order_relaxed);
    if (before == 1) {
      dead_.store(true, std::memory_order_release);
      audit_.destroyed.fetch_add(1, std::memory_order_relaxed);
    }
    return before - 1;
  }
  bool IsCanceled() const noexcept override {
    check_alive();
    return canceled_.load(std::memory_order_acquire);
  }
  void cancel() noexcept { canceled_.store(true, std::memory_order_release); }
  void check_alive() const noexcept {
    if (dead_.load(std::memory_order_acquire)) {
      audit_.violations.fetch_add(1, std::memory_order_relaxed);
    }
  }

 private:
  audit& audit_;
  std::atomic<std::uint32_t> refs_{1};  // the orchestrator's own reference
  std::atomic<bool> canceled_{false};
  std::atomic<bool> dead_{false};
};

// The provider: the enlist base plus what a real provider would add (here, a health check that
// walks its sessions).
class catalog_provider : public enlist::provider {
 public:
  explicit catalog_provider(enlist::registry_options options) : enlist::provider(options) {}

  // Visits every enlisted session; the registry keeps each state alive while it is visited.
  std::size_t check_sessions() const {
    return sessions()
        .for_each([](enlist::session_state* s, sync_provider_role) {
          static_cast<tracked_state*>(s)->check_alive();
        })
        .count;
  }
  std::size_t enlisted() const noexcept { return sessions().size(); }
};

// Status codes the example counts, in the order it prints them.
constexpr std::array<hresult, 7> codes = {enlist::S_OK,
                                          enlist::SYNC_E_INVALID_OPERATION,
                                          enlist::E_POINTER,
                                          enlist::E_INVALIDARG,
                                          enlist::E_OUTOFMEMORY,
                                          enlist::E_ABORT,
                                          enlist::SYNC_E_INTERNAL_ERROR};

struct tally {
  std::array<std::atomic<std::uint64_t>, codes.size() + 1> per_code{};  // last: unknown codes
  void count(hresult hr) noexcept {
    std::size_t i = 0;
    while (i < codes.size() && codes[i] != hr)
      ++i;
    per_code[i].fetch_add(1, std::memory_order_relaxed);
  }
};

// What the call should have returned; a mismatch is counted as a contract violation.
struct expectations {
  std::atomic<std::uint64_t> unexpected{0};
  void check(hresult got, hresult want) noexcept {
    if (got != want) unexpected.fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace

int main() {
  constexpr std::size_t session_count = 20000;
  constexpr std::size_t threads = 64;  // far more than cores, as on a busy sync server
  audit refs;
  tally errors;
  expectations expected;
  std::atomic<std::uint64_t> begun{0};
  std::atomic<std::uint64_t> ended_by_end_session{0};
  std::atomic<std::uint64_t> ended_by_sweep{0};
  std::atomic<std::uint64_t> capacity_refusals{0};
  std::size_t peak = 0;

  std::vector<std::unique_ptr<tracked_state>> states;
  states.reserve(session_count);
  for (std::size_t i = 0; i < session_count; ++i) {
    states.push_back(std::make_unique<tracked_state>(refs));
  }
  tracked_state stranger(refs);  // a state no provider ever began

  {
    catalog_provider provider({.expected_sessions = 1024});
    catalog_provider exclusive({.capacity = 1});  // the documented one-session-per-provider rule

    auto call = [&](hresult got, hresult want) {
      errors.count(got);
      expected.check(got, want);
      return got;
    };

    tbb::global_control allow(tbb::global_control::max_allowed_parallelism, threads);
    tbb::task_arena arena(static_cast<int>(threads));
    arena.execute([&] {
      tbb::task_group background;
      std::atomic<bool> done{false};
      background.run([&] {  // the provider's maintenance: sweep canceled sessions, health check
        while (!done.load(std::memory_order_acquire)) {
          const enlist::sweep_result swept = provider.EndCanceledSessions();
          ended_by_sweep.fetch_add(swept.count, std::memory_order_relaxed);
          provider.check_sessions();
          std::this_thread::yield();
        }
      });
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, session_count, 16), [&](const auto& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          tracked_state* state = states[i].get();
          const auto role =
              i % 2 == 0 ? sync_provider_role::source : sync_provider_role::destination;
          if (call(provider.BeginSession(role, state), enlist::S_OK) == enlist::S_OK) {
            begun.fetch_add(1, std::memory_order_relaxed);
          }
          switch (i % 8) {  // the bad calls, each on a share of the sessions
            case 1:
              call(provider.EndSession(&stranger), enlist::SYNC_E_INVALID_OPERATION);
              break;
            case 2:
              call(provider.BeginSession(role, state), enlist::SYNC_E_INVALID_OPERATION);
              break;
            case 3:
              call(provider.EndSession(nullptr), enlist::E_POINTER);
              break;
            case 4:
              call(provider.BeginSession(static_cast<sync_provider_role>(5), &stranger),
                   enlist::E_INVALIDARG);
              break;
            case 5: {  // many sessions contend for the single-session provider
              const hresult hr = exclusive.BeginSession(role, state);
              errors.count(hr);
              if (hr == enlist::S_OK) {
                expected.check(exclusive.EndSession(state), enlist::S_OK);
              } else {
                expected.check(hr, enlist::SYNC_E_INVALID_OPERATION);
                capacity_refusals.fetch_add(1, std::memory_order_relaxed);
              }
              break;
            }
            default:
              break;
          }
          if (i % 10 == 0) state->cancel();  // left enlisted: the sweep ends it
        }
      });
      // Every session is enlisted at once now (less those the sweep already ended).
      peak = provider.enlisted();
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, session_count, 16), [&](const auto& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          if (i % 10 == 0) continue;
          tracked_state* state = states[i].get();
          if (call(provider.EndSession(state), enlist::S_OK) == enlist::S_OK) {
            ended_by_end_session.fetch_add(1, std::memory_order_relaxed);
          }
          if (i % 8 == 6) call(provider.EndSession(state), enlist::SYNC_E_INVALID_OPERATION);
        }
      });
      done.store(true, std::memory_order_release);
      background.wait();
    });
    // Canceled sessions the background sweep had not reached yet.
    ended_by_sweep.fetch_add(provider.EndCanceledSessions().count, std::memory_order_relaxed);
    if (provider.Shutdown() != enlist::S_OK) expected.unexpected.fetch_add(1);
    call(provider.EndSession(states[0].get()), enlist::E_ABORT);
  }

  // The orchestrator drops its own references: every state must now be destroyed exactly once.
  for (auto& s : states)
    s->Release();
  stranger.Release();

  std::printf("scaled_provider: %zu sessions on %zu threads (%u hardware threads)\n", session_count,
              threads, std::thread::hardware_concurrency());
  std::printf("  begun %llu, ended by EndSession %llu, ended by cancel sweep %llu\n",
              static_cast<unsigned long long>(begun.load()),
              static_cast<unsigned long long>(ended_by_end_session.load()),
              static_cast<unsigned long long>(ended_by_sweep.load()));
  std::printf("  %zu sessions enlisted at once after the begin phase\n", peak);
  std::printf("  single-session provider refused %llu begins at capacity\n",
              static_cast<unsigned long long>(capacity_refusals.load()));
  std::printf("  status codes returned:\n");
  for (std::size_t i = 0; i < codes.size(); ++i) {
    std::printf("    %-26s %llu\n", enlist::status_name(codes[i]).data(),
                static_cast<unsigned long long>(errors.per_code[i].load()));
  }
  std::printf("    %-26s %llu\n", "other",
              static_cast<unsigned long long>(errors.per_code[codes.size()].load()));

  const std::uint64_t add_refs = refs.add_refs.load();
  const std::uint64_t registry_releases = refs.releases.load() - (session_count + 1);
  const bool balanced = add_refs == registry_releases;
  const bool all_destroyed = refs.destroyed.load() == session_count + 1;
  const bool ended_all = begun.load() == ended_by_end_session.load() + ended_by_sweep.load();
  const bool ok = balanced && all_destroyed && ended_all && refs.violations.load() == 0 &&
                  expected.unexpected.load() == 0;
  std::printf("  reference audit: %llu AddRef, %llu Release by providers%s\n",
              static_cast<unsigned long long>(add_refs),
              static_cast<unsigned long long>(registry_releases),
              balanced ? " (matched one to one)" : " (MISMATCH)");
  std::printf(
      "  destroyed %llu of %zu states, early destructions or uses after destruction %llu, "
      "unexpected results %llu\n",
      static_cast<unsigned long long>(refs.destroyed.load()), session_count + 1,
      static_cast<unsigned long long>(refs.violations.load()),
      static_cast<unsigned long long>(expected.unexpected.load()));
  std::printf("%s\n", ok ? "audit passed" : "AUDIT FAILED");
  return ok ? 0 : 1;
}
