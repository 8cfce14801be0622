#pragma once
// Heap bytes in use, for the memory-per-session measurement: glibc's mallinfo2() over every
// arena, small blocks (uordblks) plus blocks served by mmap (hblkhd). Every backend allocates
// through malloc here (TBB containers are given std::allocator, not tbbmalloc), so the delta
// before/after filling a backend is what it holds. 0 where mallinfo2 is unavailable.

#include <cstddef>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace enlist::bench {

inline bool heap_measurable() noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  return true;
#else
  return false;
#endif
}

inline std::size_t heap_in_use() noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
#else
  return 0;
#endif
}

}  // namespace enlist::bench
