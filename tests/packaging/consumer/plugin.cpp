// A provider that is itself a shared object (a plugin, a COM DLL, a Python extension) linking
// enlist's static library: the library must be position-independent, thread-local record
// included. The host loads it with dlopen and calls enlist_plugin_run.
#include <enlist/provider.hpp>
#include <enlist/session_ptr.hpp>

extern "C" __attribute__((visibility("default"))) int enlist_plugin_run() {
  enlist::provider provider;
  auto state = enlist::make_session_state();
  if (provider.BeginSession(enlist::sync_provider_role::source, state.get()) != enlist::S_OK) {
    return 1;
  }
  if (provider.EndSession(state.get()) != enlist::S_OK) return 2;
  return provider.EndSession(state.get()) == enlist::SYNC_E_INVALID_OPERATION ? 0 : 3;
}
