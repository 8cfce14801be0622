#pragma once
// One generation of concurrent_map's open-addressing table, and the encoding of its cells.
// concurrent_map.hpp explains the algorithm; this file is the layout.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory_resource>

#include "enlist/detail/atomic.hpp"
#include "enlist/reclaim/retired_list.hpp"

namespace enlist::detail {

// A cell is one 64-bit word: the key and its state change together, with one CAS.
//   bits 0-55   the key; 0 is an unclaimed cell. Once claimed, a cell's key never changes.
//   bits 56-61  the value (0..63)
//   bit 62      live: set while the key is present; clear in an erased key's cell (tombstone)
//   bit 63      frozen for migration: a frozen word never changes again
// Keys are addresses: user space ends below 2^56 on every platform enlist runs on (x86-64 with
// 5-level paging, AArch64 with 52-bit addresses), so the top byte is free for the state.
inline constexpr unsigned value_shift = 56;
inline constexpr std::uint64_t key_mask = (std::uint64_t{1} << value_shift) - 1;
inline constexpr std::uint64_t max_value = 63;
inline constexpr std::uint64_t live_bit = std::uint64_t{1} << 62;
inline constexpr std::uint64_t frozen_bit = std::uint64_t{1} << 63;
inline constexpr std::uint64_t unclaimed_word = 0;

// The key of an unclaimed cell.
inline constexpr std::uint64_t no_key = 0;
inline constexpr std::uint64_t max_key = key_mask;

constexpr std::uint64_t key_of(std::uint64_t word) noexcept {
  return word & key_mask;
}
constexpr bool is_frozen(std::uint64_t word) noexcept {
  return (word & frozen_bit) != 0;
}
constexpr std::uint64_t without_frozen_bit(std::uint64_t word) noexcept {
  return word & ~frozen_bit;
}
constexpr bool is_live(std::uint64_t word) noexcept {
  return (word & live_bit) != 0;
}
constexpr std::uint64_t live_word(std::uint64_t key, std::uint64_t value) noexcept {
  return key | (value << value_shift) | live_bit;
}
// What an erase leaves: the key keeps its cell, and a re-insert of it revives the cell.
constexpr std::uint64_t erased_word(std::uint64_t key) noexcept {
  return key;
}
constexpr std::uint64_t value_of(std::uint64_t word) noexcept {
  return (word >> value_shift) & max_value;
}

// 8 bytes: eight cells per cache line.
struct cell {
  atomic<std::uint64_t> word{unclaimed_word};
};

// Operation counts of one table. One word per stripe so that every operation updates a single
// word:
//   low 32 bits: cells claimed, by fresh keys or copies (bounded by the capacity, so they never
//                carry);
//   high 32 bits: live-key delta (inserts and copies in, minus erases and copies out), exact
//                modulo 2^32.
// The first exclusive_stripes threads (by record index, unique among live threads) each own a
// stripe and update it with a plain load and store: one writer cannot lose its own updates, and
// readers only sum. Further threads share the remaining stripes through fetch_add.
struct alignas(64) counter_stripe {
  atomic<std::uint64_t> word{0};
};
inline constexpr std::size_t exclusive_stripes = 64;
inline constexpr std::size_t shared_stripes = 16;
inline constexpr std::size_t stripe_count = exclusive_stripes + shared_stripes;
inline constexpr std::uint64_t claim_unit = 1;
inline constexpr std::uint64_t live_unit = std::uint64_t{1} << 32;

// Migration state of one chunk of cells: set once its cells are frozen and its live keys copied.
struct chunk_state {
  atomic<bool> copied{false};
};

struct table : reclaim::retired_node {
  // Immutable after creation.
  std::size_t capacity = 0;  // cells, a power of two
  std::size_t mask = 0;
  std::size_t chunk_cells = 0;
  std::size_t chunk_count = 0;
  std::size_t grow_at = 0;             // used cells that start a migration
  std::uint64_t claim_check_mask = 0;  // a stripe checks the fill when its claims hit this mask
  std::size_t bytes = 0;
  std::pmr::memory_resource* resource = nullptr;
  chunk_state* chunks = nullptr;
  cell* cells = nullptr;

  // The successor this table migrates into, set when the migration starts: its address, with
  // bit 0 set while its cells are still being zeroed (see successor_being_prepared). Every insert
  // reads it, so it has a line of its own, apart from the helpers' counters below.
  alignas(64) atomic<std::uintptr_t> next_word{0};
  // Migration progress. cursor hands out chunks to freeze and copy (relaxed: a hint; a chunk
  // done twice is only done twice, since freezing and copying are idempotent); done counts chunks
  // whose flag its helper set (map.C1), and the helper that completes the count publishes the
  // successor.
  alignas(64) atomic<std::size_t> cursor{0};
  atomic<std::size_t> done{0};
  // This table's own preparation, while it is an unprepared successor: prepare_cursor hands out
  // chunks to zero, each exactly once (relaxed: the ticket is all it decides); prepared counts
  // them (release, so that whoever counts the last has every zeroed chunk visible: map.Z1).
  atomic<std::size_t> prepare_cursor{0};
  atomic<std::size_t> prepared{0};

  counter_stripe stripes[stripe_count];

  // A table whose cells and chunk states are not initialised yet: prepare_chunk() each chunk, or
  // prepare_all(), before anyone reads them. nullptr when the resource cannot supply the memory.
  static table* create(std::size_t capacity, std::pmr::memory_resource* resource) noexcept;
  // The same in the memory of `used`, which nobody can reach any more. Saves the allocator round
  // trip (for tables this size, an mmap and a page fault per 4 KiB).
  static table* renew(table* used) noexcept;
  static void destroy(table* t) noexcept;
  // Zeroes the cells of one chunk and its migration state: plain stores, made visible by whoever
  // publishes the table.
  void prepare_chunk(std::size_t chunk) noexcept;
  void prepare_all() noexcept;

  static constexpr std::uintptr_t unprepared_bit = 1;
  // The successor once it is prepared; nullptr before a migration starts and while its successor
  // is still being zeroed (no key can be in it then). (map.N1) acquire, with map.N2 and map.Z1:
  // the successor's zeroed cells and everything copied before a frozen cell was seen.
  table* successor() const noexcept {
    const std::uintptr_t word = next_word.load(std::memory_order_acquire);  // (map.N1)
    return (word & unprepared_bit) != 0 ? nullptr : reinterpret_cast<table*>(word);
  }
  // Whether a migration has started (its successor prepared or not); relaxed: a hint for
  // whether to help, which reads the word again with acquire.
  bool migrating() const noexcept { return next_word.load(std::memory_order_relaxed) != 0; }

  // Sums of the stripes: exact when no operation runs, approximate otherwise. A copy moves a key's
  // count from the old table's stripes to the successor's.
  std::int64_t live_estimate() const noexcept;
  std::size_t used_estimate() const noexcept;
};

}  // namespace enlist::detail
