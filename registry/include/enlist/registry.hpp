#pragma once
// enlist::basic_registry: the sessions one provider instance is enlisted in, keyed by the
// identity (address) of their session-state objects, with the semantics of Windows Sync's
// IKnowledgeSyncProvider::BeginSession / EndSession (see docs/contract.md):
//
//   begin(role, state)  enlists the session and takes exactly one reference to its state.
//   end(state)          ends it and releases exactly that reference; an end without a matching
//                       begin returns SYNC_E_INVALID_OPERATION and touches nothing.
//   Racing calls on one state: exactly one begin succeeds, exactly one end succeeds, every
//   reference taken is released exactly once. Refused calls change nothing.
//
// The state type is reached through a state policy (state_policy.hpp): registry is the
// registry of enlist::session_state; basic_registry<P> serves a provider's own type.
//
//     enlist::registry sessions;                         // or registry({.capacity = 1})
//     auto state = enlist::make_session_state();
//     sessions.begin(enlist::sync_provider_role::source, state.get());     // S_OK
//     sessions.end(state.get());                                           // S_OK
//     sessions.end(state.get());                          // SYNC_E_INVALID_OPERATION
//     sessions.end_canceled();                            // ends every canceled session
//
// HOW IT WORKS
//   The entries live in a concurrent_map from address to role (concurrent_map.hpp). begin is
//   one insert: the map calls back once it has found the state absent and just before it
//   publishes the entry, and begin takes the reference there, so the reference exists before
//   any racing end can see the entry and release it, and a duplicate begin touches no
//   reference. If the insert still fails (a racing begin published first, or no memory) begin
//   drops the reference again; the caller's own reference keeps the state alive meanwhile.
//   end erases, and the erase that succeeds owns the registry's reference: exactly one racing
//   end can succeed.
//   Capacity: when finite, an admission counter is incremented once the insert has found the
//   state absent, before it publishes the entry, and refuses a begin that would exceed it, so
//   the capacity is never exceeded, even under races. The cost is one shared atomic increment
//   per begin and decrement per successful end; a duplicate begin never reaches the counter, and
//   a begin refused at capacity only reads it (unless it races the last free place), so error
//   paths write nothing shared, as in an unlimited registry. An unlimited registry (the default) has no counter
//   and no shared write outside the map: a begin or an end writes the session's cell and
//   nothing else another thread writes (tests/registry/registry_cost_model_test.cpp), except
//   that while the map migrates a begin also moves the migration on by one chunk of 256 cells
//   (concurrent_map.hpp, COST MODEL).
//
// SWEEPS AND STATE LIFETIME
//   for_each and end_if hand states to user code, while a racing end may erase an entry and
//   release (perhaps destroy) its state at any moment. A sweep therefore publishes each key in
//   a hazard slot and re-checks the entry before calling user code; an end that erased a key a
//   sweep protects hands the release over to that sweep instead of releasing, so the state
//   lives until the sweep's callback returns. Ends pay for this only while a sweep runs; with no
//   sweep running an end's extra cost is a compiler barrier and one load of a line that only
//   sweeps write. detail/sweep_protection.hpp has the algorithm and its memory-order argument.
//   A release may destroy more than the state: a state often holds the last reference to its
//   provider (the COM back-reference), whose destruction destroys this registry. So a sweep,
//   shutdown and the destructor never release while they walk: they collect what they owe
//   (release_list) and release it once nothing more of the registry will be touched. end
//   releases last thing too: nothing of the registry is read after its release.
//
// SHUTDOWN
//   shutdown() ends every session, and from then on every call returning hresult returns
//   E_ABORT. A begin racing with shutdown re-checks the flag after its insert (registry.G2,
//   registry.G3, paired with shutdown's heavy fence registry.G4) and withdraws its entry, so no
//   session is left behind. The destructor releases every session still enlisted (after a shutdown
//   that ran out of memory, some may be); it requires that no call is running.
//
// PROGRESS AND HOT PATHS
//   end (hit and miss) and the release: lock-free (the map's erase), no lock, no allocation, no
//   exception, no logging. An end miss writes nothing shared. begin: lock-free; allocates only
//   when it starts a migration of the map. Lookups: lock-free, write nothing shared. Sweeps: lock-free; a sweep
//   allocates one slot record the first time that many sweeps run at once.
//
// MEMORY ORDERING (tags registry.* on the operations below; the sweep.* tags are defined in
// detail/sweep_protection.hpp)
//   (registry.G1) the early shutdown check is relaxed: a stale answer is corrected by
//        (registry.G3).
//   (registry.G2) begin issues the light fence after its insert and (registry.G3) loads the flag;
//        shutdown stores the flag and issues the heavy fence (registry.G4) before scanning: either
//        the begin sees the flag and withdraws, or the scan sees the entry and ends it.
//   (registry.G5) an end that found its entry gone loads the flag again, relaxed: if shutdown's
//        scan erased the entry, the end's lookup read that erase (acquire, concurrent_map.hpp),
//        which the shutdown made after storing the flag, so the load sees the flag.
//   A found entry happens after its begin: the map publishes values with release and finds them
//   with acquire (map.M3, map.M2), so a sweep sees the state as begin's caller left it.
//   The admission counter (registry.A1) is relaxed: it only counts; it publishes nothing.
//
// WHAT IT DOES NOT PROMISE
//   Lookups, size and for_each are weakly consistent answers, not promises: a session may end
//   right after is_enlisted returned true. With a finite capacity a begin racing with other
//   begins that then fail, or with an end that has erased but not yet returned, may be refused
//   although the final count would have admitted it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <optional>
#include <utility>
#include <vector>

#include "enlist/concurrent_map.hpp"
#include "enlist/detail/atomic.hpp"
#include "enlist/detail/sweep_protection.hpp"
#include "enlist/reclaim/asymmetric_fence.hpp"
#include "enlist/session_state.hpp"
#include "enlist/state_policy.hpp"
#include "enlist/status.hpp"

namespace enlist {

// SYNC_PROVIDER_ROLE. Any other value passed in is refused with E_INVALIDARG.
enum class sync_provider_role : std::int32_t { source = 0, destination = 1 };

struct registry_options {
  static constexpr std::size_t unlimited =
      (std::numeric_limits<std::size_t>::max)();  // () against windows.h max
  // Most sessions enlisted at once; 1 is the one-session-per-provider rule of the documentation.
  std::size_t capacity = unlimited;
  // Sizing hint: that many sessions fit before the map first grows. Above
  // concurrent_map::max_expected_keys the constructor throws std::length_error; a hint it cannot
  // allocate throws std::bad_alloc.
  std::size_t expected_sessions = 0;
  // Where the map's tables come from. Must be thread-safe (any thread that starts a migration
  // allocates, any thread that reclaims frees) and must outlive the registry. The constructor
  // throws std::invalid_argument for null and for the standard resources that are not
  // thread-safe (unsynchronized_pool_resource, monotonic_buffer_resource); it cannot check a
  // resource of the provider's own.
  std::pmr::memory_resource* resource = std::pmr::get_default_resource();
};

// What a sweep did: its status, and how many sessions it visited (for_each) or ended.
struct sweep_result {
  hresult status;
  std::size_t count;
};

template <state_policy Policy>
class basic_registry {
 public:
  using policy_type = Policy;
  using state_type = typename Policy::state_type;

  // Throws std::bad_alloc if the map's first table cannot be allocated.
  explicit basic_registry(registry_options options = {})
      : map_(options.expected_sessions, options.resource),
        capacity_(options.capacity),
        limited_(options.capacity != registry_options::unlimited) {}
  ~basic_registry() {
    // No call is running: each entry's reference is released where it stands, without the erase
    // that may need room a migration cannot get, and the walk of the tables is exact.
    release_list owed;
    map_.for_each_at_least_once(
        [&owed](std::uintptr_t key, std::uint64_t) { owed.add(state_at(key)); });
  }
  basic_registry(const basic_registry&) = delete;
  basic_registry& operator=(const basic_registry&) = delete;

  // Enlists the session of `state` in `role` and takes one reference to it.
  // S_OK; E_ABORT after shutdown; E_POINTER for null; E_INVALIDARG for an unknown role or a
  // state at an odd address (no object holding a counter has one, and the registry tags the low
  // bit) or at 2^56 and above (past every user-space address; the map keeps its state bits
  // there); SYNC_E_INVALID_OPERATION when already enlisted or at capacity; E_OUTOFMEMORY when the
  // map cannot grow. Anything but S_OK leaves the registry and the reference count as they were.
  [[nodiscard]] hresult begin(sync_provider_role role, state_type* state) noexcept {
    if (shut_down_.load(std::memory_order_relaxed))
      return E_ABORT;  // (registry.G1) with registry.G3
    if (state == nullptr) return E_POINTER;
    if ((role != sync_provider_role::source && role != sync_provider_role::destination) ||
        unkeyable(state)) {
      return E_INVALIDARG;
    }
    bool referenced = false;
    const auto take_reference = [state, &referenced]() noexcept {
      Policy::add_ref(state);  // before the entry exists: a racing end may release it at once
      referenced = true;
    };
    const std::uint64_t value = static_cast<std::uint64_t>(role);
    // Two instantiations of insert, so that an unlimited registry's begin pays nothing for
    // admission; a limited one admits only once the state is known to be absent.
    const map_status inserted = limited_ ? map_.insert(key_of(state), value,
                                                       [this, &take_reference]() noexcept {
                                                         if (!admit()) return false;
                                                         take_reference();
                                                         return true;
                                                       })
                                         : map_.insert(key_of(state), value, take_reference);
    if (inserted != map_status::ok) {
      if (referenced) {
        if (limited_) unadmit();
        Policy::release(state);  // never the last reference: the caller holds one
      }
      return inserted == map_status::exists || inserted == map_status::refused
                 ? SYNC_E_INVALID_OPERATION
                 : E_OUTOFMEMORY;
    }
    reclaim::light_fence();                            // (registry.G2) with registry.G4
    if (shut_down_.load(std::memory_order_relaxed)) {  // (registry.G3) with registry.G4
      // Withdraw. If the shutdown's scan already ended the entry, the session was enlisted and
      // then ended with the others, and begin reports that it was enlisted. Releasing here
      // never destroys the registry: the caller's own reference keeps the state alive.
      return end_session(state) == S_OK ? E_ABORT : S_OK;
    }
    return S_OK;
  }

  // Ends the session of `state` and releases the reference begin took.
  // S_OK; E_ABORT after shutdown; E_POINTER for null; E_INVALIDARG for an address begin
  // refuses; SYNC_E_INVALID_OPERATION when the state has no matching begin (then nothing is
  // touched and nothing shared is written);
  // E_OUTOFMEMORY in the rare case a migration of the map had to move the session into a table
  // left full and a larger one could not be allocated (still enlisted).
  // Progress: lock-free; no lock, exception, logging, free or system call, and no allocation but
  // in the corner where that larger table is needed and memory is there (concurrent_map.hpp,
  // map.I4): the end then makes it rather than fail.
  [[nodiscard]] hresult end(state_type* state) noexcept {
    if (shut_down_.load(std::memory_order_relaxed))
      return E_ABORT;  // (registry.G1) with registry.G3
    if (state == nullptr) return E_POINTER;
    if (unkeyable(state)) return E_INVALIDARG;  // never begun: begin refuses it too
    const hresult ended = end_session(state);
    // A shutdown that began meanwhile may have ended this session first: to this caller the
    // shutdown came first, and its answer is E_ABORT, not "never begun".
    if (ended == SYNC_E_INVALID_OPERATION &&
        shut_down_.load(std::memory_order_relaxed)) {  // (registry.G5) with map.M4
      return E_ABORT;
    }
    return ended;
  }

  // Lookups: answers at the instant of the call, not promises. Write nothing shared.
  bool is_enlisted(const state_type* state) const noexcept {
    return state != nullptr && map_.find(key_of(state)).status == map_status::ok;
  }
  std::optional<sync_provider_role> role_of(const state_type* state) const noexcept {
    if (state == nullptr) return std::nullopt;
    const map_result r = map_.find(key_of(state));
    if (!r) return std::nullopt;
    return static_cast<sync_provider_role>(r.value);
  }
  // Weakly consistent while calls run; exact when none does.
  std::size_t size() const noexcept { return map_.size(); }
  // Gives memory back now (concurrent_map::reclaim): ends never free or shrink, so after many
  // sessions ended and none began, the grown table stays until the next begin or this call.
  void reclaim() noexcept { map_.reclaim(); }
  std::size_t capacity() const noexcept { return capacity_; }
  bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_relaxed); }

  // Calls f(state, role) for enlisted sessions; the state is alive during the call (the
  // registry's reference cannot be released before f returns). Weakly consistent: a session
  // enlisted for the whole sweep is visited exactly once; one begun or ended meanwhile may or
  // may not be. f may call this registry (end the state it was handed, begin others, sweep).
  // If f throws, the sweep stops and the exception propagates; nothing is lost.
  // S_OK with the number of calls; E_ABORT after shutdown; E_OUTOFMEMORY, having called f for
  // nothing, if the sweep could not get a hazard slot or could not finish a migration of the map
  // for want of memory (then sessions spread over two tables could not be visited exactly once).
  template <class F>
  [[nodiscard]] sweep_result for_each(F&& f) const {
    release_list owed;  // destroyed last: releases once the sweep is done with the registry
    return sweep(owed, [&f](state_type* state, sync_provider_role role) {
      f(state, role);
      return true;
    });
  }

  // Ends every session for which pred(state) is true (pred sees a live state), e.g. canceled
  // ones. Weakly consistent like for_each, and like it E_OUTOFMEMORY, having ended nothing, when
  // memory runs out. Returns the number it ended. The references of the sessions it ended are
  // released after the walk, before it returns.
  template <class Pred>
  [[nodiscard]] sweep_result end_if(Pred&& pred) {
    release_list owed;  // destroyed last: releases once the sweep is done with the registry
    return sweep(owed, [this, &pred, &owed](state_type* state, sync_provider_role) {
      return static_cast<bool>(pred(static_cast<const state_type*>(state))) &&
             end_session(state, owed) == S_OK;
    });
  }

  // Ends every session whose state reports canceled.
  [[nodiscard]] sweep_result end_canceled() {
    return end_if([](const state_type* state) { return Policy::is_canceled(state); });
  }

  // Ends every session enlisted for the whole call. Returns the number it ended; E_OUTOFMEMORY
  // when some end met a migration that could not move its session for want of memory (as end
  // does), and those sessions stay enlisted.
  [[nodiscard]] sweep_result end_all() noexcept {
    if (shut_down_.load(std::memory_order_relaxed)) return {E_ABORT, 0};
    release_list owed;
    return end_every_session(owed);
  }

  // Ends every session and refuses every later call with E_ABORT (including a second shutdown).
  // E_OUTOFMEMORY when, as in end_all, a session could not be ended for want of memory: the
  // registry is shut down all the same, and its destructor releases that session.
  [[nodiscard]] hresult shutdown() noexcept {
    if (shut_down_.exchange(true, std::memory_order_relaxed)) return E_ABORT;
    reclaim::heavy_fence();  // (registry.G4) with registry.G2, registry.G3
    release_list owed;
    return end_every_session(owed).status;
  }

 private:
  // Addresses the registry cannot key: odd ones (the low bit is a sweep's tag) and those the
  // map's one-word cells have no room for.
  static bool unkeyable(const state_type* state) noexcept {
    const auto key = reinterpret_cast<std::uintptr_t>(state);
    return (key & 1) != 0 || key > concurrent_map::max_key;
  }
  static std::uintptr_t key_of(const state_type* state) noexcept {
    return reinterpret_cast<std::uintptr_t>(state);
  }
  static state_type* state_at(std::uintptr_t key) noexcept {
    return reinterpret_cast<state_type*>(key);
  }

  bool admit() noexcept {
    // A full registry refuses on a load: a refusal writes nothing shared.
    if (admitted_.load(std::memory_order_relaxed) >= capacity_) return false;  // (registry.A1)
    if (admitted_.fetch_add(1, std::memory_order_relaxed) < capacity_) {
      return true;  // (registry.A1)
    }
    unadmit();  // raced for the last place and lost it
    return false;
  }
  void unadmit() noexcept { admitted_.fetch_sub(1, std::memory_order_relaxed); }  // (registry.A1)

  // References a walk over the registry owes, released when the list is destroyed: after the
  // walk, when nothing more of the registry will be read (see SWEEPS AND STATE LIFETIME).
  // Declared before the walk in the function that owns it, so it is destroyed after everything
  // else, also when a callback throws. If the list cannot grow (no memory), that one reference
  // is released at once instead: never leaked, and only then back to the old hazard.
  class release_list {
   public:
    release_list() = default;
    release_list(const release_list&) = delete;
    release_list& operator=(const release_list&) = delete;
    ~release_list() {
      for (state_type* state : owed_)
        Policy::release(state);
    }
    void add(state_type* state) noexcept {
      try {
        owed_.push_back(state);
      } catch (...) {
        Policy::release(state);
      }
    }

   private:
    std::vector<state_type*> owed_;
  };

  // Erases the entry of `state`; on S_OK, `owned` says whether the caller now owns the
  // registry's reference (false: a sweep protecting the state took it over). No shutdown check.
  hresult erase_session(state_type* state, bool& owned) noexcept {
    const std::uintptr_t key = key_of(state);
    const map_result erased = map_.erase(key);
    if (erased.status != map_status::ok) {
      return erased.status == map_status::out_of_memory ? E_OUTOFMEMORY : SYNC_E_INVALID_OPERATION;
    }
    if (limited_) unadmit();
    owned = protection_.end_owns_release(
        key);  // (sweep.P2, sweep.P3) with sweep.P1', sweep.P1, sweep.P9
    return S_OK;
  }

  // The end path without the shutdown check (withdrawing begins use it too). The release is
  // its last access: nothing of the registry is read after it.
  hresult end_session(state_type* state) noexcept {
    bool owned = false;
    const hresult ended = erase_session(state, owned);
    if (owned) Policy::release(state);
    return ended;
  }
  // The same for a walk: what it owes goes to the walk's list.
  hresult end_session(state_type* state, release_list& owed) noexcept {
    bool owned = false;
    const hresult ended = erase_session(state, owned);
    if (owned) owed.add(state);
    return ended;
  }

  // Takes over a reference an end handed to a sweep, or passes it on to another sweep.
  void take_handed_off(std::uintptr_t key, release_list& owed) const noexcept {
    if (!protection_.hand_off(key)) owed.add(state_at(key));
  }

  // S_OK, or E_OUTOFMEMORY when an end found no room (see end); counts the sessions it ended.
  sweep_result end_every_session(release_list& owed) noexcept {
    sweep_result result{S_OK, 0};
    // Needs no protection: it never touches a state it has not erased (and so owns). Nor an
    // exact walk: a second visit of a key finds it erased.
    map_.for_each_at_least_once([this, &result, &owed](std::uintptr_t key, std::uint64_t) {
      const hresult ended = end_session(state_at(key), owed);
      if (ended == S_OK) ++result.count;
      if (ended == E_OUTOFMEMORY) result.status = E_OUTOFMEMORY;
    });
    return result;
  }

  // Runs visit(state, role) -> bool for each enlisted session under protection; counts trues.
  // References it takes over from racing ends go to `owed`.
  template <class Visit>
  sweep_result sweep(release_list& owed, Visit&& visit) const {
    if (shut_down_.load(std::memory_order_relaxed)) return {E_ABORT, 0};
    detail::sweep_protection::sweep guard(protection_);
    if (!guard.ok()) return {E_OUTOFMEMORY, 0};
    std::size_t count = 0;
    const bool swept = map_.for_each([&](std::uintptr_t key, std::uint64_t) {
      guard.protect(key);  // (sweep.P4, sweep.P5) with sweep.P7, sweep.P6
      // Ends the protection however visit leaves, and performs a release handed over meanwhile.
      struct unprotect_on_exit {
        const basic_registry& self;
        detail::sweep_protection::sweep& guard;
        release_list& owed;
        std::uintptr_t key;
        ~unprotect_on_exit() {
          if (guard.unprotect()) self.take_handed_off(key, owed);  // (sweep.P10) with sweep.P8
        }
      } const unprotect{*this, guard, owed, key};
      // The re-check: only an entry present after the key was published is safe to touch.
      const map_result entry = map_.find(key);
      if (entry && visit(state_at(key), static_cast<sync_provider_role>(entry.value))) ++count;
    });
    return {swept ? S_OK : E_OUTOFMEMORY, count};
  }

  concurrent_map map_;
  mutable detail::sweep_protection protection_;  // sweeps are logically const
  const std::size_t capacity_;
  const bool limited_;
  // Read by every call, written once: kept off the line the admission counter bounces on.
  alignas(64) detail::atomic<bool> shut_down_{false};
  alignas(64) detail::atomic<std::size_t> admitted_{0};
};

using registry = basic_registry<com_state_policy<session_state>>;

}  // namespace enlist
