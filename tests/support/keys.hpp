#pragma once
// Keys as a session registry sees them: addresses of session states, 16-byte aligned and
// clustered in one region, so that the hash, not the key, has to spread them.

#include <cstdint>

namespace enlist::test {

inline std::uintptr_t address(std::uint64_t i) {
  return 0x7f0000000000ULL + i * 16;
}

}  // namespace enlist::test
