#pragma once
// The hash every enlist table (and every benchmark backend) applies to session-state addresses.
//
// Addresses make poor hash inputs: their low bits are zero (alignment) and their high bits are
// almost constant (one heap). The finaliser of MurmurHash3 (fmix64) mixes every input bit into
// every output bit, so masking the result to a power-of-two table size uses all of the address.

#include <cstdint>

namespace enlist {

struct address_hash {
  constexpr std::uint64_t operator()(std::uintptr_t address) const noexcept {
    std::uint64_t h = address;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
  }
};

}  // namespace enlist
