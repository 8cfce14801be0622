// libFuzzer harness for the registry. The input is a program: its first byte picks the thread
// count (1-4), whether allocations fail from the start, whether the registry has a small
// capacity, and whether it ends with shutdown; the second byte is the capacity. Then every two
// bytes are one call: begin (with a valid or an unknown role), end, role_of, cancel and end the
// canceled, for_each, end a destroyed state and reuse its address, null arguments, calls on
// states shared by all threads, end_all, or switching allocation failure. Call i runs on thread
// i % threads.
//
//   States private to a thread are checked exactly against that thread's sequential model
//   after every call: the status, the role, and the references the registry holds (one while
//   enlisted, none otherwise). Sweeps are restricted to the thread's own states when several
//   threads run, so that the model stays exact.
//   Shared states get a reference audit: successful begins minus successful ends must equal
//   whether the state is enlisted at the end, which must equal the references held.
// Every state audits its references (support/audited_state.hpp): no release below zero, no call
// after destruction. At the end every reference must be back with its creator and every byte
// back with the memory resource.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "enlist/registry.hpp"
#include "enlist/status.hpp"
#include "support/audited_state.hpp"
#include "support/counting_resource.hpp"
#include "support/fuzz_check.hpp"
#include "support/fuzz_entry.hpp"

namespace {

using enlist::hresult;
using enlist::sync_provider_role;
using enlist::test::audited_state;
using enlist::test::reference_audit;
using registry = enlist::basic_registry<enlist::com_state_policy<audited_state>>;

constexpr std::size_t own_states = 32;
constexpr std::size_t shared_states = 8;

struct instruction {
  std::uint8_t op;
  std::uint8_t arg;
};

struct shared_counts {
  std::int64_t begun = 0, ended = 0;
};

struct run_context {
  registry& sessions;
  enlist::test::counting_resource& memory;
  enlist::test::state_pool& states;
  std::atomic<bool>& ever_failing;
  bool limited;
  unsigned thread_count;
};

class thread_program {
 public:
  thread_program(run_context& context, unsigned t) : c_(context), thread_(t) {}

  void run(const std::vector<instruction>& program) {
    for (const instruction& i : program)
      execute(i);
  }

  // The state's role in this thread's model (own states only).
  std::optional<sync_provider_role> model(std::size_t i) const { return model_[i]; }
  audited_state* own(std::size_t i) const { return c_.states.get(thread_ * own_states + i); }
  const std::vector<shared_counts>& shared() const { return shared_; }

 private:
  bool may_run_out() const { return c_.ever_failing.load(); }
  bool single() const { return c_.thread_count == 1; }

  void check_own(std::size_t i) {
    ENLIST_FUZZ_CHECK(c_.sessions.role_of(own(i)) == model_[i]);
    const std::int64_t held = model_[i] ? 1 : 0;
    const std::int64_t refs = own(i)->registry_refs();
    if (single()) {
      ENLIST_FUZZ_CHECK(refs == held);
      return;
    }
    // An end that meets another thread's sweep protecting the state hands its release to that
    // sweep (registry.hpp, SWEEPS AND STATE LIFETIME), so until the sweep's callback returns the
    // reference is still out, even if this thread has begun the state again meanwhile. Each
    // sweep holds at most one such release per state; the check after the join is exact.
    const std::int64_t sweeps = c_.thread_count - 1;
    ENLIST_FUZZ_CHECK(refs >= held);  // never released while enlisted
    ENLIST_FUZZ_CHECK(refs <= held + sweeps);
  }

  // Sessions enlisted by this thread, shared states included: all of them when it runs alone.
  std::size_t enlisted_count() const {
    std::int64_t n = 0;
    for (const auto& m : model_)
      n += m ? 1 : 0;
    for (const shared_counts& k : shared_)
      n += k.begun - k.ended;
    return static_cast<std::size_t>(n);
  }

  void execute(const instruction& in) {
    const std::size_t i = in.arg % own_states;
    switch (in.op % 11) {
      case 0:
      case 1:
        begin(i, in.op / 11 % 3);
        break;
      case 2:
      case 3:
        end(i);
        break;
      case 4:
        check_own(i);
        break;
      case 5:
        cancel_and_sweep(i);
        break;
      case 6:
        for_each();
        break;
      case 7:
        reuse_address(i);
        break;
      case 8:
        ENLIST_FUZZ_CHECK(c_.sessions.begin(sync_provider_role::source, nullptr) ==
                          enlist::E_POINTER);
        ENLIST_FUZZ_CHECK(c_.sessions.end(nullptr) == enlist::E_POINTER);
        break;
      case 9:
        on_shared(in.arg);
        break;
      default:
        if (single() && (in.arg & 0x80) != 0) {
          end_all();
        } else {
          // The sticky flag goes first, so a thread that meets a failure also sees the flag.
          if ((in.arg & 1) != 0) c_.ever_failing.store(true);
          c_.memory.fail_allocations((in.arg & 1) != 0);
        }
    }
  }

  void begin(std::size_t i, unsigned role_code) {
    const auto role = static_cast<sync_provider_role>(role_code == 2 ? 7 : role_code);
    const hresult hr = c_.sessions.begin(role, own(i));
    if (role_code == 2) {
      ENLIST_FUZZ_CHECK(hr == enlist::E_INVALIDARG);
    } else if (model_[i]) {
      ENLIST_FUZZ_CHECK(hr == enlist::SYNC_E_INVALID_OPERATION);
    } else if (hr == enlist::S_OK) {
      model_[i] = role;
    } else if (hr == enlist::E_OUTOFMEMORY) {
      ENLIST_FUZZ_CHECK(may_run_out());
    } else {
      // Refused at capacity: exactly when full if this thread is the only one.
      ENLIST_FUZZ_CHECK(hr == enlist::SYNC_E_INVALID_OPERATION && c_.limited);
      ENLIST_FUZZ_CHECK(!single() || enlisted_count() >= c_.sessions.capacity());
    }
    check_own(i);
  }

  void end(std::size_t i) {
    const hresult hr = c_.sessions.end(own(i));
    if (!model_[i]) {
      ENLIST_FUZZ_CHECK(hr == enlist::SYNC_E_INVALID_OPERATION);
    } else if (hr == enlist::E_OUTOFMEMORY) {
      ENLIST_FUZZ_CHECK(may_run_out());  // still enlisted
    } else {
      ENLIST_FUZZ_CHECK(hr == enlist::S_OK);
      model_[i].reset();
    }
    check_own(i);
  }

  void cancel_and_sweep(std::size_t i) {
    own(i)->cancel();
    canceled_[i] = true;
    const audited_state* first = own(0);
    const audited_state* last = own(own_states - 1);
    const auto swept = c_.sessions.end_if([&](const audited_state* s) {
      // With other threads running, only this thread's states: their model is this thread's.
      return s->IsCanceled() && (single() || (s >= first && s <= last));
    });
    std::size_t expected = 0;
    for (std::size_t k = 0; k < own_states; ++k) {
      if (canceled_[k] && model_[k]) {
        ++expected;
        model_[k].reset();
      }
    }
    // Out of memory (a migration the sweep must finish first, or an end's own): fewer ended.
    ENLIST_FUZZ_CHECK(swept.status == enlist::S_OK ||
                      (swept.status == enlist::E_OUTOFMEMORY && swept.count == 0 && may_run_out()));
    // An end of a canceled state may meet a migration that cannot allocate: fewer are ended.
    ENLIST_FUZZ_CHECK(swept.count == expected || (swept.count < expected && may_run_out()));
    if (swept.count < expected) {
      for (std::size_t k = 0; k < own_states; ++k) {
        if (c_.sessions.is_enlisted(own(k))) model_[k] = c_.sessions.role_of(own(k));
      }
    }
    for (std::size_t k = 0; k < own_states; ++k)
      check_own(k);
  }

  void for_each() {
    std::vector<int> visits(own_states, 0);
    const audited_state* first = own(0);
    const audited_state* last = own(own_states - 1);
    const auto swept = c_.sessions.for_each([&](audited_state* s, sync_provider_role role) {
      ENLIST_FUZZ_CHECK(!s->destroyed());  // a sweep only hands out live states
      if (s >= first && s <= last) {
        const auto k = static_cast<std::size_t>(s - first);
        ++visits[k];
        ENLIST_FUZZ_CHECK(model_[k] == role);
      }
    });
    // Out of memory mid-migration, the sweep refuses rather than visit a session twice.
    if (swept.status == enlist::E_OUTOFMEMORY && may_run_out()) {
      ENLIST_FUZZ_CHECK(swept.count == 0);
      for (std::size_t k = 0; k < own_states; ++k)
        ENLIST_FUZZ_CHECK(visits[k] == 0);
      return;
    }
    ENLIST_FUZZ_CHECK(swept.status == enlist::S_OK);
    // Enlisted for the whole sweep (this thread's states cannot change meanwhile): exactly once.
    for (std::size_t k = 0; k < own_states; ++k) {
      ENLIST_FUZZ_CHECK(visits[k] == (model_[k] ? 1 : 0));
    }
  }

  // The end of a state destroyed long ago, then a new state at the same address.
  void reuse_address(std::size_t i) {
    audited_state* s = own(i);
    if (model_[i] || s->refs() != 1) return;  // enlisted, or a sweep still has the release
    s->release_creator();
    ENLIST_FUZZ_CHECK(s->destroyed());
    ENLIST_FUZZ_CHECK(c_.sessions.end(s) == enlist::SYNC_E_INVALID_OPERATION);
    ENLIST_FUZZ_CHECK(!c_.sessions.is_enlisted(s));
    s->revive();
    canceled_[i] = false;
    ENLIST_FUZZ_CHECK(c_.sessions.end(s) == enlist::SYNC_E_INVALID_OPERATION);
    ENLIST_FUZZ_CHECK(s->add_refs() + s->releases() == 0);
  }

  void on_shared(std::uint8_t arg) {
    const std::size_t k = arg % shared_states;
    audited_state* s = c_.states.get(c_.thread_count * own_states + k);
    if ((arg & 0x80) != 0) {
      const hresult hr = c_.sessions.begin(sync_provider_role::destination, s);
      ENLIST_FUZZ_CHECK(hr == enlist::S_OK || hr == enlist::SYNC_E_INVALID_OPERATION ||
                        (hr == enlist::E_OUTOFMEMORY && may_run_out()));
      if (hr == enlist::S_OK) ++shared_[k].begun;
    } else {
      const hresult hr = c_.sessions.end(s);
      ENLIST_FUZZ_CHECK(hr == enlist::S_OK || hr == enlist::SYNC_E_INVALID_OPERATION ||
                        (hr == enlist::E_OUTOFMEMORY && may_run_out()));
      if (hr == enlist::S_OK) ++shared_[k].ended;
    }
  }

  // Single-threaded only: it ends every session, shared ones included.
  void end_all() {
    const auto swept = c_.sessions.end_all();
    // Out of memory, an end that meets a migration may leave its session enlisted.
    ENLIST_FUZZ_CHECK(swept.status == enlist::S_OK ||
                      (swept.status == enlist::E_OUTOFMEMORY && may_run_out()));
    for (std::size_t k = 0; k < shared_states; ++k) {
      audited_state* s = c_.states.get(own_states + k);
      if (shared_[k].begun > shared_[k].ended && !c_.sessions.is_enlisted(s)) ++shared_[k].ended;
    }
    for (std::size_t k = 0; k < own_states; ++k) {
      model_[k] = c_.sessions.role_of(own(k));  // checked against the references below
      if (!may_run_out()) ENLIST_FUZZ_CHECK(!model_[k]);
      check_own(k);
    }
  }

  run_context& c_;
  const unsigned thread_;
  std::vector<std::optional<sync_provider_role>> model_ =
      std::vector<std::optional<sync_provider_role>>(own_states);
  std::vector<bool> canceled_ = std::vector<bool>(own_states, false);
  std::vector<shared_counts> shared_ = std::vector<shared_counts>(shared_states);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  enlist::test::fuzz_input input(data, size);
  const std::uint8_t mode = input.byte();
  const unsigned thread_count = 1 + mode % 4;
  const bool failing_from_start = (mode & 0x10) != 0;
  const bool limited = (mode & 0x20) != 0;
  const bool shut_down_at_end = (mode & 0x40) != 0;
  const std::size_t capacity =
      limited ? 1 + input.byte() % 40 : enlist::registry_options::unlimited;
  std::vector<std::vector<instruction>> programs(thread_count);
  for (std::size_t i = 0; !input.empty(); ++i) {
    const std::uint8_t op = input.byte();
    programs[i % thread_count].push_back({op, input.byte()});
  }

  reference_audit::reset();
  enlist::test::counting_resource memory;
  enlist::test::state_pool states(thread_count * own_states + shared_states);
  {
    registry sessions({.capacity = capacity, .resource = &memory});
    std::atomic<bool> ever_failing{failing_from_start};
    memory.fail_allocations(failing_from_start);
    run_context context{sessions, memory, states, ever_failing, limited, thread_count};
    std::vector<thread_program> runs;
    for (unsigned t = 0; t < thread_count; ++t)
      runs.emplace_back(context, t);
    enlist::test::run_thread_programs(runs, programs, enlist::test::schedule_seed(data, size));
    memory.fail_allocations(false);

    std::size_t enlisted = 0;
    for (const thread_program& run : runs) {
      for (std::size_t i = 0; i < own_states; ++i) {
        ENLIST_FUZZ_CHECK(sessions.role_of(run.own(i)) == run.model(i));
        ENLIST_FUZZ_CHECK(run.own(i)->registry_refs() == (run.model(i) ? 1 : 0));
        enlisted += run.model(i) ? 1 : 0;
      }
    }
    for (std::size_t k = 0; k < shared_states; ++k) {
      std::int64_t net = 0;
      for (const thread_program& run : runs)
        net += run.shared()[k].begun - run.shared()[k].ended;
      audited_state* s = states.get(thread_count * own_states + k);
      const std::int64_t held = sessions.is_enlisted(s) ? 1 : 0;
      ENLIST_FUZZ_CHECK(net == held);
      ENLIST_FUZZ_CHECK(s->registry_refs() == held);
      enlisted += static_cast<std::size_t>(held);
    }
    ENLIST_FUZZ_CHECK(sessions.size() == enlisted);
    ENLIST_FUZZ_CHECK(enlisted <= capacity);

    if (shut_down_at_end) {
      ENLIST_FUZZ_CHECK(sessions.shutdown() == enlist::S_OK);
      ENLIST_FUZZ_CHECK(states.balanced());
      ENLIST_FUZZ_CHECK(sessions.begin(sync_provider_role::source, states.get(0)) ==
                        enlist::E_ABORT);
      ENLIST_FUZZ_CHECK(sessions.end(states.get(0)) == enlist::E_ABORT);
    }
  }  // the destructor ends whatever is left
  ENLIST_FUZZ_CHECK(states.balanced());
  ENLIST_FUZZ_CHECK(reference_audit::clean());
  ENLIST_FUZZ_CHECK(memory.outstanding_bytes() == 0);
  return 0;
}
