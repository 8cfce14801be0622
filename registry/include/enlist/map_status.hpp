#pragma once
// What enlist's maps answer: the status of an operation, and the value it found or removed.

#include <cstdint>

namespace enlist {

enum class map_status : std::uint8_t {
  ok,
  exists,         // insert: the key is already present
  not_found,      // find, erase: the key is absent
  out_of_memory,  // no room: the table is full and no larger one could be had; nothing was changed
  refused,        // insert: its on_absent declined the entry (returned false); nothing was changed
  invalid_key,    // key 0, or above the map's max_key
  invalid_value,  // value above the map's max_value
};

struct map_result {
  map_status status;
  std::uint64_t value;  // the found or erased value when status == ok
  explicit operator bool() const noexcept { return status == map_status::ok; }
};

}  // namespace enlist
