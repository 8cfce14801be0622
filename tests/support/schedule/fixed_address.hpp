#pragma once
// Memory at the same virtual address in every process, for the objects whose addresses scheduled
// tests use as keys (session states). The map places a key by its hash, so the addresses of the
// states decide which cells an operation probes, hence how many schedule points it passes: with
// the heap's randomised addresses a seed would replay differently in another process.

#include <cstddef>
#include <cstdint>

namespace enlist::test {

// The series lies far from where Linux and Windows put heap, stacks and binaries, and inside the memory a
// sanitizer lets the program map: ThreadSanitizer aborts on a mapping outside its application
// ranges (x86-64: below 0x008000000000 is one), AddressSanitizer keeps that range for its shadow.
#if defined(__SANITIZE_THREAD__)
#define ENLIST_TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ENLIST_TEST_UNDER_TSAN 1
#endif
#endif
#if defined(ENLIST_TEST_UNDER_TSAN)
inline constexpr std::uintptr_t fixed_address_base = 0x001000000000ULL;
#else
inline constexpr std::uintptr_t fixed_address_base = 0x5e0000000000ULL;
#endif

// A block of `bytes` at the first free one of a fixed series of addresses (blocks alive at the
// same time get distinct ones, in the order they were made). Aborts if none is free.
void* map_at_fixed_address(std::size_t bytes);

void unmap_fixed_address(void* block, std::size_t bytes);

}  // namespace enlist::test
