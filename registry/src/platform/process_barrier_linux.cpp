#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>

#include "platform/process_barrier.hpp"

namespace enlist::reclaim::platform {

namespace {

long membarrier(int command) noexcept {
  return syscall(__NR_membarrier, command, 0U, 0);
}

}  // namespace

bool register_process_barrier() noexcept {
  const long supported = membarrier(MEMBARRIER_CMD_QUERY);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

void process_barrier() noexcept {
  if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
    // Registered, yet refused (a seccomp policy, say). Readers rely on this barrier, so fall
    // back to the global one, which needs no registration; without either, reclamation would
    // be unsafe, and stopping is the only safe answer.
    if (membarrier(MEMBARRIER_CMD_GLOBAL) != 0) std::terminate();
  }
}

}  // namespace enlist::reclaim::platform
