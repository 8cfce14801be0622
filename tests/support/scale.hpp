#pragma once
// How hard the stress tests push. Sanitizer runs (ENLIST_TEST_SCALE=sanitizer, set by the
// asan-ubsan and tsan test presets) and emulated ones (ENLIST_TEST_SCALE=emulated: AArch64 under
// qemu-user) run fewer operations: instrumentation or emulation makes each one several times
// slower, and the interleavings they check do not need the full count.

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace enlist::test {

inline bool reduced_scale() {
  const char* scale = std::getenv("ENLIST_TEST_SCALE");
  return scale != nullptr &&
         (std::strcmp(scale, "sanitizer") == 0 || std::strcmp(scale, "emulated") == 0);
}

// `full` normally, `full / divisor` at reduced scale (at least 1).
inline std::size_t scaled(std::size_t full, std::size_t divisor = 20) {
  if (!reduced_scale()) return full;
  return full / divisor > 0 ? full / divisor : 1;
}

}  // namespace enlist::test
