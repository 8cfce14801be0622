#include "enlist/reclaim/epoch.hpp"

#include <algorithm>
#include <new>

namespace enlist::reclaim {

// Hands the record back when its thread exits.
struct record_releaser {
  thread_record* record = nullptr;
  ~record_releaser() {
    if (record != nullptr) epoch_domain::release_thread(*record);
    epoch_domain::tls_record = nullptr;
  }
};

constinit epoch_domain epoch_domain::instance_;
static_assert(std::is_trivially_destructible_v<epoch_domain>);

thread_record& epoch_domain::register_thread() noexcept {
  thread_local record_releaser releaser;
  thread_record* found = nullptr;
  // Reuse a record whose thread has exited; acquire pairs with the release in release_thread so
  // the previous owner's writes to the record happen before ours.
  for (thread_record* r = records_.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    bool free = false;
    if (!r->in_use.load(std::memory_order_relaxed)) {
      if (r->in_use.compare_exchange_strong(free, true, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
        found = r;
        break;
      }
    }
  }
  if (found == nullptr) {
    // Once per thread, never per operation. A thread that cannot get a record cannot run any
    // guarded operation safely; there is no error path to report it through.
    found = new (std::nothrow) thread_record;
    if (found == nullptr) std::terminate();
    found->in_use.store(true, std::memory_order_relaxed);
    found->index = record_count_.fetch_add(1, std::memory_order_relaxed);
    thread_record* head = records_.load(std::memory_order_relaxed);
    do {
      found->next = head;
      // Release publishes the record's fields to scanners that acquire the list head.
    } while (!records_.compare_exchange_weak(head, found, std::memory_order_release,
                                             std::memory_order_relaxed));
  }
  releaser.record = found;
  tls_record = found;
  return *found;
}

void epoch_domain::release_thread(thread_record& r) noexcept {
  r.depth = 0;
  r.announced.store(quiescent, std::memory_order_release);
  r.in_use.store(false, std::memory_order_release);
}

std::uint64_t epoch_domain::oldest_announced() const noexcept {
  heavy_fence();  // (E6)
  return oldest_announced_hint();
}

std::uint64_t epoch_domain::oldest_announced_hint() const noexcept {
  std::uint64_t oldest = quiescent;
  for (const thread_record* r = records_.load(std::memory_order_acquire); r != nullptr;
       r = r->next) {
    oldest = std::min(oldest, r->announced.load(std::memory_order_acquire));  // (E7)
  }
  return oldest;
}

}  // namespace enlist::reclaim
