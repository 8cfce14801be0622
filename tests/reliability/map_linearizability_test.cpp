// concurrent_map is linearizable: thousands of short random histories of insert, erase and find
// from threads outnumbering the cores, on a few hot keys and on private keys that push the table
// through migrations, each checked key by key against a sequential map. A map whose erase is a
// find followed by an erase (so that two racing erases can both succeed) must be caught: that is
// what shows the checker can fail.

#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "enlist/concurrent_map.hpp"
#include "support/linearizability.hpp"
#include "support/round_runner.hpp"
#include "support/scale.hpp"

namespace {

using enlist::concurrent_map;
using enlist::map_result;
using enlist::map_status;
using key_type = concurrent_map::key_type;

key_type address(std::uint64_t i) {
  return 0x7f0000000000ULL + i * 16;
}

enum class map_op : std::uint8_t { insert, erase, find };

// The sequential contract of one key of the map. State: 0 absent, v + 1 holding v.
struct map_spec {
  struct input {
    map_op op;
    std::uint64_t value;  // insert only
  };
  using output = map_result;
  static constexpr std::uint64_t initial = 0;

  static std::optional<std::uint64_t> step(std::uint64_t state, const input& in,
                                           const output& out) {
    const bool present = state != 0;
    switch (in.op) {
      case map_op::insert:
        if (!present && out.status == map_status::ok) return in.value + 1;
        if (present && out.status == map_status::exists) return state;
        return std::nullopt;
      case map_op::erase:
        if (present && out.status == map_status::ok && out.value == state - 1) return 0;
        if (!present && out.status == map_status::not_found) return state;
        return std::nullopt;
      case map_op::find:
        if (present && out.status == map_status::ok && out.value == state - 1) return state;
        if (!present && out.status == map_status::not_found) return state;
        return std::nullopt;
    }
    return std::nullopt;
  }

  static std::string describe(const input& in, const output& out) {
    static constexpr const char* ops[] = {"insert", "erase", "find"};
    static constexpr const char* statuses[] = {
        "ok", "exists", "not_found", "out_of_memory", "invalid_key", "invalid_value"};
    // A stream rather than string concatenation: GCC 12 at -O3 reports a false -Wrestrict on
    // chains of std::string operator+.
    std::ostringstream s;
    s << ops[static_cast<int>(in.op)];
    if (in.op == map_op::insert) s << '(' << in.value << ')';
    s << " -> " << statuses[static_cast<int>(out.status)];
    if (out.status == map_status::ok && in.op != map_op::insert) s << ' ' << out.value;
    return s.str();
  }
};
static_assert(enlist::test::sequential_spec<map_spec>);

// The map as it is.
struct real_map {
  concurrent_map map;
  map_result insert(key_type k, std::uint64_t v) { return {map.insert(k, v), 0}; }
  map_result erase(key_type k) { return map.erase(k); }
  map_result find(key_type k) { return map.find(k); }
};

// Deliberately broken, for the test only: erase looks the key up, then erases it and reports the
// lookup. Two erases racing on one key can both report the same value removed.
struct find_then_erase_map {
  concurrent_map map;
  map_result insert(key_type k, std::uint64_t v) { return {map.insert(k, v), 0}; }
  map_result erase(key_type k) {
    const map_result found = map.find(k);
    if (!found) return found;
    std::this_thread::yield();  // widen the window a preemption would open anyway
    map.erase(k);
    return found;
  }
  map_result find(key_type k) { return map.find(k); }
};

constexpr unsigned thread_count = 8;       // 4x the cores of the machines this runs on
constexpr std::uint64_t filler_keys = 40;  // a fresh table holds 48 before it migrates

struct history_stats {
  std::size_t rounds = 0;
  std::size_t overlapping = 0;
  std::optional<std::string> violation;
};

// Runs up to `rounds` random histories, each on a fresh map, and stops at the first one that is
// not linearizable.
template <class Map>
history_stats run_histories(std::size_t rounds, std::uint64_t seed) {
  enlist::test::round_runner runner(thread_count);
  history_stats stats;
  std::mt19937_64 shape(seed);
  for (std::size_t round = 0; round < rounds; ++round) {
    Map subject;
    for (std::uint64_t i = 0; i < filler_keys; ++i)
      subject.map.insert(address(100'000 + i), i);
    const std::uint64_t hot_keys = 1 + shape() % 3;
    const std::size_t ops_per_thread = 10 + shape() % 21;
    const std::uint64_t round_seed = shape();
    enlist::test::history_clock clock;
    std::vector<enlist::test::thread_log<map_spec>> logs(thread_count);
    runner.run([&](unsigned t) {
      std::mt19937_64 random(round_seed + t);
      auto& log = logs[t];
      log.reserve(ops_per_thread);
      std::uint64_t next_private = 0;
      for (std::size_t i = 0; i < ops_per_thread; ++i) {
        // One operation in five inserts a key of this thread's own: together they fill the
        // table past 3/4 and migrate it while the hot keys are being fought over.
        const bool own = random() % 5 == 0;
        const key_type key =
            own ? address(1000 + t * 1000 + next_private++) : address(1 + random() % hot_keys);
        const auto op = own ? map_op::insert : static_cast<map_op>(random() % 3);
        const std::uint64_t value = (std::uint64_t{t} << 32) | i;  // unique per insert
        // Yielding inside the interval, after the invocation stamp or before the response stamp,
        // lets other threads run while this call is pending, as a preemption would: on a loaded
        // machine the threads would otherwise run their few calls one after another.
        const bool yield_first = random() % 8 == 0;
        const bool yield_last = random() % 8 == 0;
        const std::uint64_t invoked = clock.now();
        if (yield_first) std::this_thread::yield();
        map_result out{};
        switch (op) {
          case map_op::insert:
            out = subject.insert(key, value);
            break;
          case map_op::erase:
            out = subject.erase(key);
            break;
          case map_op::find:
            out = subject.find(key);
            break;
        }
        if (yield_last) std::this_thread::yield();
        const std::uint64_t responded = clock.now();
        log.push_back({key, {op, value}, out, invoked, responded});
      }
    });
    const auto result = enlist::test::check_linearizable<map_spec>(logs);
    ++stats.rounds;
    stats.overlapping += result.overlapping;
    if (!result.linearizable) {
      stats.violation = result.report;
      return stats;
    }
  }
  return stats;
}

TEST(MapLinearizability, ThousandsOfRandomHistoriesAreLinearizable) {
  const std::size_t rounds = enlist::test::scaled(10000, 5);
  const history_stats stats = run_histories<real_map>(rounds, 1);
  ASSERT_FALSE(stats.violation) << *stats.violation;
  EXPECT_EQ(stats.rounds, rounds);
  // Without overlapping operations every history would be trivially linearizable.
  EXPECT_GT(stats.overlapping, rounds) << "the histories were hardly concurrent";
  std::cout << stats.rounds << " histories, " << stats.overlapping
            << " operations overlapping another thread's on their key\n";
}

TEST(MapLinearizability, AnEraseThatIsAFindThenAnEraseIsCaught) {
  const history_stats stats = run_histories<find_then_erase_map>(enlist::test::scaled(3000, 3), 2);
  ASSERT_TRUE(stats.violation) << "no violation in " << stats.rounds << " histories";
  std::cout << "caught after " << stats.rounds << " histories:\n" << *stats.violation;
}

}  // namespace
