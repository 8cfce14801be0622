#pragma once
// The sequential contract of one key of an enlist map (concurrent_map, tagged_map), for the
// linearizability checker (support/linearizability.hpp).

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "enlist/map_status.hpp"
#include "support/linearizability.hpp"

namespace enlist::test {

enum class map_op : std::uint8_t { insert, erase, find };

// The sequential contract of one key of the map. State: 0 absent, v + 1 holding v.
struct map_spec {
  struct input {
    map_op op;
    std::uint64_t value;  // insert only
  };
  using output = enlist::map_result;
  static constexpr std::uint64_t initial = 0;

  static std::optional<std::uint64_t> step(std::uint64_t state, const input& in,
                                           const output& out) {
    const bool present = state != 0;
    switch (in.op) {
      case map_op::insert:
        if (!present && out.status == enlist::map_status::ok) return in.value + 1;
        if (present && out.status == enlist::map_status::exists) return state;
        return std::nullopt;
      case map_op::erase:
        if (present && out.status == enlist::map_status::ok && out.value == state - 1) return 0;
        if (!present && out.status == enlist::map_status::not_found) return state;
        return std::nullopt;
      case map_op::find:
        if (present && out.status == enlist::map_status::ok && out.value == state - 1) return state;
        if (!present && out.status == enlist::map_status::not_found) return state;
        return std::nullopt;
    }
    return std::nullopt;
  }

  static std::string describe(const input& in, const output& out) {
    static constexpr const char* ops[] = {"insert", "erase", "find"};
    static constexpr const char* statuses[] = {
        "ok", "exists", "not_found", "out_of_memory", "refused", "invalid_key", "invalid_value"};
    // A stream rather than string concatenation: GCC 12 at -O3 reports a false -Wrestrict on
    // chains of std::string operator+.
    std::ostringstream s;
    s << ops[static_cast<int>(in.op)];
    if (in.op == map_op::insert) s << '(' << in.value << ')';
    s << " -> " << statuses[static_cast<int>(out.status)];
    if (out.status == enlist::map_status::ok && in.op != map_op::insert) s << ' ' << out.value;
    return s.str();
  }
};
static_assert(enlist::test::sequential_spec<map_spec>);

}  // namespace enlist::test
