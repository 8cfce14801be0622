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

#include <atomic>
#include <chrono>
#include <cstdio>

#include "enlist/reclaim/asymmetric_fence.hpp"
#include "platform/barrier_probe.hpp"

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

using enlist::reclaim::platform::barrier_evidence;
using enlist::reclaim::platform::probe_barrier;

const char* name(barrier_evidence e) {
  switch (e) {
    case barrier_evidence::works:
      return "works";
    case barrier_evidence::broken:
      return "broken";
    case barrier_evidence::not_shown:
      break;
  }
  return "not shown";
}

// The probe's safety: a call that orders nothing is never trusted, however the threads happen to
// be scheduled (it is found broken, or the probe could not tell, and then nothing is trusted):
// one that does nothing, one that only takes time (as Wine 8.0's FlushProcessWriteBuffers, about
// 80 ns), and a full fence on the calling thread alone.
TEST(BarrierProbe, NeverTrustsACallThatOrdersNothing) {
  const struct {
    const char* what;
    void (*call)() noexcept;
  } fakes[] = {
      {"does nothing", []() noexcept {}},
      {"takes about 100 ns",
       []() noexcept {
         const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(100);
         while (std::chrono::steady_clock::now() < until) {
         }
       }},
      {"fences this thread only", []() noexcept { enlist::reclaim::seq_cst_fence(); }},
  };
  for (const auto& fake : fakes) {
    const barrier_evidence e = probe_barrier(fake.call);
    std::printf("probe of a call that %s: %s\n", fake.what, name(e));
    EXPECT_NE(e, barrier_evidence::works) << fake.what;
  }
}

#if defined(_WIN32)
// Where Wine hides its exports, the library cannot tell it runs under Wine and falls back on the
// probe of FlushProcessWriteBuffers (process_barrier_windows.cpp): under Wine 8.0, a stub, which
// the probe must not trust. On Windows itself it is a barrier, which the probe must not find
// broken.
TEST(BarrierProbe, JudgesFlushProcessWriteBuffersAsTheSystemImplementsIt) {
  const HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  const FARPROC export_found =
      ntdll != nullptr ? GetProcAddress(ntdll, "wine_get_version") : nullptr;
  // FARPROC is the generic function pointer of GetProcAddress; through void* to its real type.
  const auto wine_version =
      reinterpret_cast<const char* (*)()>(reinterpret_cast<void*>(export_found));
  const barrier_evidence e = probe_barrier([]() noexcept { FlushProcessWriteBuffers(); });
  std::printf("probe of FlushProcessWriteBuffers (%s%s): %s\n",
              wine_version != nullptr ? "Wine " : "Windows",
              wine_version != nullptr ? wine_version() : "", name(e));
  if (wine_version != nullptr && wine_version()[0] <= '8' && wine_version()[1] == '.') {
    EXPECT_NE(e, barrier_evidence::works) << "Wine 8's stub trusted as a barrier";
  } else if (wine_version == nullptr) {
    EXPECT_NE(e, barrier_evidence::broken);
  }
}
#elif defined(__linux__)
// The other way round: membarrier is a barrier, which the probe must never find broken (the
// outcome it looks for cannot happen with it), and usually shows to work.
TEST(BarrierProbe, NeverFindsMembarrierBroken) {
  if (!enlist::reclaim::uses_process_barrier()) GTEST_SKIP() << "no membarrier here";
  int worked = 0;
  for (int run = 0; run < 3; ++run) {
    const barrier_evidence e = probe_barrier(
        []() noexcept { syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0U, 0); });
    std::printf("probe of membarrier: %s\n", name(e));
    EXPECT_NE(e, barrier_evidence::broken);
    worked += e == barrier_evidence::works;
  }
  if (worked == 0) std::printf("(the probe could not show it on this machine now: too loaded?)\n");
}
#endif

TEST(ProcessBarrier, AHeavyFenceIsCountedAndReturns) {
  const auto before = enlist::reclaim::heavy_fence_count();
  enlist::reclaim::heavy_fence();
  EXPECT_EQ(enlist::reclaim::heavy_fence_count(), before + 1);
}

}  // namespace
