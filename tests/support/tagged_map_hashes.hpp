#pragma once
// Hashes that make tagged_map's rare paths common in tests: keys that share a tag byte (a slot
// tagged for one key claimed by another, finds that compare more than one slot), and keys whose
// probes all start in one group (overflow into later groups, counts going up and down).

#include <cstdint>

#include "enlist/hash.hpp"

namespace enlist::test {

// Four tags in all: the tag takes the hash's low 7 bits, of which this keeps two.
struct few_tags_hash {
  constexpr std::uint64_t operator()(std::uintptr_t address) const noexcept {
    return address_hash{}(address) & ~std::uint64_t{0x7c};
  }
};

// Every key's home is group 0 (it comes from the high 32 bits, cleared here), with four tags.
struct one_home_hash {
  constexpr std::uint64_t operator()(std::uintptr_t address) const noexcept {
    return address_hash{}(address)&0x83;
  }
};

}  // namespace enlist::test
