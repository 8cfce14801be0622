#pragma once
// The session-state object both providers of a session receive, modelled on Windows Sync's
// ISyncSessionState: COM reference counting and cancellation, the part a session registry needs.
// (Progress reporting and change-applier data stay with the provider.)
//
// session_state is the portable interface; ref_counted_session_state is a ready implementation
// (thread-safe count, cancellation flag) that providers may use as is or derive from to carry
// their own per-session data. A provider with a state type of its own need not inherit from
// either: see state_policy.hpp.

#include <atomic>
#include <cstdint>

namespace enlist {

class session_state {
 public:
  // Takes one reference; returns the new count (informational, as in COM).
  virtual std::uint32_t AddRef() noexcept = 0;
  // Drops one reference; returns the new count. The object destroys itself when it reaches 0,
  // so the caller must not touch it after dropping its last reference.
  virtual std::uint32_t Release() noexcept = 0;
  // Whether the session has been canceled (the registry can end every canceled session).
  virtual bool IsCanceled() const noexcept = 0;

  session_state(const session_state&) = delete;
  session_state& operator=(const session_state&) = delete;

 protected:
  session_state() = default;
  // Only Release destroys a state.
  virtual ~session_state() = default;
};

// Reference-counted, cancelable session state. Heap-only (the destructor is protected): create
// it with make_session_state (session_ptr.hpp), which hands the creator the first reference.
class ref_counted_session_state : public session_state {
 public:
  ref_counted_session_state() = default;

  std::uint32_t AddRef() noexcept override {
    // Relaxed: a new reference is always taken through an existing one, which keeps the
    // object alive; nothing is published by counting up.
    return refs_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  std::uint32_t Release() noexcept override {
    // acq_rel: every holder's use of the object happens before the destruction by the last one.
    const std::uint32_t left = refs_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if (left == 0) delete this;
    return left;
  }

  bool IsCanceled() const noexcept override { return canceled_.load(std::memory_order_acquire); }

  // Marks the session canceled; release, so that what the canceler wrote before is visible to
  // whoever sees the flag.
  void cancel() noexcept { canceled_.store(true, std::memory_order_release); }

 protected:
  ~ref_counted_session_state() override = default;

 private:
  std::atomic<std::uint32_t> refs_{1};
  std::atomic<bool> canceled_{false};
};

}  // namespace enlist
