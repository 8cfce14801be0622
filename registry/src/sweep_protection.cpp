// sweep_protection's out-of-line parts: the hand-off scan and the sweep's record handling. The
// algorithm and the tags (sweep.P1)... are explained in detail/sweep_protection.hpp.

#include "enlist/detail/sweep_protection.hpp"

#include <new>

namespace enlist::detail {

namespace {
constexpr std::uintptr_t free_slot = 1;
constexpr std::uintptr_t idle = 0;
constexpr std::uintptr_t handed_off = 1;
}  // namespace

class sweep_protection::record {
 public:
  alignas(64) atomic<std::uintptr_t> slot{idle};
  record* next = nullptr;  // immutable once the record is published
};

sweep_protection::~sweep_protection() {
  record* r = records_.load(std::memory_order_acquire);
  while (r != nullptr) {
    record* next = r->next;
    delete r;
    r = next;
  }
}

bool sweep_protection::hand_off(std::uintptr_t key) noexcept {
  reclaim::seq_cst_fence();  // (sweep.P6) with sweep.P5
  for (record* r = records_.load(std::memory_order_acquire);
       r != nullptr;  // (sweep.P13) with sweep.P12
       r = r->next) {
    std::uintptr_t expected = key;
    if (r->slot.load(std::memory_order_acquire) == key &&  // (sweep.P7) with sweep.P4
        r->slot.compare_exchange_strong(expected, key | handed_off, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {  // (sweep.P8) with sweep.P10
      return true;
    }
  }
  return false;
}

sweep_protection::record* sweep_protection::claim() noexcept {
  record* head = records_.load(std::memory_order_acquire);  // (sweep.P13) with sweep.P12
  for (record* r = head; r != nullptr; r = r->next) {
    std::uintptr_t expected = free_slot;
    if (r->slot.load(std::memory_order_relaxed) == free_slot &&
        r->slot.compare_exchange_strong(expected, idle, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {  // (sweep.P11)
      return r;
    }
  }
  auto* fresh = new (std::nothrow) record;  // slot starts idle: owned by this sweep
  if (fresh == nullptr) return nullptr;
  fresh->next = head;
  while (!records_.compare_exchange_weak(fresh->next, fresh,
                                         std::memory_order_release,  // (sweep.P12) with sweep.P13
                                         std::memory_order_acquire)) {
  }
  return fresh;
}

sweep_protection::sweep::sweep(sweep_protection& protection) noexcept
    : protection_(protection), record_(protection.claim()) {
  if (record_ == nullptr) return;
  // Relaxed: the heavy fence right after orders it before every map read of the sweep.
  protection_.active_.fetch_add(1, std::memory_order_relaxed);  // (sweep.P1) with sweep.P3
  reclaim::heavy_fence();                                       // (sweep.P1') with sweep.P2
}

sweep_protection::sweep::~sweep() {
  if (record_ == nullptr) return;
  record_->slot.store(free_slot, std::memory_order_release);    // (sweep.P11)
  protection_.active_.fetch_sub(1, std::memory_order_release);  // (sweep.P9) with sweep.P3
}

void sweep_protection::sweep::protect(std::uintptr_t key) noexcept {
  record_->slot.store(key, std::memory_order_release);  // (sweep.P4) with sweep.P7
  reclaim::seq_cst_fence();                             // (sweep.P5) with sweep.P6
}

bool sweep_protection::sweep::unprotect() noexcept {
  const std::uintptr_t was =
      record_->slot.exchange(idle, std::memory_order_acq_rel);  // (sweep.P10) with sweep.P8
  return (was & handed_off) != 0;
}

}  // namespace enlist::detail
