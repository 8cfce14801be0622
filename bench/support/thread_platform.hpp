#pragma once
// What thread_group needs from the operating system: the CPUs the process may run on, pinning a
// thread to one, and sleeping on an atomic word until it changes.
//   Linux:   sched_getaffinity, pthread_setaffinity_np, std::atomic::wait/notify (futex)
//   Windows: GetProcessAffinityMask, SetThreadAffinityMask, WaitOnAddress/WakeByAddressSingle
//            (what MSVC's std::atomic::wait uses; MinGW-w64's libstdc++ 12 builds atomic waits
//            without futexes and loses wake-ups, which hung rounds under Wine)

#if defined(_WIN32)
#include <windows.h>
#else
#include <pthread.h>
#include <sched.h>
#endif

#include <atomic>
#include <cstdint>
#include <vector>

namespace enlist::bench {

// The CPUs this process may run on, in increasing order; empty if the system does not say.
inline std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
#if defined(_WIN32)
  DWORD_PTR process = 0, system = 0;
  if (GetProcessAffinityMask(GetCurrentProcess(), &process, &system)) {
    for (int cpu = 0; cpu < static_cast<int>(8 * sizeof process); ++cpu) {
      if ((process >> cpu) & 1) cpus.push_back(cpu);
    }
  }
#else
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
    }
  }
#endif
  return cpus;
}

// Pins the calling thread to `cpu` (best effort).
inline void pin_current_thread(int cpu) {
#if defined(_WIN32)
  SetThreadAffinityMask(GetCurrentThread(), DWORD_PTR{1} << cpu);
#else
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  pthread_setaffinity_np(pthread_self(), sizeof one, &one);
#endif
}

// The calling thread's CPU set while it lives, given back when it ends.
class saved_affinity {
 public:
  saved_affinity() {
#if defined(_WIN32)
    // Windows reads a thread's mask only by replacing it: set the process's, keep what it
    // returns, and put that back at once.
    DWORD_PTR process = 0, system = 0;
    if (GetProcessAffinityMask(GetCurrentProcess(), &process, &system)) {
      mask_ = SetThreadAffinityMask(GetCurrentThread(), process);
      if (mask_ != 0) SetThreadAffinityMask(GetCurrentThread(), mask_);
    }
    saved_ = mask_ != 0;
#else
    saved_ = pthread_getaffinity_np(pthread_self(), sizeof mask_, &mask_) == 0;
#endif
  }
  ~saved_affinity() {
    if (!saved_) return;
#if defined(_WIN32)
    SetThreadAffinityMask(GetCurrentThread(), mask_);
#else
    pthread_setaffinity_np(pthread_self(), sizeof mask_, &mask_);
#endif
  }
  saved_affinity(const saved_affinity&) = delete;
  saved_affinity& operator=(const saved_affinity&) = delete;

 private:
#if defined(_WIN32)
  DWORD_PTR mask_ = 0;
#else
  cpu_set_t mask_{};
#endif
  bool saved_ = false;
};

// Sleeps until `word` may no longer hold `old` (returns at once if it does not; may return
// spuriously). Orders nothing: callers re-check the word with an acquire load.
template <class T>
void wait_while_equal(const std::atomic<T>& word, T old) {
#if defined(_WIN32)
  static_assert(sizeof(std::atomic<T>) == sizeof(T) && std::atomic<T>::is_always_lock_free);
  WaitOnAddress(const_cast<std::atomic<T>*>(&word), &old, sizeof(T), INFINITE);
#else
  word.wait(old, std::memory_order_acquire);
#endif
}

// Wakes one thread sleeping in wait_while_equal on `word`.
template <class T>
void wake_one(std::atomic<T>& word) {
#if defined(_WIN32)
  WakeByAddressSingle(&word);
#else
  word.notify_one();
#endif
}

}  // namespace enlist::bench
