// The system calls behind fixed_address.hpp, kept out of the header so that tests do not see
// windows.h (whose macros S_OK, E_ABORT... would hide enlist's constants of the same names).

#include "schedule/fixed_address.hpp"

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/mman.h>
#endif

#include <cstdio>
#include <cstdlib>

namespace enlist::test {

void* map_at_fixed_address(std::size_t bytes) {
  constexpr std::uintptr_t stride = 0x10000000ULL;  // 256 MiB apart
  for (std::uintptr_t i = 0; i < 64; ++i) {
    void* wanted = reinterpret_cast<void*>(fixed_address_base + i * stride);
#if defined(_WIN32)
    if (VirtualAlloc(wanted, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == wanted) {
      return wanted;
    }
#else
    void* got = mmap(wanted, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (got == wanted) return got;
    if (got != MAP_FAILED) munmap(got, bytes);  // a kernel that ignores the flag
#endif
  }
  std::fprintf(stderr, "cannot map test memory at a fixed address\n");
  std::abort();
}

void unmap_fixed_address(void* block, [[maybe_unused]] std::size_t bytes) {
#if defined(_WIN32)
  VirtualFree(block, 0, MEM_RELEASE);
#else
  munmap(block, bytes);
#endif
}

}  // namespace enlist::test
