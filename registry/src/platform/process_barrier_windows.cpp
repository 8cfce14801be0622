#include <windows.h>

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

}  // namespace

bool register_process_barrier() noexcept {
  return !running_under_wine();
}

void process_barrier() noexcept {
  // Interrupts every processor running a thread of this process (Windows Vista and later);
  // it has no failure to report.
  FlushProcessWriteBuffers();
}

}  // namespace enlist::reclaim::platform
