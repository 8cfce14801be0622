#pragma once
// A session state that audits its references: the one fixture of every registry test (unit,
// race, linearizability, fuzz, fault, soak, scheduled).
//
// Every AddRef and Release is counted, and the ways a registry can corrupt a provider are
// flagged instead of crashing: a Release that drops the count below zero (a reference released
// twice), any call on a state that was already destroyed (a reference used after its release),
// and a sweep callback handed a state whose registry reference is already gone (touch()). Destruction is a flag, not a free: states live in a pool the test owns, so touching
// a "destroyed" state is a checked event rather than undefined behaviour. A destroyed state can
// be revived at the same address, which models the allocator handing a freed state's address to
// a new session.
//
// The test creates each state with one reference of its own (the creator's, as with COM) and
// keeps it until the end; registry_refs() is then how many the registry holds.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>

#include "enlist/session_state.hpp"
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
#include "schedule/fixed_address.hpp"
#endif

namespace enlist::test {

// Violations seen by any audited state of the process. Tests reset it before they start.
struct reference_audit {
  inline static std::atomic<std::uint64_t> released_below_zero{0};
  inline static std::atomic<std::uint64_t> used_after_destroy{0};
  inline static std::atomic<std::uint64_t> handed_without_reference{0};

  static void reset() {
    released_below_zero.store(0);
    used_after_destroy.store(0);
    handed_without_reference.store(0);
  }
  static bool clean() {
    return released_below_zero.load() == 0 && used_after_destroy.load() == 0 &&
           handed_without_reference.load() == 0;
  }
  static std::string summary() {
    return "released below zero " + std::to_string(released_below_zero.load()) +
           ", used after destroy " + std::to_string(used_after_destroy.load()) +
           ", handed to a callback without the registry's reference " +
           std::to_string(handed_without_reference.load());
  }
};

class audited_state final : public session_state {
 public:
  audited_state() = default;
  ~audited_state() override = default;  // public: the pool owns the memory

  std::uint32_t AddRef() noexcept override {
    if (destroyed_.load()) reference_audit::used_after_destroy.fetch_add(1);
    add_refs_.fetch_add(1);
    return static_cast<std::uint32_t>(refs_.fetch_add(1) + 1);
  }

  std::uint32_t Release() noexcept override {
    if (destroyed_.load()) reference_audit::used_after_destroy.fetch_add(1);
    releases_.fetch_add(1);
    const std::int64_t left = refs_.fetch_sub(1) - 1;
    if (left < 0) reference_audit::released_below_zero.fetch_add(1);
    if (left == 0) destroyed_.store(true);  // "delete this": from now on any call is a violation
    return static_cast<std::uint32_t>(left < 0 ? 0 : left);
  }

  bool IsCanceled() const noexcept override {
    if (destroyed_.load()) reference_audit::used_after_destroy.fetch_add(1);
    return canceled_.load();
  }

  void cancel() { canceled_.store(true); }

  // What a sweep callback does with the state it is handed: a violation if the state is
  // destroyed, or if the registry's reference is gone although the callback still runs (the
  // creator holds one reference, so a state the registry holds counts at least two).
  void touch() const {
    if (destroyed_.load()) reference_audit::used_after_destroy.fetch_add(1);
    if (refs_.load() < 2) reference_audit::handed_without_reference.fetch_add(1);
  }

  // Counts since the state was last revived. refs() includes the creator's reference.
  std::int64_t refs() const { return refs_.load(); }
  std::uint64_t add_refs() const { return add_refs_.load(); }
  std::uint64_t releases() const { return releases_.load(); }
  bool destroyed() const { return destroyed_.load(); }
  // References held by anyone but the creator, while the creator still holds its own.
  std::int64_t registry_refs() const { return refs_.load() - 1; }
  std::uint64_t generation() const { return generation_.load(); }

  // Drops the creator's reference (the state is destroyed if nobody else holds one).
  void release_creator() { Release(); }

  // A new state at this address, with the creator's reference. Only when destroyed (or fresh):
  // reviving a live state would hide the references it still has.
  void revive() {
    refs_.store(1);
    add_refs_.store(0);
    releases_.store(0);
    canceled_.store(false);
    destroyed_.store(false);
    generation_.fetch_add(1);
  }

 private:
  // Sequentially consistent throughout: the audit is about counts, not speed, and the strongest
  // order keeps it from hiding or inventing a race of its own.
  std::atomic<std::int64_t> refs_{1};
  std::atomic<std::uint64_t> add_refs_{0};
  std::atomic<std::uint64_t> releases_{0};
  std::atomic<bool> canceled_{false};
  std::atomic<bool> destroyed_{false};
  std::atomic<std::uint64_t> generation_{0};
};

// A fixed set of audited states at stable addresses. Under the deterministic scheduler the
// addresses are also the same in every process (schedule/fixed_address.hpp), so that a seed
// replays exactly.
class state_pool {
 public:
  explicit state_pool(std::size_t n) : size_(n), states_(allocate(n)) {
    for (std::size_t i = 0; i < n; ++i)
      new (&states_[i]) audited_state;
  }
  ~state_pool() {
    for (std::size_t i = 0; i < size_; ++i)
      states_[i].~audited_state();
    release(states_, size_);
  }
  state_pool(const state_pool&) = delete;
  state_pool& operator=(const state_pool&) = delete;

  std::size_t size() const { return size_; }
  audited_state& operator[](std::size_t i) { return states_[i]; }
  audited_state* get(std::size_t i) { return &states_[i]; }

  // Whether every state's references balance: the creator's own and nothing else held.
  bool balanced() const {
    for (std::size_t i = 0; i < size_; ++i) {
      if (states_[i].destroyed() || states_[i].refs() != 1) return false;
    }
    return true;
  }

  // References the registry holds across all states, and the pool's AddRef/Release totals.
  std::int64_t registry_references() const { return sum(&audited_state::registry_refs); }
  std::uint64_t add_refs() const { return sum(&audited_state::add_refs); }
  std::uint64_t releases() const { return sum(&audited_state::releases); }

  // "" when every state balances and no audited state of the process saw a violation;
  // otherwise what went wrong, for EXPECT_EQ(pool.audit_failures(), "").
  std::string audit_failures() const {
    if (balanced() && reference_audit::clean()) return "";
    return "first unbalanced: " + first_unbalanced() + "; " + reference_audit::summary();
  }

  // The first state that holds anything but the creator's reference, for failure messages.
  std::string first_unbalanced() const {
    for (std::size_t i = 0; i < size_; ++i) {
      const audited_state& s = states_[i];
      if (s.destroyed() || s.refs() != 1) {
        return "state " + std::to_string(i) + ": refs " + std::to_string(s.refs()) +
               (s.destroyed() ? " (destroyed)" : "") + ", AddRef " + std::to_string(s.add_refs()) +
               ", Release " + std::to_string(s.releases());
      }
    }
    return "none";
  }

 private:
  static audited_state* allocate(std::size_t n) {
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
    return static_cast<audited_state*>(map_at_fixed_address(n * sizeof(audited_state)));
#else
    return static_cast<audited_state*>(
        ::operator new (n * sizeof(audited_state), std::align_val_t{alignof(audited_state)}));
#endif
  }
  static void release(audited_state* states, std::size_t n) {
#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
    unmap_fixed_address(states, n * sizeof(audited_state));
#else
    static_cast<void>(n);
    ::operator delete (states, std::align_val_t{alignof(audited_state)});
#endif
  }

  template <class Count>
  Count sum(Count (audited_state::*count)() const) const {
    Count total = 0;
    for (std::size_t i = 0; i < size_; ++i)
      total += (states_[i].*count)();
    return total;
  }

  std::size_t size_;
  audited_state* states_;
};

}  // namespace enlist::test
