#pragma once
// Memory at the same virtual address in every process, for the objects whose addresses scheduled
// tests use as keys (session states). The map places a key by its hash, so the addresses of the
// states decide which cells an operation probes, hence how many schedule points it passes: with
// the heap's randomised addresses a seed would replay differently in another process.

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace enlist::test {

// The series lies far from where Linux puts heap, stacks and binaries, and inside the memory a
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
inline void* map_at_fixed_address(std::size_t bytes) {
  constexpr std::uintptr_t stride = 0x10000000ULL;  // 256 MiB apart
  for (std::uintptr_t i = 0; i < 64; ++i) {
    void* wanted = reinterpret_cast<void*>(fixed_address_base + i * stride);
    void* got = mmap(wanted, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (got == wanted) return got;
    if (got != MAP_FAILED) munmap(got, bytes);  // a kernel that ignores the flag
  }
  std::fprintf(stderr, "cannot map test memory at a fixed address\n");
  std::abort();
}

inline void unmap_fixed_address(void* block, std::size_t bytes) {
  munmap(block, bytes);
}

}  // namespace enlist::test
