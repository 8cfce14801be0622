#pragma once
// The base of a scaled sync provider: BeginSession / EndSession shaped like
// IKnowledgeSyncProvider's (an HRESULT, a role, a session-state pointer), backed by the
// provider's own session registry. A provider derives from it and adds its synchronization
// calls; they can reach the enlisted sessions through sessions(), and anyone holding the
// provider can list them with ForEachSession.
//
//     class file_provider : public enlist::provider {
//      public:
//       file_provider() : enlist::provider({.capacity = 64}) {}
//       // GetSyncBatchParameters, GetChangeBatch... use sessions().role_of(state) etc.
//     };
//     file_provider p;
//     auto state = enlist::make_session_state();
//     p.BeginSession(enlist::sync_provider_role::destination, state.get());  // S_OK
//     p.EndSession(state.get());                                            // S_OK
//
// Names: PascalCase for the calls of the COM contract (BeginSession, EndSession; AddRef,
// Release, IsCanceled on states) and for the provider's own calls that a COM provider would
// expose beside them (EndCanceledSessions, Shutdown, ForEachSession): this class is the
// provider's face and reads as one interface. Everything else in enlist (the registry, the map,
// the C API) is snake_case, as the standard library is.
//
// BeginSession and EndSession are not virtual: the bookkeeping and its guarantees (see
// registry.hpp) are the same for every provider, and EndSession stays a direct call on the hot
// path.

#include <utility>

#include "enlist/registry.hpp"

namespace enlist {

template <state_policy Policy>
class basic_provider {
 public:
  using state_type = typename Policy::state_type;

  explicit basic_provider(registry_options options = {}) : sessions_(options) {}
  virtual ~basic_provider() = default;
  basic_provider(const basic_provider&) = delete;
  basic_provider& operator=(const basic_provider&) = delete;

  // See basic_registry::begin.
  [[nodiscard]] hresult BeginSession(sync_provider_role role, state_type* session_state) noexcept {
    return sessions_.begin(role, session_state);
  }

  // See basic_registry::end.
  [[nodiscard]] hresult EndSession(state_type* session_state) noexcept {
    return sessions_.end(session_state);
  }

  // Ends every session whose state reports canceled; returns how many.
  [[nodiscard]] sweep_result EndCanceledSessions() { return sessions_.end_canceled(); }

  // Ends every session; every later call returns E_ABORT.
  [[nodiscard]] hresult Shutdown() noexcept { return sessions_.shutdown(); }

  // Calls f(state, role) for each enlisted session, so that a provider (or its host) can list
  // its sessions without deriving; see basic_registry::for_each for what it guarantees.
  template <class F>
  [[nodiscard]] sweep_result ForEachSession(F&& f) const {
    return sessions_.for_each(std::forward<F>(f));
  }

 protected:
  basic_registry<Policy>& sessions() noexcept { return sessions_; }
  const basic_registry<Policy>& sessions() const noexcept { return sessions_; }

 private:
  basic_registry<Policy> sessions_;
};

using provider = basic_provider<com_state_policy<session_state>>;

}  // namespace enlist
