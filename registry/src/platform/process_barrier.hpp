#pragma once
// The operating system's process-wide memory barrier, behind reclaim::heavy_fence(): a full
// barrier on every CPU that is running a thread of this process when it is called, so that a
// thread doing "store; compiler barrier; load" is ordered as if it had run a seq_cst fence
// (asymmetric_fence.hpp). One implementation per platform:
//   process_barrier_linux.cpp     membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
//   process_barrier_windows.cpp   FlushProcessWriteBuffers, once barrier_probe.hpp shows it works
//   process_barrier_none.cpp      none: every fence is a full fence

namespace enlist::reclaim::platform {

// Registers the process for the barrier, when the first fence of the process decides the fence
// mode (asymmetric_fence.hpp); false when the system has none, or none shown to work (both fences
// are then full fences). Racing first fences may each call it: it must be idempotent.
bool register_process_barrier() noexcept;

// Issues the barrier. Called only after registration succeeded; never fails silently: if the
// system refuses a barrier it had promised, the process stops (reclamation would be unsafe).
void process_barrier() noexcept;

}  // namespace enlist::reclaim::platform
