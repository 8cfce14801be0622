#pragma once
// Keys as a session registry sees them: addresses of session states, 16-byte aligned and
// clustered in one region, so that the hash, not the key, has to spread them.

#include <cstdint>

namespace enlist::test {

inline std::uintptr_t address(std::uint64_t i) {
  return 0x7f0000000000ULL + i * 16;
}

// A value that tells key i from its neighbours as far as the map's values (0..63) allow: a
// value found under the wrong key shows unless the two keys are a multiple of 64 apart.
inline std::uint64_t value_for(std::uint64_t i) {
  return i % 64;
}

}  // namespace enlist::test
