// Must not compile: com_state_policy refuses a type whose AddRef, Release or IsCanceled may
// throw, with a message that says why (the CTest test com_policy_refuses_throwing_members checks
// the compiler's output for it).

#include <cstdint>

#include "enlist/registry.hpp"

struct throwing_state {
  std::uint32_t AddRef();  // not noexcept: may throw
  std::uint32_t Release() noexcept;
  bool IsCanceled() const noexcept;
};

int main() {
  enlist::basic_registry<enlist::com_state_policy<throwing_state>> sessions;
  return sessions.size() == 0 ? 0 : 1;
}
