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

// Value word of a cell: bit 63 freezes the cell for migration; the rest is its state.
inline constexpr std::uint64_t frozen_bit = std::uint64_t{1} << 63;
inline constexpr std::uint64_t unpublished_word = 0;  // key claimed (or not), no value yet
inline constexpr std::uint64_t erased_word = 1;       // tombstone
inline constexpr std::uint64_t value_bias = 2;        // live value v is stored as v + 2
inline constexpr std::uint64_t max_value = frozen_bit - 1 - value_bias;

constexpr bool is_frozen(std::uint64_t word) noexcept {
  return (word & frozen_bit) != 0;
}
constexpr std::uint64_t without_frozen_bit(std::uint64_t word) noexcept {
  return word & ~frozen_bit;
}
constexpr bool is_live(std::uint64_t word) noexcept {
  return without_frozen_bit(word) >= value_bias;
}
constexpr std::uint64_t encode_value(std::uint64_t value) noexcept {
  return value + value_bias;
}
constexpr std::uint64_t decode_value(std::uint64_t word) noexcept {
  return without_frozen_bit(word) - value_bias;
}

// Key word: 0 is an unclaimed cell; any other value is the key, immutable once claimed.
inline constexpr std::uintptr_t no_key = 0;

// 16 bytes: four cells per cache line; key and value of one cell share a line.
struct alignas(16) cell {
  atomic<std::uintptr_t> key{no_key};
  atomic<std::uint64_t> value{unpublished_word};
};

// Operation counts of one table. One word per stripe so that every operation updates a single
// word:
//   low 32 bits: cells claimed by fresh keys (bounded by the capacity, so they never carry);
//   high 32 bits: live-key delta (inserts minus erases), exact modulo 2^32.
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

// Migration state of one chunk of cells.
struct chunk_state {
  atomic<std::int64_t> live_cells{-1};  // -1 until the chunk is frozen and counted
  atomic<bool> copied{false};
};

enum class table_phase : std::uint32_t { serving, freezing, copying };

struct table : reclaim::retired_node {
  // Immutable after creation (or, for base_live, before the table is published).
  std::size_t capacity = 0;  // cells, a power of two
  std::size_t mask = 0;
  std::size_t chunk_cells = 0;
  std::size_t chunk_count = 0;
  std::size_t grow_at = 0;             // used cells that start a migration
  std::uint64_t claim_check_mask = 0;  // a stripe checks the fill when its claims hit this mask
  // Live keys copied in by the migration that filled it; every helper stores the same exact
  // count before the table is published (relaxed: published by (sweep.P1)).
  atomic<std::int64_t> base_live{0};
  std::size_t bytes = 0;
  std::pmr::memory_resource* resource = nullptr;
  chunk_state* chunks = nullptr;
  cell* cells = nullptr;

  // Migration of this table into its successor.
  alignas(64) atomic<table_phase> phase{table_phase::serving};
  atomic<table*> next{nullptr};
  // Work-sharing hints, relaxed: a chunk claimed twice is only done twice (freezing and copying
  // are idempotent), and correctness rests on the per-chunk flags (map.F2, map.C2), not on the
  // cursors.
  atomic<std::size_t> freeze_cursor{0};
  atomic<std::size_t> copy_cursor{0};

  counter_stripe stripes[stripe_count];

  // nullptr when the resource cannot supply the memory.
  static table* create(std::size_t capacity, std::pmr::memory_resource* resource) noexcept;
  // A fresh, empty table in the memory of `used`, which nobody can reach any more. Saves the
  // allocator round trip (for tables this size, an mmap and a page fault per 4 KiB).
  static table* renew(table* used) noexcept;
  static void destroy(table* t) noexcept;

  // Sums of the stripes: exact when no operation runs, approximate otherwise.
  std::int64_t live_estimate() const noexcept;
  std::size_t used_estimate() const noexcept;
};

}  // namespace enlist::detail
