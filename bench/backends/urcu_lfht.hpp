#pragma once
// liburcu's cds_lfht (RCU lock-free resizable hash table: split-ordered list plus a bucket
// index), with the urcu-memb flavour (memory-barrier RCU: no signals, no per-thread quiescent
// states to announce; readers pay a barrier per read-side section). Every thread registers with
// the flavour on its first operation and unregisters at exit. Each insert allocates a node; each
// erase unlinks it and frees it through call_rcu after a grace period. Auto-resize on.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <urcu/urcu-memb.h>
// rculfhash.h after the flavour header.
#include <urcu/rculfhash.h>

#include "enlist/hash.hpp"

namespace enlist::bench {

class urcu_lfht {
 public:
  static constexpr std::string_view name = "urcu_lfht";

  explicit urcu_lfht(std::size_t expected) {
    attach_thread();
    std::size_t init = 1;
    while (init < expected)
      init <<= 1;
    table_ = cds_lfht_new_flavor(init, 1, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
                                 &urcu_memb_flavor, nullptr);
  }
  ~urcu_lfht() {
    cds_lfht_iter iter;
    cds_lfht_node* n;
    urcu_memb_read_lock();
    cds_lfht_for_each(table_, &iter, n) {
      if (cds_lfht_del(table_, n) == 0) urcu_memb_call_rcu(&node_of(n)->rcu, free_node);
    }
    urcu_memb_read_unlock();
    urcu_memb_barrier();  // every deferred free has run
    cds_lfht_destroy(table_, nullptr);
  }
  urcu_lfht(const urcu_lfht&) = delete;
  urcu_lfht& operator=(const urcu_lfht&) = delete;

  bool insert(std::uintptr_t key, std::uint64_t value) {
    node* fresh = new node{{}, key, value, {}};
    cds_lfht_node_init(&fresh->lfht);
    urcu_memb_read_lock();
    cds_lfht_node* const got =
        cds_lfht_add_unique(table_, address_hash{}(key), match, &key, &fresh->lfht);
    urcu_memb_read_unlock();
    if (got != &fresh->lfht) {
      delete fresh;  // never published
      return false;
    }
    return true;
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const {
    std::optional<std::uint64_t> out;
    cds_lfht_iter iter;
    urcu_memb_read_lock();
    cds_lfht_lookup(table_, address_hash{}(key), match, &key, &iter);
    if (cds_lfht_node* n = cds_lfht_iter_get_node(&iter)) out = node_of(n)->value;
    urcu_memb_read_unlock();
    return out;
  }
  bool erase(std::uintptr_t key) {
    bool erased = false;
    cds_lfht_iter iter;
    urcu_memb_read_lock();
    cds_lfht_lookup(table_, address_hash{}(key), match, &key, &iter);
    if (cds_lfht_node* n = cds_lfht_iter_get_node(&iter); n != nullptr) {
      if (cds_lfht_del(table_, n) == 0) {
        urcu_memb_call_rcu(&node_of(n)->rcu, free_node);
        erased = true;
      }
    }
    urcu_memb_read_unlock();
    return erased;
  }
  static void attach_thread() { thread_local const registration reg; }
  static void quiesce() {
    attach_thread();
    urcu_memb_barrier();
  }

 private:
  struct node {
    cds_lfht_node lfht;
    std::uintptr_t key;
    std::uint64_t value;
    rcu_head rcu;
  };
  struct registration {
    registration() { urcu_memb_register_thread(); }
    ~registration() { urcu_memb_unregister_thread(); }
  };
  static node* node_of(cds_lfht_node* n) { return caa_container_of(n, node, lfht); }
  static int match(cds_lfht_node* n, const void* key) {
    return node_of(n)->key == *static_cast<const std::uintptr_t*>(key);
  }
  static void free_node(rcu_head* head) { delete caa_container_of(head, node, rcu); }

  cds_lfht* table_ = nullptr;
};

}  // namespace enlist::bench
