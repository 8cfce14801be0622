#pragma once
// "limit": a proxy for the physical limit of a shared table keyed by address, not a usable map.
// A direct-mapped array of atomic words, one word per key at hash(key) & mask, no probing:
//   insert  one CAS of the word, 0 -> key | value;
//   erase   one CAS, key | value -> 0 (after one load to learn the value bits);
//   find    one load.
// No growth, no migration, no reclamation, no counters. Sized at 8 words per expected key
// (64 bytes per session). Two keys that map to one word collide: the second insert fails, and a
// find of it misses. Such an operation still costs what it would have cost (a failed CAS costs
// what a successful one does), so the throughput is the bound this backend stands for, and its
// `failures` counter shows the collisions (about 1 in 8 of the inserts of a key while N others
// are live) instead of a defect. A word is a key below 2^56 with its value (low 6 bits, enough for
// a role) above it, as in enlist's cells: keys of any alignment (map_churn's are 16 bytes apart)
// come back exactly, so an erase never misses a key its insert stored.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "enlist/hash.hpp"

namespace enlist::bench {

class limit_map {
 public:
  static constexpr std::string_view name = "limit";
  static constexpr unsigned value_shift = 56;
  static constexpr std::uintptr_t key_mask = (std::uintptr_t{1} << value_shift) - 1;
  static constexpr std::uint64_t value_mask = 63;

  explicit limit_map(std::size_t expected)
      : mask_(std::bit_ceil(expected < 8 ? std::size_t{64} : expected * 8) - 1),
        words_(new std::atomic<std::uintptr_t>[mask_ + 1]) {
    for (std::size_t i = 0; i <= mask_; ++i)
      words_[i].store(0, std::memory_order_relaxed);
  }

  bool insert(std::uintptr_t key, std::uint64_t value) noexcept {
    std::uintptr_t expected = 0;
    return word_of(key).compare_exchange_strong(
        expected, key | ((value & value_mask) << value_shift), std::memory_order_release,
        std::memory_order_relaxed);
  }
  std::optional<std::uint64_t> find(std::uintptr_t key) const noexcept {
    const std::uintptr_t w = word_of(key).load(std::memory_order_acquire);
    if ((w & key_mask) != key) return std::nullopt;
    return w >> value_shift;
  }
  bool erase(std::uintptr_t key) noexcept {
    std::atomic<std::uintptr_t>& word = word_of(key);
    std::uintptr_t w = word.load(std::memory_order_relaxed);
    if ((w & key_mask) != key) return false;
    return word.compare_exchange_strong(w, 0, std::memory_order_acq_rel, std::memory_order_relaxed);
  }
  static void attach_thread() noexcept {}
  static void quiesce() noexcept {}

 private:
  std::atomic<std::uintptr_t>& word_of(std::uintptr_t key) const noexcept {
    return words_[address_hash{}(key)&mask_];
  }

  const std::size_t mask_;
  std::unique_ptr<std::atomic<std::uintptr_t>[]> words_;
};

}  // namespace enlist::bench
