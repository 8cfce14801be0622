#include "enlist/detail/map_table.hpp"

#include <algorithm>
#include <new>

namespace enlist::detail {

namespace {

// One unit of migration work, which one insert does at a time: 256 cells (32 lines). Small
// tables get at least eight chunks, so that the scheduled tests interleave several helpers.
constexpr std::size_t max_chunk_cells = 256;
constexpr std::size_t min_chunks = 8;
constexpr std::size_t table_alignment = 64;

constexpr std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

}  // namespace

namespace {

struct layout {
  std::size_t chunk_cells, chunk_count, chunks_offset, cells_offset, bytes;
};

layout layout_for(std::size_t capacity) noexcept {
  layout l{};
  l.chunk_cells = std::clamp<std::size_t>(capacity / min_chunks, 1, max_chunk_cells);
  l.chunk_count = capacity / l.chunk_cells;
  l.chunks_offset = round_up(sizeof(table), alignof(chunk_state));
  l.cells_offset = round_up(l.chunks_offset + l.chunk_count * sizeof(chunk_state), table_alignment);
  l.bytes = l.cells_offset + capacity * sizeof(cell);
  return l;
}

table* construct(void* memory, std::size_t capacity, std::pmr::memory_resource* resource) noexcept {
  const layout l = layout_for(capacity);
  auto* base = static_cast<std::byte*>(memory);
  auto* t = new (base) table;
  t->capacity = capacity;
  t->mask = capacity - 1;
  t->chunk_cells = l.chunk_cells;
  t->chunk_count = l.chunk_count;
  t->grow_at = capacity / 4 * 3;
  // Stripes look at the fill every capacity/1024 claims (1..1024): the sum stays rare, and the
  // overshoot past grow_at stays small next to the quarter of the table that is kept free.
  t->claim_check_mask = std::clamp<std::size_t>(capacity / 1024, 1, 1024) - 1;
  t->bytes = l.bytes;
  t->resource = resource;
  // Cells and chunk states stay raw memory until prepare_chunk(): zeroing them all here would be
  // work proportional to the table in the one operation that starts a migration.
  t->chunks = reinterpret_cast<chunk_state*>(base + l.chunks_offset);
  t->cells = reinterpret_cast<cell*>(base + l.cells_offset);
  return t;
}

}  // namespace

table* table::create(std::size_t capacity, std::pmr::memory_resource* resource) noexcept {
  void* memory = nullptr;
  try {
    memory = resource->allocate(layout_for(capacity).bytes, table_alignment);
  } catch (...) {  // std::bad_alloc, or whatever a user's resource throws: no table, no change
    return nullptr;
  }
  return construct(memory, capacity, resource);
}

table* table::renew(table* used) noexcept {
  const std::size_t capacity = used->capacity;
  std::pmr::memory_resource* resource = used->resource;
  used->~table();
  return construct(used, capacity, resource);
}

void table::prepare_chunk(std::size_t chunk) noexcept {
  new (&chunks[chunk]) chunk_state;
  cell* const first = cells + chunk * chunk_cells;
  for (cell* c = first; c != first + chunk_cells; ++c)
    new (c) cell;
  initialised(first, chunk_cells * sizeof(cell));
}

void table::prepare_all() noexcept {
  for (std::size_t c = 0; c < chunk_count; ++c)
    prepare_chunk(c);
  prepare_cursor.store(chunk_count, std::memory_order_relaxed);
  prepared.store(chunk_count, std::memory_order_relaxed);
}

void table::destroy(table* t) noexcept {
  // Cells, chunk states and the header are trivially destructible atomics and integers.
  static_assert(std::is_trivially_destructible_v<cell>);
  static_assert(std::is_trivially_destructible_v<chunk_state>);
  std::pmr::memory_resource* resource = t->resource;
  const std::size_t bytes = t->bytes;
  t->~table();
  resource->deallocate(t, bytes, table_alignment);
}

std::int64_t table::live_estimate() const noexcept {
  std::uint32_t delta = 0;  // modulo 2^32, as the stripes count it
  for (const counter_stripe& s : stripes) {
    delta += static_cast<std::uint32_t>(s.word.load(std::memory_order_relaxed) >> 32);
  }
  return static_cast<std::int32_t>(delta);
}

std::size_t table::used_estimate() const noexcept {
  std::size_t claimed = 0;
  for (const counter_stripe& s : stripes) {
    claimed += static_cast<std::uint32_t>(s.word.load(std::memory_order_relaxed));
  }
  return claimed;
}

}  // namespace enlist::detail
