#pragma once
// session_ptr: owns one reference to a session state, like COM's CComPtr or boost's
// intrusive_ptr, through the state policy (state_policy.hpp) so that it works for any state type.
// Copying takes a reference; destruction, reset and assignment drop one.

#include <utility>

#include "enlist/session_state.hpp"
#include "enlist/state_policy.hpp"

namespace enlist {

template <class T, state_policy Policy = com_state_policy<T>>
class session_ptr {
 public:
  session_ptr() noexcept = default;

  // Takes over a reference the caller already holds (e.g. a freshly created object).
  static session_ptr adopt(T* state) noexcept { return session_ptr(state); }

  // Takes a new reference to a state the caller does not own a reference to.
  static session_ptr share(T* state) noexcept {
    if (state != nullptr) Policy::add_ref(state);
    return session_ptr(state);
  }

  session_ptr(const session_ptr& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) Policy::add_ref(state_);
  }
  session_ptr(session_ptr&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  session_ptr& operator=(session_ptr other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~session_ptr() { reset(); }

  void reset() noexcept {
    if (T* state = std::exchange(state_, nullptr)) Policy::release(state);
  }

  // Gives up ownership of the reference without dropping it.
  [[nodiscard]] T* detach() noexcept { return std::exchange(state_, nullptr); }

  T* get() const noexcept { return state_; }
  T* operator->() const noexcept { return state_; }
  T& operator*() const noexcept { return *state_; }
  explicit operator bool() const noexcept { return state_ != nullptr; }

 private:
  explicit session_ptr(T* state) noexcept : state_(state) {}

  T* state_ = nullptr;
};

// Creates a T (ref_counted_session_state by default, or a type derived from it) holding one
// reference, owned by the returned pointer. Throws what `new` throws.
template <class T = ref_counted_session_state, class... Args>
session_ptr<T> make_session_state(Args&&... args) {
  return session_ptr<T>::adopt(new T(std::forward<Args>(args)...));
}

}  // namespace enlist
