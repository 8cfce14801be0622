#pragma once
// How hard the stress tests push. Sanitizer runs (ENLIST_TEST_SCALE=sanitizer, set by the
// asan-ubsan and tsan test presets) run fewer operations: the instrumentation makes each one
// 5-20x slower, and the interleavings they check do not need the full count.

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace enlist::test {

inline bool under_sanitizer() {
  const char* scale = std::getenv("ENLIST_TEST_SCALE");
  return scale != nullptr && std::strcmp(scale, "sanitizer") == 0;
}

// `full` normally, `full / divisor` under a sanitizer (at least 1).
inline std::size_t scaled(std::size_t full, std::size_t divisor = 20) {
  if (!under_sanitizer()) return full;
  return full / divisor > 0 ? full / divisor : 1;
}

}  // namespace enlist::test
