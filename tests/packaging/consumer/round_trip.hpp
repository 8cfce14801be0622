#pragma once
// What every packaging consumer checks against the installed enlist: begin, end, and the refused
// second end. 0 when all three answered as the contract says.
#include <enlist/provider.hpp>
#include <enlist/session_ptr.hpp>

inline int provider_round_trip() {
  enlist::provider provider;
  auto state = enlist::make_session_state();
  if (provider.BeginSession(enlist::sync_provider_role::source, state.get()) != enlist::S_OK) {
    return 1;
  }
  if (provider.EndSession(state.get()) != enlist::S_OK) return 2;
  return provider.EndSession(state.get()) == enlist::SYNC_E_INVALID_OPERATION ? 0 : 3;
}
