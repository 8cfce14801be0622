// A provider built against an installed enlist: begin, end, and the refused second end.
#include <enlist/provider.hpp>
#include <enlist/session_ptr.hpp>
#include <enlist/version.hpp>

#include <cstdio>

int main() {
  std::puts(ENLIST_VERSION_STRING);  // the packaging test compares it with pkg-config's
  enlist::provider provider;
  auto state = enlist::make_session_state();
  if (provider.BeginSession(enlist::sync_provider_role::source, state.get()) != enlist::S_OK) {
    return 1;
  }
  if (provider.EndSession(state.get()) != enlist::S_OK) return 2;
  return provider.EndSession(state.get()) == enlist::SYNC_E_INVALID_OPERATION ? 0 : 3;
}
