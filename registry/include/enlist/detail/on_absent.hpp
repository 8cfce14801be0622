#pragma once
// The callback an enlist map's insert runs once it has found the key absent (the registry takes
// the state's reference there): noexcept, returning void, or bool where false declines the entry.

#include <type_traits>

namespace enlist::detail {

// Runs on_absent; false when it declined the entry.
template <class OnAbsent>
bool announce(OnAbsent& on_absent) noexcept {
  static_assert(std::is_nothrow_invocable_v<OnAbsent&>, "on_absent must be noexcept");
  using result = std::invoke_result_t<OnAbsent&>;
  static_assert(std::is_void_v<result> || std::is_same_v<result, bool>,
                "on_absent returns void, or bool (false declines the entry)");
  if constexpr (std::is_void_v<result>) {
    on_absent();
    return true;
  } else {
    return on_absent();
  }
}

}  // namespace enlist::detail
