#pragma once
// How the registry reaches a provider's session-state type: the customisation point that lets a
// provider keep its own type instead of inheriting from enlist::session_state.
//
// A state policy is a type with
//     using state_type = ...;                                   // the provider's state type
//     static void add_ref(state_type*) noexcept;                // take one reference
//     static void release(state_type*) noexcept;                // drop one; may destroy the state
//     static bool is_canceled(const state_type*) noexcept;      // the session was canceled
// The registry never copies, compares or destroys a state itself: the address is the session's
// identity, and the three functions are all it calls. release runs on the end hot path, so it
// must not throw (enforced), and should not lock, allocate or log.
//
// com_state_policy<T> covers every type with COM-shaped members (AddRef, Release, IsCanceled),
// which includes enlist::session_state and its implementations. Any other type gets a policy of
// a few lines, for example a provider's own type with an intrusive count:
//
//     struct sync_job {                      // the provider's type, unchanged
//       std::atomic<int> refs{1};
//       std::atomic<bool> stop{false};
//     };
//     struct sync_job_policy {
//       using state_type = sync_job;
//       static void add_ref(sync_job* j) noexcept {
//         j->refs.fetch_add(1, std::memory_order_relaxed);
//       }
//       static void release(sync_job* j) noexcept {
//         if (j->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete j;
//       }
//       static bool is_canceled(const sync_job* j) noexcept { return j->stop.load(); }
//     };
//     enlist::basic_registry<sync_job_policy> sessions;   // or basic_provider<sync_job_policy>
//
// The address must be at least 2-aligned (the registry tags it with its low bit while a sweep
// hands a release over; see detail/sweep_protection.hpp), which every type holding a counter is.

#include <concepts>
#include <utility>

namespace enlist {

// clang-format 14 mangles requires-expressions (`noexcept->`, `}\n&&`): formatted by hand.
// clang-format off
template <class P>
concept state_policy =
    requires(typename P::state_type* state) {
      { P::add_ref(state) } noexcept;
      { P::release(state) } noexcept;
      { P::is_canceled(static_cast<const typename P::state_type*>(state)) } noexcept
          -> std::convertible_to<bool>;
    } &&
    alignof(typename P::state_type) >= 2;
// clang-format on

// The policy for types with COM-shaped reference counting: AddRef() and Release() (which returns
// the new count and destroys the object at zero) and IsCanceled().
// T's three members must be declared noexcept: the registry calls them where an exception could
// not be reported (end, sweeps, shutdown, the destructor), so a throw would terminate the
// process. A real COM interface declares them without noexcept, yet a COM method never throws
// across the ABI: give such a type a policy of its own whose noexcept functions call them.
template <class T>
struct com_state_policy {
  static constexpr bool members_noexcept = noexcept(std::declval<T&>().AddRef())&& noexcept(
      std::declval<T&>().Release())&& noexcept(std::declval<const T&>().IsCanceled());
  static_assert(members_noexcept,
                "com_state_policy<T>: T::AddRef, T::Release and T::IsCanceled must be noexcept, "
                "or a throw would terminate the process inside the registry. If they never "
                "throw (as COM methods must not), write a state policy whose noexcept functions "
                "call them (see state_policy.hpp).");
  using state_type = T;
  static void add_ref(T* state) noexcept { state->AddRef(); }
  static void release(T* state) noexcept { state->Release(); }
  static bool is_canceled(const T* state) noexcept { return state->IsCanceled(); }
};

}  // namespace enlist
