// The checker itself, on histories written by hand whose verdict is known: it accepts what a
// sequential order explains, and refuses a history that only the real-time order rules out.

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/linearizability.hpp"

namespace {

// A register holding one value per key: write(v) -> ack, read -> v. State: the value.
struct register_spec {
  struct input {
    bool write;
    std::uint64_t value;
  };
  using output = std::uint64_t;  // what a read returned; ignored for writes
  static constexpr std::uint64_t initial = 0;
  static std::optional<std::uint64_t> step(std::uint64_t state, const input& in, output out) {
    if (in.write) return in.value;
    if (out == state) return state;
    return std::nullopt;
  }
  static std::string describe(const input& in, output out) {
    return in.write ? "write " + std::to_string(in.value) : "read " + std::to_string(out);
  }
};

using log = enlist::test::thread_log<register_spec>;
using enlist::test::check_linearizable;

log::value_type write(std::uint64_t key, std::uint64_t v, std::uint64_t from, std::uint64_t to) {
  return {key, {true, v}, 0, from, to};
}
log::value_type read(std::uint64_t key, std::uint64_t v, std::uint64_t from, std::uint64_t to) {
  return {key, {false, 0}, v, from, to};
}

TEST(LinearizabilityChecker, AcceptsAReadOverlappingAWriteSeeingEitherValue) {
  for (const std::uint64_t seen : {0, 1}) {
    const std::vector<log> logs{{write(1, 1, 0, 10)}, {read(1, seen, 5, 15)}};
    const auto result = check_linearizable<register_spec>(logs);
    EXPECT_TRUE(result.linearizable) << result.report;
    EXPECT_EQ(result.overlapping, 2u);
  }
}

TEST(LinearizabilityChecker, RefusesAStaleReadAfterTheWriteReturned) {
  const std::vector<log> logs{{write(1, 1, 0, 10)}, {read(1, 0, 11, 15)}};
  const auto result = check_linearizable<register_spec>(logs);
  EXPECT_FALSE(result.linearizable);
  EXPECT_NE(result.report.find("read 0"), std::string::npos) << result.report;
}

TEST(LinearizabilityChecker, RefusesTwoReadersSeeingTwoWritesInOppositeOrders) {
  // Writes of 1 and 2 overlap each other; the readers run after both returned, one after the
  // other, and disagree about which came last.
  const std::vector<log> logs{
      {write(1, 1, 0, 10)}, {write(1, 2, 1, 11)}, {read(1, 1, 12, 13), read(1, 2, 14, 15)}};
  EXPECT_FALSE(check_linearizable<register_spec>(logs).linearizable);
}

TEST(LinearizabilityChecker, ChecksKeysIndependently) {
  // Each key is its own register: a read of key 2 is not affected by writes to key 1, and a
  // violation on one key is found and named among keys that are fine.
  const std::vector<log> fine{{write(1, 1, 0, 1), read(2, 0, 2, 3)},
                              {write(2, 2, 4, 5), read(1, 1, 6, 7)}};
  EXPECT_TRUE(check_linearizable<register_spec>(fine).linearizable);
  const std::vector<log> broken{{write(1, 1, 0, 1), read(2, 7, 2, 3)},
                                {write(2, 2, 4, 5), read(1, 1, 6, 7)}};
  const auto result = check_linearizable<register_spec>(broken);
  EXPECT_FALSE(result.linearizable);
  EXPECT_NE(result.report.find("key 2 "), std::string::npos) << result.report;
}

TEST(LinearizabilityChecker, KeepsEachThreadsProgramOrder) {
  // Thread 0 writes 1 then 2 without overlap with itself; a reader overlapping both may see 1 or
  // 2, then never 1 again after it saw 2.
  const std::vector<log> ok{{write(1, 1, 0, 2), write(1, 2, 3, 5)},
                            {read(1, 1, 1, 4), read(1, 2, 4, 6)}};
  EXPECT_TRUE(check_linearizable<register_spec>(ok).linearizable);
  const std::vector<log> regress{{write(1, 1, 0, 2), write(1, 2, 3, 8)},
                                 {read(1, 2, 4, 5), read(1, 1, 6, 7)}};
  EXPECT_FALSE(check_linearizable<register_spec>(regress).linearizable);
}

}  // namespace
