#pragma once
// One call of a map's operation in a recorded history (support/linearizability.hpp): invoked and
// answered between two stamps of the history's clock, and logged.

#include <cstdint>
#include <random>
#include <thread>

#include "enlist/map_status.hpp"
#include "support/concurrent_runner.hpp"
#include "support/linearizability.hpp"
#include "support/map_spec.hpp"

namespace enlist::test {

inline enlist::map_result as_map_result(enlist::map_status s) {
  return {s, 0};
}
inline enlist::map_result as_map_result(enlist::map_result r) {
  return r;
}

// Calls `op` of `map` (insert answering a status or a result, erase, find) and logs it. On real
// threads, yielding inside the interval now and then lets other threads run while the call is
// pending, as a preemption would; the scheduler interleaves by itself.
template <class Map>
enlist::map_result logged_map_call(Map& map, map_op op, std::uintptr_t key, std::uint64_t value,
                                   history_clock& clock, std::mt19937_64& random,
                                   thread_log<map_spec>& log) {
  const bool yield_first = !scheduled_build && random() % 8 == 0;
  const bool yield_last = !scheduled_build && random() % 8 == 0;
  const std::uint64_t invoked = clock.now();
  if (yield_first) std::this_thread::yield();
  enlist::map_result out{};
  switch (op) {
    case map_op::insert:
      out = as_map_result(map.insert(key, value));
      break;
    case map_op::erase:
      out = map.erase(key);
      break;
    case map_op::find:
      out = map.find(key);
      break;
  }
  if (yield_last) std::this_thread::yield();
  const std::uint64_t responded = clock.now();
  log.push_back({key, {op, value}, out, invoked, responded});
  return out;
}

}  // namespace enlist::test
