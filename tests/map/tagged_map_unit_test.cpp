// Sequential behaviour of tagged_map: each operation's contract, slot reuse, overflow into later
// groups and back, a full table, and random operation sequences checked against
// std::unordered_map under hashes that crowd keys into few groups and few tags.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory_resource>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "enlist/tagged_map.hpp"
#include "support/counting_resource.hpp"
#include "support/keys.hpp"
#include "support/scale.hpp"
#include "support/tagged_map_hashes.hpp"

namespace {

using enlist::map_status;
using enlist::tagged_map;
using enlist::test::address;
using enlist::test::few_tags_hash;
using enlist::test::one_home_hash;
using enlist::test::value_for;

TEST(TaggedMap, FindReturnsTheValueInsertedWithTheKey) {
  tagged_map<> map(100);
  ASSERT_EQ(map.insert(address(1), 7), map_status::ok);
  const auto found = map.find(address(1));
  ASSERT_TRUE(found);
  EXPECT_EQ(found.value, 7u);
  EXPECT_EQ(map.find(address(2)).status, map_status::not_found);
}

TEST(TaggedMap, SecondInsertOfAKeyAnswersExistsAndKeepsTheFirstValue) {
  tagged_map<> map(100);
  ASSERT_EQ(map.insert(address(1), 1), map_status::ok);
  EXPECT_EQ(map.insert(address(1), 2), map_status::exists);
  EXPECT_EQ(map.find(address(1)).value, 1u);
  EXPECT_EQ(map.stats().live, 1u);
}

TEST(TaggedMap, EraseHandsBackTheValueExactlyOnce) {
  tagged_map<> map(100);
  static_cast<void>(map.insert(address(1), 42));
  const auto erased = map.erase(address(1));
  ASSERT_TRUE(erased);
  EXPECT_EQ(erased.value, 42u);
  EXPECT_EQ(map.erase(address(1)).status, map_status::not_found);
  EXPECT_EQ(map.find(address(1)).status, map_status::not_found);
  EXPECT_EQ(map.stats().live, 0u);
}

TEST(TaggedMap, RefusesKeysAndValuesItCannotHold) {
  tagged_map<> map(100);
  EXPECT_EQ(map.insert(0, 1), map_status::invalid_key);
  EXPECT_EQ(map.insert(tagged_map<>::max_key + 1, 1), map_status::invalid_key);
  EXPECT_EQ(map.insert(address(1), tagged_map<>::max_value + 1), map_status::invalid_value);
  EXPECT_EQ(map.find(0).status, map_status::invalid_key);
  EXPECT_EQ(map.erase(tagged_map<>::max_key + 1).status, map_status::invalid_key);
  EXPECT_EQ(map.stats().live, 0u);
  ASSERT_EQ(map.insert(tagged_map<>::max_key, tagged_map<>::max_value), map_status::ok);
  EXPECT_EQ(map.find(tagged_map<>::max_key).value, tagged_map<>::max_value);
}

TEST(TaggedMap, ConstructorRejectsWhatItCannotServe) {
  EXPECT_THROW(tagged_map<>(tagged_map<>::max_expected_keys + 1), std::length_error);
  EXPECT_THROW(tagged_map<>(10, nullptr), std::invalid_argument);
  tagged_map<> smallest(0);
  EXPECT_EQ(smallest.stats().groups, 1u);
}

TEST(TaggedMap, OnAbsentRunsOnceForAnAbsentKeyAndMayDecline) {
  tagged_map<> map(100);
  int calls = 0;
  ASSERT_EQ(map.insert(address(1), 1, [&]() noexcept { ++calls; }), map_status::ok);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(map.insert(address(1), 1, [&]() noexcept { ++calls; }), map_status::exists);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(map.insert(address(2), 1, []() noexcept { return false; }), map_status::refused);
  EXPECT_EQ(map.find(address(2)).status, map_status::not_found);
  EXPECT_EQ(map.stats().pending, 0u);
}

TEST(TaggedMap, TheTableComesFromTheResourceGivenAndGoesBackToIt) {
  enlist::test::counting_resource counting;
  {
    tagged_map<> map(10'000, &counting);
    EXPECT_EQ(counting.outstanding_bytes(), map.stats().table_bytes);
    // About 20 bytes a key at the size asked for (load 0.45 of 7 slots in 64 bytes).
    EXPECT_LE(map.stats().table_bytes, 10'000u * 21);
    for (std::uint64_t i = 0; i < 10'000; ++i)
      ASSERT_EQ(map.insert(address(i), 1), map_status::ok);
    EXPECT_EQ(counting.allocations(), 1u) << "operations never allocate";
  }
  EXPECT_EQ(counting.outstanding_bytes(), 0u);
}

TEST(TaggedMap, AReturningKeyTakesBackTheSlotItsTagStillMarks) {
  tagged_map<> map(100);
  for (int round = 0; round < 1000; ++round) {
    ASSERT_EQ(map.insert(address(5), value_for(round)), map_status::ok);
    ASSERT_EQ(map.erase(address(5)).value, value_for(round));
  }
  const auto s = map.stats();
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.overflowing, 0u);
}

// One home group for every key: the eighth key and later ones overflow into the next groups,
// and erasing them brings every overflow count back to zero.
TEST(TaggedMap, KeysOverflowIntoLaterGroupsAndTheCountsReturnToZero) {
  tagged_map<one_home_hash> map(40);  // 13 groups
  for (std::uint64_t i = 0; i < 40; ++i)
    ASSERT_EQ(map.insert(address(i), value_for(i)), map_status::ok) << i;
  auto s = map.stats();
  EXPECT_EQ(s.live, 40u);
  EXPECT_EQ(s.displaced, 33u);
  EXPECT_EQ(s.max_distance, 5u);
  for (std::uint64_t i = 0; i < 40; ++i)
    ASSERT_EQ(map.find(address(i)).value, value_for(i));
  EXPECT_EQ(map.find(address(99)).status, map_status::not_found);
  for (std::uint64_t i = 0; i < 40; i += 2)
    ASSERT_TRUE(map.erase(address(i)));
  for (std::uint64_t i = 1; i < 40; i += 2)
    ASSERT_EQ(map.find(address(i)).value, value_for(i));
  for (std::uint64_t i = 1; i < 40; i += 2)
    ASSERT_TRUE(map.erase(address(i)));
  s = map.stats();
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.overflowing, 0u);
}

TEST(TaggedMap, AFullTableAnswersOutOfMemoryAndChangesNothing) {
  tagged_map<> map(6);  // 2 groups, 14 slots
  ASSERT_EQ(map.stats().capacity, 14u);
  for (std::uint64_t i = 0; i < 14; ++i)
    ASSERT_EQ(map.insert(address(i), 1), map_status::ok);
  EXPECT_EQ(map.insert(address(14), 1), map_status::out_of_memory);
  EXPECT_EQ(map.insert(address(3), 1), map_status::exists);
  EXPECT_EQ(map.find(address(14)).status, map_status::not_found);
  ASSERT_TRUE(map.erase(address(3)));
  EXPECT_EQ(map.insert(address(14), 1), map_status::ok);
  const auto s = map.stats();
  EXPECT_EQ(s.live, 14u);
  EXPECT_EQ(s.pending, 0u);
}

// Random sequences against a sequential model, with hashes that make every path common:
// tags shared by many keys, and every key's probe starting at the same group.
template <class Hash>
void check_against_model(std::uint64_t seed, std::size_t operations) {
  tagged_map<Hash> map(120);
  std::unordered_map<std::uintptr_t, std::uint64_t> model;
  std::mt19937_64 random(seed);
  for (std::size_t n = 0; n < operations; ++n) {
    const std::uint64_t i = random() % 200;
    const std::uintptr_t key = address(i);
    const std::uint64_t value = random() % 64;
    switch (random() % 3) {
      case 0: {
        const map_status s = map.insert(key, value);
        if (model.contains(key)) {
          ASSERT_EQ(s, map_status::exists);
        } else if (s == map_status::ok) {
          model[key] = value;
        } else {
          ASSERT_EQ(s, map_status::out_of_memory);
          ASSERT_EQ(model.size(), map.stats().capacity);
        }
        break;
      }
      case 1: {
        const auto r = map.erase(key);
        const auto it = model.find(key);
        ASSERT_EQ(static_cast<bool>(r), it != model.end());
        if (it != model.end()) {
          ASSERT_EQ(r.value, it->second);
          model.erase(it);
        }
        break;
      }
      default: {
        const auto r = map.find(key);
        const auto it = model.find(key);
        ASSERT_EQ(static_cast<bool>(r), it != model.end());
        if (it != model.end()) {
          ASSERT_EQ(r.value, it->second);
        }
      }
    }
  }
  const auto s = map.stats();
  EXPECT_EQ(s.live, model.size());
  EXPECT_EQ(s.pending, 0u);
}

TEST(TaggedMap, RandomSequencesMatchAModel) {
  const std::size_t operations = enlist::test::scaled(200'000, 20);
  check_against_model<enlist::address_hash>(1, operations);
  check_against_model<few_tags_hash>(2, operations);
  check_against_model<one_home_hash>(3, operations / 4);
}

}  // namespace
