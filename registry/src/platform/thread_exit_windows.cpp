#include <windows.h>

#include "enlist/reclaim/epoch.hpp"
#include "platform/thread_exit.hpp"

namespace enlist::reclaim {

// A TLS callback (the loader's per-module thread-detach notification), reading the record from a
// native TLS slot. The loader calls TLS callbacks on every thread that exits, whoever created
// it, and a TLS slot belongs to the thread, which is what a record belongs to. Rejected
// alternatives, each of which failed or would fail a test here:
// - a thread_local object's destructor, or the C++ thread_local tls_record itself: MinGW-w64
//   emulates thread_local storage and frees it from winpthreads' key destructors, which for a
//   std::thread run before the thread's other exit notifications;
// - a fiber-local storage (FLS) callback: an FLS value belongs to a fiber, and deleting a fiber
//   that once ran a map operation, possibly from another thread, would hand back the record of a
//   thread that is still running.
// A thread_local whose destructor uses a map after this callback registers a new record that its
// thread keeps: the bounded leak of thread_exit.hpp, not a use after free.
struct record_releaser {
  static DWORD slot() noexcept {
    static const DWORD s = TlsAlloc();
    return s;
  }
  static void NTAPI on_thread_detach(PVOID, DWORD reason, PVOID) noexcept {
    if (reason != DLL_THREAD_DETACH || slot() == TLS_OUT_OF_INDEXES) return;
    if (auto* record = static_cast<thread_record*>(TlsGetValue(slot()))) {
      TlsSetValue(slot(), nullptr);
      epoch_domain::release_thread(*record);
    }
  }
};

void platform::release_at_thread_exit(thread_record* record) noexcept {
  if (const DWORD slot = record_releaser::slot(); slot != TLS_OUT_OF_INDEXES) {
    TlsSetValue(slot, record);
  }
}

}  // namespace enlist::reclaim

// The callback's entry in the image's TLS callback array: the linker gathers the .CRT$XL*
// sections in name order between the C runtime's .CRT$XLA and .CRT$XLZ markers. This object file
// is always linked (release_at_thread_exit is called by the epoch code), so the entry is too.
#if defined(_MSC_VER)
#pragma comment(linker, "/INCLUDE:_tls_used")
#pragma comment(linker, "/INCLUDE:enlist_thread_detach_callback")
#pragma const_seg(".CRT$XLB")
extern "C" const PIMAGE_TLS_CALLBACK enlist_thread_detach_callback =
    &enlist::reclaim::record_releaser::on_thread_detach;
#pragma const_seg()
#else
extern "C" __attribute__((section(".CRT$XLB"), used))
const PIMAGE_TLS_CALLBACK enlist_thread_detach_callback =
    &enlist::reclaim::record_releaser::on_thread_detach;
#endif
