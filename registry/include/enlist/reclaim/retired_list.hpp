#pragma once
// The nodes one structure has retired and not yet freed: a Treiber stack that reclaimers empty
// with one exchange, so each node is owned by exactly one reclaimer and freed at most once.
//
// Progress: retire and reclaim are lock-free (a CAS loop that fails only when another thread's
// push or splice succeeded). Memory ordering: (retired.R1) pushes and splices are release and
// (retired.R2) the reclaimer's exchange is acquire, so a node's contents and tag are visible to
// whoever frees it. Freeing follows epoch.hpp: a node is freed when its tag is below every
// announced epoch.

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "enlist/detail/atomic.hpp"
#include "enlist/detail/planted_bug.hpp"
#include "enlist/reclaim/epoch.hpp"

namespace enlist::reclaim {

// Base of anything that can be retired.
struct retired_node {
  retired_node* next_retired = nullptr;
  std::uint64_t retire_tag = 0;
};

class retired_list {
 public:
  retired_list() = default;
  retired_list(const retired_list&) = delete;
  retired_list& operator=(const retired_list&) = delete;

  // Caller: the node is already unreachable for operations that start from now on.
  void retire(epoch_domain& domain, retired_node* node) noexcept {
    node->retire_tag = domain.retire_tag();
    splice(node, node);
  }

  // Whether anything waits to be freed. A hint: relaxed, it only decides whether to try.
  bool pending() const noexcept { return head_.load(std::memory_order_relaxed) != nullptr; }

  // Frees every node no guarded section can still reach; keeps the rest. Returns how many
  // nodes it freed. While a thread stalls inside an old section, nothing can be freed; an
  // unfenced look at the announcements says so without paying for the heavy fence.
  template <class Free>
  std::size_t reclaim(const epoch_domain& domain, Free&& free) noexcept {
    retired_node* list =
        head_.exchange(nullptr, std::memory_order_acquire);  // (retired.R2) with retired.R1
    if (list == nullptr) return 0;
    retired_node* tail = list;
    std::uint64_t youngest_needed = list->retire_tag;  // the oldest tag in the list
    for (; tail->next_retired != nullptr; tail = tail->next_retired) {
      youngest_needed = (std::min)(youngest_needed, tail->next_retired->retire_tag);
    }
    if (domain.oldest_announced_hint() <= youngest_needed &&
        !enlist::detail::planted(enlist::detail::planted_bug::reclaim_ignores_readers)) {
      splice(list, tail);
      return 0;
    }
    const std::uint64_t oldest = domain.oldest_announced();
    retired_node* kept_head = nullptr;
    retired_node* kept_tail = nullptr;
    std::size_t freed = 0;
    while (list != nullptr) {
      retired_node* node = list;
      list = node->next_retired;
      if (node->retire_tag < oldest ||
          enlist::detail::planted(enlist::detail::planted_bug::reclaim_ignores_readers)) {
        free(node);
        ++freed;
      } else {
        node->next_retired = kept_head;
        kept_head = node;
        if (kept_tail == nullptr) kept_tail = node;
      }
    }
    if (kept_head != nullptr) splice(kept_head, kept_tail);
    return freed;
  }

  // Frees everything. Only when no thread can reach the nodes any more (the owner's destructor).
  template <class Free>
  void drain(Free&& free) noexcept {
    retired_node* list =
        head_.exchange(nullptr, std::memory_order_acquire);  // (retired.R2) with retired.R1
    while (list != nullptr) {
      retired_node* node = list;
      list = node->next_retired;
      free(node);
    }
  }

 private:
  void splice(retired_node* first, retired_node* last) noexcept {
    retired_node* head = head_.load(std::memory_order_relaxed);
    do {
      last->next_retired = head;
    } while (!head_.compare_exchange_weak(
        head, first, std::memory_order_release,  // (retired.R1) with retired.R2
        std::memory_order_relaxed));
  }

  enlist::detail::atomic<retired_node*> head_{nullptr};
};

}  // namespace enlist::reclaim
