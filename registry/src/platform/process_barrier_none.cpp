#include <exception>

#include "platform/process_barrier.hpp"

namespace enlist::reclaim::platform {

bool register_process_barrier() noexcept {
  return false;
}

void process_barrier() noexcept {
  std::terminate();  // unreachable: registration never succeeds
}

}  // namespace enlist::reclaim::platform
