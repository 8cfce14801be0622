#include "enlist/reclaim/epoch.hpp"

#include <algorithm>
#include <exception>
#include <new>
#include <type_traits>

#include "platform/thread_exit.hpp"

namespace enlist::reclaim {

constinit epoch_domain epoch_domain::instance_;
static_assert(std::is_trivially_destructible_v<epoch_domain>);

thread_record& epoch_domain::register_thread() noexcept {
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
#if !defined(ENLIST_DETERMINISTIC_SCHEDULE)  // scheduled threads keep their records for good
  platform::release_at_thread_exit(found);
#endif
  set_current_record(found);
  return *found;
}

void epoch_domain::thread_exited(thread_record& r) noexcept {
  release_thread(r);
  tls_record = nullptr;
}

void epoch_domain::release_thread(thread_record& r) noexcept {
  r.depth = 0;
  r.announced.store(quiescent, std::memory_order_release);
  r.in_use.store(false, std::memory_order_release);
}

std::uint64_t epoch_domain::oldest_announced() const noexcept {
  heavy_fence();  // (epoch.E5) with epoch.E2
  return oldest_announced_hint();
}

std::uint64_t epoch_domain::oldest_announced_hint() const noexcept {
  std::uint64_t oldest = quiescent;
  for (const thread_record* r = records_.load(std::memory_order_acquire); r != nullptr;
       r = r->next) {
    oldest = std::min(
        oldest,
        r->announced.load(std::memory_order_acquire));  // (epoch.E6) with epoch.E2, epoch.E3
  }
  return oldest;
}

}  // namespace enlist::reclaim
