#pragma once
// Epoch-based reclamation (EBR) for the memory enlist's lock-free structures retire: old hash
// tables after a migration. Users never see it: a thread registers itself on its first guarded
// operation and its record is handed back when the thread exits.
//
// Algorithm (Fraser's EBR, with the epoch advanced by retirement rather than by readers):
//   - A global epoch E only grows. Retiring a node takes tag = E.fetch_add(1): the node is
//     unreachable for every operation that starts after that increment.
//   - A thread entering a guarded section announces a = E (its record's `announced`), issues a
//     light fence, and only then loads shared pointers. Leaving, it announces "quiescent".
//   - A retired node with tag t may be freed once every record is quiescent or announces a > t.
//
// Memory ordering (tags epoch.* on the operations in epoch.hpp and epoch.cpp):
//   (epoch.E1) the reader's acquire load of E and (epoch.E4) the retirer's acq_rel fetch_add: a
//        reader that loads a value above t synchronises with the fetch_add that produced t + 1
//        (later fetch_adds continue its release sequence), so the unlink sequenced before
//        (epoch.E4) happens before the reader's loads and the reader cannot reach the node.
//   (epoch.E2) announce; light fence; then loads, paired with (epoch.E5) heavy fence; then scan
//        (epoch.E6): the store-buffer handshake of asymmetric_fence.hpp. Either the scan sees the
//        announcement, or the reader's later loads see the unlink.
//   (epoch.E3) the quiescent store and (epoch.E2) are release, and the scan's loads (epoch.E6) are
//        acquire, so everything a reader did with a node in any earlier section happens before the
//        free.
// Progress: entering and leaving are wait-free (a load and two stores); a thread preempted
// inside a section delays reclamation, never other threads' operations. Memory held back is
// bounded by what is retired while one section lasts.
// Invariants: a node is freed at most once (the retired list hands each node to one reclaimer);
// a record is owned by at most one thread at a time; sections nest (only the outermost guard
// announces).

#include <atomic>
#include <cstdint>
#include <limits>

#include "enlist/detail/atomic.hpp"
#include "enlist/reclaim/asymmetric_fence.hpp"

namespace enlist::reclaim {

inline constexpr std::uint64_t quiescent =
    (std::numeric_limits<std::uint64_t>::max)();  // () against windows.h max

// One per thread that has used a guard; records are never freed, only reused after their thread
// exits, so a scan may always read them.
struct alignas(64) thread_record {
  enlist::detail::atomic<std::uint64_t> announced{quiescent};
  enlist::detail::atomic<bool> in_use{false};
  thread_record* next = nullptr;  // immutable once the record is published in the list
  std::uint32_t index = 0;        // dense and stable: 0, 1, 2... in order of creation
  // Owner-only fields: never read by other threads.
  std::uint32_t depth = 0;
  std::uint32_t operations = 0;  // paces the owner's housekeeping (see concurrent_map)
};

class epoch_domain {
 public:
  // The process-wide domain. Constant-initialised (no guard on the hot path) and trivially
  // destructible, so it is never torn down: records stay readable for threads that outlive
  // static destruction.
  static epoch_domain& global() noexcept { return instance_; }

  // The calling thread's record, registered on first use.
  thread_record& this_thread() noexcept {
    thread_record* r = current_record();
    return r != nullptr ? *r : register_thread();
  }

  std::uint64_t load_epoch() const noexcept {
    return epoch_.load(std::memory_order_acquire);  // (epoch.E1) with epoch.E4
  }

  // Tags a node being retired; the caller has already unlinked it.
  std::uint64_t retire_tag() noexcept {
    return epoch_.fetch_add(1, std::memory_order_acq_rel);  // (epoch.E4) with epoch.E1
  }

  // Smallest epoch announced by a thread inside a guarded section (quiescent when none). Issues
  // the heavy fence first (epoch.E5).
  std::uint64_t oldest_announced() const noexcept;

  // The same scan without the heavy fence. It may miss a recent announcement, so it is used
  // only in the safe direction: to skip a reclamation when it already shows a thread holding
  // back every retired node (skipping only delays), never to prove that something is freeable.
  std::uint64_t oldest_announced_hint() const noexcept;

  // Number of records ever created: an upper bound on threads that used the domain at once.
  std::uint32_t record_count() const noexcept {
    return record_count_.load(std::memory_order_relaxed);
  }

 private:
  constexpr epoch_domain() = default;
  thread_record& register_thread() noexcept;
  static void release_thread(thread_record& r) noexcept;
  // Called by the platform's thread-exit hook (src/platform/thread_exit.hpp).
  static void thread_exited(thread_record& r) noexcept;

  // Constant-initialised, so other translation units reach it without a TLS wrapper call.
  inline static thread_local thread_record* tls_record = nullptr;
  friend struct record_releaser;

  // The calling thread's record. Scheduled threads of the deterministic scheduler share one OS
  // thread, so there the scheduler keeps the slot, one per scheduled thread (detail/atomic.hpp).
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
  static thread_record* current_record() noexcept {
    return static_cast<thread_record*>(enlist::detail::scheduled_thread_slot());
  }
  static void set_current_record(thread_record* r) noexcept {
    enlist::detail::scheduled_thread_slot() = r;
  }
#else
  static thread_record* current_record() noexcept {
    return tls_record;
  }
  static void set_current_record(thread_record* r) noexcept {
    tls_record = r;
  }
#endif

  static epoch_domain instance_;

  alignas(64) enlist::detail::atomic<std::uint64_t> epoch_{1};
  alignas(64) enlist::detail::atomic<thread_record*> records_{nullptr};
  enlist::detail::atomic<std::uint32_t> record_count_{0};
};

// Small dense index of the calling thread (its record's index), for striping counters.

// RAII guarded section. Pointers to retirable nodes loaded inside stay valid until it ends.
// Progress: wait-free after the thread's first guard (which may allocate its record once).
class epoch_guard {
 public:
  epoch_guard() noexcept : domain_(epoch_domain::global()), record_(domain_.this_thread()) {
    if (record_.depth++ == 0) {
      record_.announced.store(domain_.load_epoch(),
                              std::memory_order_release);  // (epoch.E2) with epoch.E5, epoch.E6
      light_fence();
    }
  }
  ~epoch_guard() {
    if (--record_.depth == 0) {
      record_.announced.store(quiescent, std::memory_order_release);  // (epoch.E3) with epoch.E6
    }
  }
  epoch_guard(const epoch_guard&) = delete;
  epoch_guard& operator=(const epoch_guard&) = delete;

  thread_record& record() const noexcept { return record_; }

 private:
  epoch_domain& domain_;
  thread_record& record_;
};

}  // namespace enlist::reclaim
