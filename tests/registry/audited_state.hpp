#pragma once
// A session state that audits every use the registry makes of it, for tests: each AddRef,
// Release and IsCanceled is counted, and any call on a destroyed state, any Release below zero,
// or a callback handed a destroyed state counts as a violation that fails the test.
//
// "Destroyed" states keep their memory (the pool owns it until the test ends), so detecting a
// use after destruction is well-defined here; tests that want addresses reused and freed for
// real use ref_counted_session_state under AddressSanitizer instead.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "enlist/session_state.hpp"

namespace enlist::registry_test {

struct reference_audit {
  std::atomic<std::uint64_t> add_refs{0};
  std::atomic<std::uint64_t> releases{0};
  std::atomic<std::uint64_t> destroyed{0};
  std::atomic<std::uint64_t> violations{0};
};

class audited_state final : public session_state {
 public:
  explicit audited_state(reference_audit& audit) : audit_(audit) {}
  ~audited_state() override = default;

  std::uint32_t AddRef() noexcept override {
    check_alive();
    audit_.add_refs.fetch_add(1, std::memory_order_relaxed);
    return refs_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  std::uint32_t Release() noexcept override {
    check_alive();
    const std::uint32_t before = refs_.fetch_sub(1, std::memory_order_acq_rel);
    if (before == 0) {
      audit_.violations.fetch_add(1, std::memory_order_relaxed);  // released below zero
      return 0;
    }
    audit_.releases.fetch_add(1, std::memory_order_relaxed);
    if (before == 1) {
      dead_.store(true, std::memory_order_release);
      audit_.destroyed.fetch_add(1, std::memory_order_relaxed);
    }
    return before - 1;
  }

  bool IsCanceled() const noexcept override {
    check_alive();
    return canceled_.load(std::memory_order_acquire);
  }

  // What a sweep callback does with the state it is handed: fails the audit if it is dead, or
  // if the registry's reference is gone although the callback still runs (the test holds one
  // reference of its own, so a registry-held state counts at least two).
  void touch() const noexcept {
    check_alive();
    if (refs() < 2) audit_.violations.fetch_add(1, std::memory_order_relaxed);
  }

  void cancel() noexcept { canceled_.store(true, std::memory_order_release); }
  std::uint32_t refs() const noexcept { return refs_.load(std::memory_order_acquire); }
  bool dead() const noexcept { return dead_.load(std::memory_order_acquire); }

 private:
  void check_alive() const noexcept {
    if (dead_.load(std::memory_order_acquire)) {
      audit_.violations.fetch_add(1, std::memory_order_relaxed);
    }
  }

  reference_audit& audit_;
  std::atomic<std::uint32_t> refs_{1};  // the test's own reference
  std::atomic<bool> canceled_{false};
  std::atomic<bool> dead_{false};
};

// Owns the memory of audited states; each starts with one reference held by the test.
class state_pool {
 public:
  explicit state_pool(std::size_t count) {
    states_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      states_.push_back(std::make_unique<audited_state>(audit_));
    }
  }

  audited_state* operator[](std::size_t i) const { return states_[i].get(); }
  std::size_t size() const { return states_.size(); }
  reference_audit& audit() { return audit_; }

  // Registry references currently held across all states (refs minus the test's own one).
  std::uint64_t registry_references() const {
    std::uint64_t held = 0;
    for (const auto& s : states_)
      held += s->refs() - 1;
    return held;
  }

  // With the registry gone (or empty): every reference it took was released exactly once,
  // nothing was destroyed early, and no state was used after destruction.
  void expect_balanced() const {
    EXPECT_EQ(audit_.violations.load(), 0u) << "a state was used after destruction or "
                                               "released below zero";
    EXPECT_EQ(audit_.add_refs.load(), audit_.releases.load())
        << "every AddRef must be matched by exactly one Release";
    EXPECT_EQ(audit_.destroyed.load(), 0u) << "a state was destroyed while the test held it";
    for (const auto& s : states_)
      EXPECT_EQ(s->refs(), 1u);
  }

 private:
  reference_audit audit_;
  std::vector<std::unique_ptr<audited_state>> states_;
};

}  // namespace enlist::registry_test
