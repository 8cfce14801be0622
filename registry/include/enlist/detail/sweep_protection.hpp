#pragma once
// sweep_protection: keeps a session state alive while a registry sweep (for_each, end_if) hands
// it to user code, although a racing end may erase its entry and release the registry's
// reference at any moment. registry.hpp explains where it sits; this is the mechanism.
//
// ALGORITHM: hazard slots with release hand-off
//   A sweep owns one slot (a word in a record of a lock-free list). For each entry it publishes
//   the key in its slot, then re-checks the entry in the map; only if the entry is still there
//   does it call user code, and afterwards it clears the slot. An end that erased an entry and
//   sees a sweep's slot holding that key does not release: it CASes the slot from `key` to
//   `key | 1` ("handed off") and returns. The sweep, clearing its slot, sees the tag and performs
//   the release itself, after its last use of the state, by the same rule: first offer the
//   release to any other sweep still protecting the key, else release.
//   Ends check slots only while a sweep runs: a registry-wide count of active sweeps, read after
//   the erase through the light side of an asymmetric fence, lets an end with no sweep running
//   release at once for the cost of one load of a line that only sweeps write.
//
//   Why not a deferred-release list: it needs a node per deferred release, i.e. storage on the
//   end path, and the number of releases deferred during a long sweep is unbounded. Hand-off
//   needs no storage beyond one slot per concurrent sweep, and an end never waits for a sweep.
//
// SLOT WORD
//   free_slot (1)   record not owned by any sweep
//   idle (0)        owned, protecting nothing
//   key             protecting key (an even address: state types are at least 2-aligned)
//   key | 1         an end erased key and handed its release to this slot's owner
//
// PROGRESS
//   end_owns_release (end, no sweep running): wait-free, a compiler barrier and one load.
//   hand_off (end while sweeps run, and a sweep passing a release on): wait-free, one seq_cst
//   fence and one load per record (records = the largest number of sweeps that ever ran at
//   once), plus a CAS per record protecting the key.
//   sweep start: lock-free claim of a free record, or one allocation the first time that many
//   sweeps run at once; one heavy fence (a membarrier system call). protect: a store and a
//   seq_cst fence. unprotect: one exchange.
//
// MEMORY ORDERING (tags sweep.* on the operations here, in sweep_protection.cpp and in
// registry.hpp)
//   (sweep.P1) a sweep increments `active_` and then issues the heavy fence (sweep.P1'); (sweep.P2)
//        an end issues the light fence after its erase and then (sweep.P3) loads `active_`. This is
//        the store-buffer pattern of asymmetric_fence.hpp: if (sweep.P3) does not see (sweep.P1),
//        the light fence precedes the heavy one in the fences' total order, so everything before
//        the erase's fence, the erase included, is visible to the sweep's later map reads: its
//        re-check misses the entry and the sweep never touches the state. (sweep.P3) is acquire and
//        (sweep.P9) decrements are release: an end that reads a count left by finished sweeps sees
//        all their uses of states as done.
//   (sweep.P4) protect stores the key (release) and (sweep.P5) issues a seq_cst fence before the
//        re-check; (sweep.P6) hand_off issues a seq_cst fence after the erase and then (sweep.P7)
//        loads slots (acquire). Again store-buffer: either (sweep.P7) sees the key (or a later
//        value of the slot) or the sweep's re-check sees the erase and skips the state.
//   (sweep.P8) the hand-off CAS is acq_rel and (sweep.P10) the sweep's clearing exchange is
//        acq_rel: exactly one of them wins. If the CAS wins, the sweep's exchange reads the tag and
//        the sweep releases after its last use. If the exchange wins, the CAS fails reading the
//        cleared word (acquire), so the sweep's use happens before the end's release.
//   (sweep.P11) a record is claimed with an acquire CAS free -> idle and freed with a release
//        store, so a slot's history of owners is ordered by happens-before, and (sweep.P4) being
//        release keeps that chain when an end's (sweep.P7) reads a later owner's key.
//   Records are pushed with a release CAS (sweep.P12) and the list is read with acquire loads
//   (sweep.P13); `next` is immutable once published, and records live until the registry is
//   destroyed.
//
// INVARIANTS
//   (sweep.I1) A slot holds key (or key | 1) only between protect(key) and unprotect(key) by
//       its owner.
//   (sweep.I2) A release is performed by exactly one party: the erasing end, or the one sweep that
//       holds its hand-off (an end or a sweep passes it to at most one slot: the first CAS that
//       succeeds ends its scan).
//   (sweep.I3) A state handed to user code has its registry reference held: the entry was present
//       after the slot was published, so any end erasing it meets the slot (sweep.P6, sweep.P7),
//       and the release waits for the slot to clear.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "enlist/detail/atomic.hpp"
#include "enlist/detail/planted_bug.hpp"
#include "enlist/reclaim/asymmetric_fence.hpp"

namespace enlist::detail {

class sweep_protection {
 public:
  sweep_protection() = default;
  ~sweep_protection();  // requires quiescence: no sweep or end running
  sweep_protection(const sweep_protection&) = delete;
  sweep_protection& operator=(const sweep_protection&) = delete;

  // End side, after a successful erase of `key`: true when the caller must release the
  // registry's reference now, false when a sweep took the release over. No lock, no allocation.
  bool end_owns_release(std::uintptr_t key) noexcept {
    reclaim::light_fence();  // (sweep.P2) with sweep.P1'
    if (active_.load(std::memory_order_acquire) == 0)
      return true;  // (sweep.P3) with sweep.P1, sweep.P9
    if (planted(planted_bug::sweep_hand_off_skipped)) return true;
    return !hand_off(key);
  }

  // Offers the release of `key` (already erased) to a sweep protecting it; true when one took
  // it. Out of line: the slow path, only while sweeps run.
  bool hand_off(std::uintptr_t key) noexcept;

  class record;

  // One running sweep: RAII over a claimed record and the active count.
  class sweep {
   public:
    explicit sweep(sweep_protection& protection) noexcept;
    ~sweep();
    sweep(const sweep&) = delete;
    sweep& operator=(const sweep&) = delete;

    // False when no record was free and none could be allocated; the sweep must not proceed.
    bool ok() const noexcept { return record_ != nullptr; }

    // Publishes `key` before the caller re-checks its entry in the map.
    void protect(std::uintptr_t key) noexcept;

    // Stops protecting; true when an end handed the release of `key` over to this sweep, which
    // must then pass it on with hand_off or release it.
    [[nodiscard]] bool unprotect() noexcept;

   private:
    sweep_protection& protection_;
    record* record_;
  };

 private:
  record* claim() noexcept;

  alignas(64) atomic<std::size_t> active_{0};
  alignas(64) atomic<record*> records_{nullptr};
};

}  // namespace enlist::detail
