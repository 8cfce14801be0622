#include <windows.h>

#include "platform/barrier_probe.hpp"
#include "platform/process_barrier.hpp"

namespace enlist::reclaim::platform {

namespace {

// Wine 8.0 (Debian 12's) implements FlushProcessWriteBuffers as a stub that does nothing, and a
// program cannot tell from the call. Under Wine the barrier is therefore not used, whatever the
// version: both fences are full fences there, which is correct on any Wine.
bool running_under_wine() noexcept {
  const HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

void flush_process_write_buffers() noexcept {
  // Interrupts every processor running a thread of this process (Windows Vista and later);
  // it has no failure to report.
  FlushProcessWriteBuffers();
}

}  // namespace

bool register_process_barrier() noexcept {
  if (running_under_wine()) return false;
  // Wine can hide its exports (and other emulators may stub the call too): the call is trusted
  // only once the probe has shown it order what a barrier must (barrier_probe.hpp); when the
  // probe cannot show it either way, both fences stay full fences.
  return probe_barrier(&flush_process_write_buffers) == barrier_evidence::works;
}

void process_barrier() noexcept {
  flush_process_write_buffers();
}

}  // namespace enlist::reclaim::platform
