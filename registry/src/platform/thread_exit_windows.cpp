#include <windows.h>

#include <atomic>

#include "enlist/reclaim/epoch.hpp"
#include "platform/thread_exit.hpp"

namespace enlist::reclaim {

// A TLS callback (the loader's per-module thread-detach notification), reading the record from a
// native TLS slot. The loader calls TLS callbacks on every thread that exits, whoever created
// it, and a TLS slot belongs to the thread, which is what a record belongs to. The callback's
// entry sorts last among the C runtime's (below), so it runs after the thread's thread_local
// destructors and after winpthreads' key destructors: a destructor that still uses a map finds
// the record, and nothing of the C runtime runs on the thread after it is handed back.
// Rejected alternatives, each of which failed or would fail a test here:
// - a thread_local object's destructor, or the C++ thread_local tls_record itself: MinGW-w64
//   emulates thread_local storage and frees it from winpthreads' key destructors, which for a
//   std::thread run before the thread's other exit notifications;
// - a fiber-local storage (FLS) callback: an FLS value belongs to a fiber, and deleting a fiber
//   that once ran a map operation, possibly from another thread, would hand back the record of a
//   thread that is still running.
struct record_releaser {
  // Allocated by the first registration; until then the callback has nothing to do (and
  // allocates nothing under the loader lock). The publishing CAS is release and every read
  // acquire, so a thread that uses the index also sees TlsAlloc's allocation of it; the cost is
  // nothing on x86 and paid once per thread registration and exit, never per operation.
  static inline std::atomic<DWORD> slot{TLS_OUT_OF_INDEXES};

  static DWORD allocated_slot() noexcept {
    DWORD current = slot.load(std::memory_order_acquire);
    if (current != TLS_OUT_OF_INDEXES) return current;
    const DWORD mine = TlsAlloc();
    if (mine == TLS_OUT_OF_INDEXES) return mine;
    if (slot.compare_exchange_strong(current, mine, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      return mine;
    }
    TlsFree(mine);  // another thread's allocation won
    return current;
  }

  // A record already in the slot is this thread's, and the thread registered again because it
  // no longer finds it (MinGW's emulated TLS is freed before the thread's last notifications):
  // nothing reaches it any more, so it goes back now instead of never.
  static void replace(DWORD s, thread_record* record) noexcept {
    if (auto* previous = static_cast<thread_record*>(TlsGetValue(s));
        previous != nullptr && previous != record) {
      epoch_domain::release_thread(*previous);
    }
    TlsSetValue(s, record);
  }

  static void NTAPI on_thread_detach(PVOID, DWORD reason, PVOID) noexcept {
    if (reason != DLL_THREAD_DETACH) return;
    const DWORD s = slot.load(std::memory_order_acquire);
    if (s == TLS_OUT_OF_INDEXES) return;
    if (auto* record = static_cast<thread_record*>(TlsGetValue(s))) {
      TlsSetValue(s, nullptr);
#if defined(__MINGW32__) && !defined(__clang__)
      // Emulated TLS is freed by now: writing tls_record would allocate it again.
      epoch_domain::release_thread(*record);
#else
      epoch_domain::thread_exited(*record);
#endif
    }
  }
};

void platform::release_at_thread_exit(thread_record* record) noexcept {
  const DWORD s = record_releaser::allocated_slot();
  if (s == TLS_OUT_OF_INDEXES) return;
  record_releaser::replace(s, record);
}

}  // namespace enlist::reclaim

// The callback's entry in the image's TLS callback array: the linker gathers the .CRT$XL*
// sections in name order between the C runtime's .CRT$XLA and .CRT$XLZ markers, and XLY sorts
// after the runtimes' own entries (thread_local destructors, winpthreads' keys). This object file
// is always linked (release_at_thread_exit is called by the epoch code), so the entry is too.
// The /INCLUDE names are those of x64 and ARM64.
#if defined(_MSC_VER)
#pragma comment(linker, "/INCLUDE:_tls_used")
#pragma comment(linker, "/INCLUDE:enlist_thread_detach_callback")
#pragma const_seg(".CRT$XLY")
extern "C" const PIMAGE_TLS_CALLBACK enlist_thread_detach_callback =
    &enlist::reclaim::record_releaser::on_thread_detach;
#pragma const_seg()
#else
extern "C" __attribute__((section(".CRT$XLY"), used))
const PIMAGE_TLS_CALLBACK enlist_thread_detach_callback =
    &enlist::reclaim::record_releaser::on_thread_detach;
#endif
