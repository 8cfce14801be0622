// Which heavy fence this platform runs (reclaim/asymmetric_fence.hpp), checked against what the
// system offers, and printed, so that every test run says which primitive it exercised: the
// process-wide barrier (membarrier on Linux, FlushProcessWriteBuffers on Windows) or the
// fallback of full fences on both sides (under Wine, whose FlushProcessWriteBuffers may be a
// stub).

#include <gtest/gtest.h>

#if defined(_WIN32)
#include <windows.h>
#elif defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <cstdio>

#include "enlist/reclaim/asymmetric_fence.hpp"

namespace {

TEST(ProcessBarrier, IsUsedExactlyWhereTheSystemOffersATrustworthyOne) {
  const bool used = enlist::reclaim::uses_process_barrier();
#if defined(_WIN32)
  const HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  const bool wine = ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
  std::printf("heavy fence: %s\n", used ? "FlushProcessWriteBuffers"
                                        : "full fences on both sides (Wine: "
                                          "FlushProcessWriteBuffers not trusted)");
  EXPECT_EQ(used, !wine);
#elif defined(__linux__)
  const long offered = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0U, 0);
  const bool expedited = offered >= 0 && (offered & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0;
  std::printf("heavy fence: %s\n", used ? "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)"
                                        : "full fences on both sides (no membarrier)");
  EXPECT_EQ(used, expedited);
#else
  std::printf("heavy fence: full fences on both sides (no process-wide barrier here)\n");
  EXPECT_FALSE(used);
#endif
}

TEST(ProcessBarrier, AHeavyFenceIsCountedAndReturns) {
  const auto before = enlist::reclaim::heavy_fence_count();
  enlist::reclaim::heavy_fence();
  EXPECT_EQ(enlist::reclaim::heavy_fence_count(), before + 1);
}

}  // namespace
