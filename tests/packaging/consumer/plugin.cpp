// A provider that is itself a shared object (a plugin, a COM DLL, a Python extension) linking
// enlist's static library: the library must be position-independent, thread-local record
// included. The host loads it with dlopen and calls enlist_plugin_run.
#include "round_trip.hpp"

extern "C" __attribute__((visibility("default"))) int enlist_plugin_run() {
  return provider_round_trip();
}
