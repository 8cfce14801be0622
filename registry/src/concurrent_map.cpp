// concurrent_map's slow paths: starting, helping and publishing migrations, housekeeping and
// statistics. The algorithm and the memory-ordering argument are in concurrent_map.hpp; the tags
// (map.F1), (map.C1)... below refer to it.

#include "enlist/concurrent_map.hpp"

#include "enlist/detail/planted_bug.hpp"

#include <algorithm>
#include <bit>
#include <new>
#include <stdexcept>

namespace enlist {

namespace {

using detail::cell;
using detail::table;
using detail::table_phase;

// Up to 2^20 cells (8 MiB) a table is sized at most a third full: short probes for misses
// (eight cells a line: a miss reads one line), and churn runs more than twice as long between
// migrations as at half full, while a table stays within 48 bytes per key (the power of two
// rounds up to less than twice the third). Above that, memory per key matters more: half full.
constexpr std::size_t third_full_limit = std::size_t{1} << 20;

std::size_t target_capacity(std::int64_t live) noexcept {
  const auto keys = static_cast<std::size_t>(std::max<std::int64_t>(live, 0));
  const std::size_t third_full = std::bit_ceil(3 * keys + 3);
  if (third_full <= third_full_limit) {
    return std::max(concurrent_map::min_capacity, third_full);
  }
  return std::bit_ceil(2 * keys + 2);
}

// The constructor's hint as the signed count the sizing works with, refused when absurd.
std::int64_t checked_hint(std::size_t expected_keys) {
  if (expected_keys > concurrent_map::max_expected_keys) {
    throw std::length_error("enlist::concurrent_map: expected_keys beyond what a table can index");
  }
  return static_cast<std::int64_t>(expected_keys);
}

// A successor fits when the live keys leave it below its own migration threshold.
bool fits(std::int64_t live, const table& successor) noexcept {
  return static_cast<std::size_t>(live) < successor.grow_at;
}

void freeze_chunk(table& t, std::size_t chunk) noexcept {
  std::int64_t live = 0;
  cell* const first = t.cells + chunk * t.chunk_cells;
  for (cell* c = first; c != first + t.chunk_cells; ++c) {
    const std::uint64_t word =
        detail::planted(detail::planted_bug::freeze_skipped)
            ? c->word.load(std::memory_order_acquire)
            : c->word.fetch_or(detail::frozen_bit,
                               std::memory_order_release);  // (map.F1) with map.C1
    live += detail::is_live(word) ? 1 : 0;
  }
  std::int64_t unknown = -1;
  t.chunks[chunk].live_cells.compare_exchange_strong(unknown, live, std::memory_order_release,
                                                     std::memory_order_relaxed);  // (map.F2)
}

// Freezes every chunk (sharing the work through the cursor, then finishing whatever another
// helper left half done) and returns the exact number of live keys in t.
std::int64_t freeze_all(table& t) noexcept {
  for (std::size_t c;
       (c = t.freeze_cursor.fetch_add(1, std::memory_order_relaxed)) < t.chunk_count;) {
    freeze_chunk(t, c);
  }
  std::int64_t live = 0;
  for (std::size_t c = 0; c < t.chunk_count; ++c) {
    std::int64_t chunk_live = t.chunks[c].live_cells.load(std::memory_order_acquire);  // (map.F2)
    if (chunk_live < 0) {
      freeze_chunk(t, c);
      chunk_live = t.chunks[c].live_cells.load(std::memory_order_acquire);
    }
    live += chunk_live;
  }
  return live;
}

// Places a live word in the unpublished successor: a CAS from "unclaimed" into the first cell of
// the key's probe that is unclaimed or already holds the key. A helper running late finds the
// key's cell (the copy it lost to) and changes nothing, so it cannot overwrite what operations
// did after publication (map.I3).
void place(table& successor, std::uint64_t word) noexcept {
  const std::uint64_t key = detail::key_of(word);
  std::size_t i = address_hash{}(static_cast<std::uintptr_t>(key)) & successor.mask;
  for (std::size_t n = 0; n < successor.capacity; ++n, i = (i + 1) & successor.mask) {
    cell& c = successor.cells[i];
    std::uint64_t found = c.word.load(std::memory_order_relaxed);
    if (found == detail::unclaimed_word &&
        c.word.compare_exchange_strong(found, word, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {  // (map.C3) with map.P1
      return;
    }
    // Lost the cell to another copier, or it was claimed before: the key's own, or the next.
    if (detail::key_of(found) == key) {
      if (detail::planted(detail::planted_bug::late_copy_overwrites)) {
        c.word.store(word, std::memory_order_relaxed);
      }
      return;
    }
    // An unclaimed frozen word: the successor was published and is migrating in its turn, so
    // this copy is late. Its key's cell would have come first (map.I1), so this is not reached;
    // going on could claim a cell of a table being frozen, so stop.
    if (detail::key_of(found) == detail::no_key) return;
  }
  // Unreachable: fits() left a quarter of the successor unclaimed (map.I4).
}

void copy_chunk(table& t, table& successor, std::size_t chunk) noexcept {
  const cell* const first = t.cells + chunk * t.chunk_cells;
  for (const cell* c = first; c != first + t.chunk_cells; ++c) {
    const std::uint64_t word = c->word.load(std::memory_order_acquire);  // (map.C1) with map.F1
    if (detail::is_live(word)) place(successor, detail::without_frozen_bit(word));
  }
  t.chunks[chunk].copied.store(true, std::memory_order_release);  // (map.C2)
}

void copy_all(table& t, table& successor) noexcept {
  for (std::size_t c;
       (c = t.copy_cursor.fetch_add(1, std::memory_order_relaxed)) < t.chunk_count;) {
    copy_chunk(t, successor, c);
  }
  if (detail::planted(detail::planted_bug::copy_unverified)) return;
  for (std::size_t c = 0; c < t.chunk_count; ++c) {
    if (!t.chunks[c].copied.load(std::memory_order_acquire))
      copy_chunk(t, successor, c);  // (map.C2)
  }
}

}  // namespace

namespace {

// The resource is shared by every thread that migrates or reclaims. The standard library's two
// resources that are not thread-safe would corrupt the heap silently; refuse them up front.
std::pmr::memory_resource* checked_resource(std::pmr::memory_resource* resource) {
  if (resource == nullptr) throw std::invalid_argument("enlist: the memory resource is null");
  if (dynamic_cast<std::pmr::unsynchronized_pool_resource*>(resource) != nullptr ||
      dynamic_cast<std::pmr::monotonic_buffer_resource*>(resource) != nullptr) {
    throw std::invalid_argument(
        "enlist: the memory resource must be thread-safe (any thread may allocate or free a "
        "table); unsynchronized_pool_resource and monotonic_buffer_resource are not");
  }
  return resource;
}

}  // namespace

concurrent_map::concurrent_map(std::size_t expected_keys, std::pmr::memory_resource* resource)
    : resource_(checked_resource(resource)),
      floor_capacity_(target_capacity(checked_hint(expected_keys))),
      current_(table::create(floor_capacity_, resource)) {
  if (current_.load(std::memory_order_relaxed) == nullptr) throw std::bad_alloc();
}

concurrent_map::~concurrent_map() {
  // Quiescent by contract: no thread can reach any of these tables any more.
  table* current = current_.load(std::memory_order_acquire);
  // A migration that could not get a large enough successor leaves one unpublished in `next`.
  if (table* successor = current->next.load(std::memory_order_acquire)) table::destroy(successor);
  table::destroy(current);
  retired_.drain([](reclaim::retired_node* n) { table::destroy(static_cast<table*>(n)); });
  if (table* spare = spare_.load(std::memory_order_acquire)) table::destroy(spare);
}

std::size_t concurrent_map::capacity_for(std::int64_t live) const noexcept {
  return std::max(floor_capacity_, target_capacity(live));
}

void concurrent_map::free_retired(reclaim::retired_node* node) noexcept {
  table* t = static_cast<table*>(node);
  table* empty = nullptr;
  // acq_rel: whoever takes the spare sees every write to it made before it was stashed.
  if (spare_.compare_exchange_strong(empty, t, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
    return;  // still counted in retired_bytes_ until it is reused or freed
  }
  retired_bytes_.fetch_sub(t->bytes, std::memory_order_relaxed);
  table::destroy(t);
}

void concurrent_map::discard_unpublished(table* t) noexcept {
  // Never published, so nobody else can hold it: it may become the spare at once.
  retired_bytes_.fetch_add(t->bytes, std::memory_order_relaxed);
  free_retired(t);
}

table* concurrent_map::make_table(std::size_t capacity) noexcept {
  table* spare = spare_.exchange(nullptr, std::memory_order_acq_rel);
  if (spare != nullptr) {
    retired_bytes_.fetch_sub(spare->bytes, std::memory_order_relaxed);
    if (spare->capacity == capacity) return table::renew(spare);
    table::destroy(spare);
  }
  return table::create(capacity, resource_);
}

std::int64_t concurrent_map::live_for_sizing(const table& t) noexcept {
  // A thread preempted half way through the sum can be off by all the churn in between; no
  // table holds more live keys than cells, and none fewer than zero.
  return std::clamp<std::int64_t>(t.live_estimate(), 0, static_cast<std::int64_t>(t.capacity));
}

void concurrent_map::check_fill(table& t) noexcept {
  if (t.used_estimate() < t.grow_at) return;
  if (start_migration(t, capacity_for(live_for_sizing(t)))) finish_migration(t);
  // When the successor cannot be allocated, t keeps serving; the next check tries again.
}

void concurrent_map::housekeeping(table& t, std::uint32_t operations) noexcept {
  // Reclaiming costs a scan of every thread's record (and, when something is freeable, a
  // process-wide barrier), so a thread tries it once in 64 housekeeping passes; each insert
  // that finishes a migration tries it too.
  if (retired_.pending() && ((operations >> 8) & 63) == 0) free_unreachable();
  shrink_if_oversized(t);
}

void concurrent_map::shrink_if_oversized(table& t) noexcept {
  // Shrink once the table is four times the size the live keys call for. The estimate must say
  // so twice: one sum torn by a preemption would otherwise start a migration for nothing.
  const auto too_large = [&](std::int64_t live) {
    return t.capacity > floor_capacity_ && 4 * capacity_for(live) <= t.capacity;
  };
  if (too_large(live_for_sizing(t))) {
    const std::int64_t live = live_for_sizing(t);
    if (too_large(live) && start_migration(t, capacity_for(live))) finish_migration(t);
  }
}

map_status concurrent_map::migrate_for_room(table& t) noexcept {
  // Wrapped around without a free cell: the fill check lagged behind a burst of claims.
  if (!start_migration(t, capacity_for(live_for_sizing(t)))) return map_status::out_of_memory;
  return finish_migration(t);
}

map_status concurrent_map::finish_migration(table& t) noexcept {
  const map_status helped = help_migrate(t);
  // Whoever published the successor (perhaps an erase, which never reclaims) retired t.
  if (retired_.pending()) free_unreachable();
  return helped;
}

bool concurrent_map::start_migration(table& t, std::size_t capacity) noexcept {
  if (t.phase.load(std::memory_order_acquire) != table_phase::serving) return true;
  if (t.next.load(std::memory_order_acquire) == nullptr) {
    table* successor = make_table(capacity);
    // A racing starter may have installed one while this allocation failed.
    if (successor == nullptr && t.next.load(std::memory_order_acquire) == nullptr) return false;
    table* none = nullptr;
    // Release publishes the successor's initialised cells to helpers that acquire `next`.
    if (successor != nullptr &&
        !t.next.compare_exchange_strong(none, successor, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
      discard_unpublished(successor);
    }
  }
  table_phase serving = table_phase::serving;
  t.phase.compare_exchange_strong(serving, table_phase::freezing, std::memory_order_acq_rel,
                                  std::memory_order_acquire);
  return true;
}

map_status concurrent_map::help_migrate(table& t) noexcept {
  for (;;) {
    switch (t.phase.load(std::memory_order_acquire)) {
      case table_phase::serving:
        return map_status::ok;
      case table_phase::freezing: {
        const std::int64_t live = freeze_all(t);
        table* successor = t.next.load(std::memory_order_acquire);
        if (!fits(live, *successor)) {
          // The estimate that sized it was stale: replace it by one sized on the exact count.
          table* larger = make_table(capacity_for(live));
          if (larger == nullptr) {
            // Another helper may have replaced it meanwhile; otherwise t stays frozen until an
            // allocation succeeds (finds keep working; inserts and erases report it).
            if (t.next.load(std::memory_order_acquire) != successor) continue;
            return map_status::out_of_memory;
          }
          if (t.next.compare_exchange_strong(successor, larger, std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
            retire(successor);  // other helpers may still be looking at its size
          } else {
            discard_unpublished(larger);
          }
          continue;
        }
        successor->base_live.store(live, std::memory_order_relaxed);
        table_phase freezing = table_phase::freezing;
        t.phase.compare_exchange_strong(freezing, table_phase::copying, std::memory_order_acq_rel,
                                        std::memory_order_acquire);
        continue;
      }
      case table_phase::copying: {
        table* successor = t.next.load(std::memory_order_acquire);
        copy_all(t, *successor);
        table* expected = &t;
        // Release publishes the successor's copies; nothing read here needs acquire: the
        // winner retires t, which it already holds, and a loser reads nothing from the CAS.
        if (current_.compare_exchange_strong(expected, successor, std::memory_order_release,
                                             std::memory_order_relaxed)) {  // (map.P1) with map.M1
          migrations_.fetch_add(1, std::memory_order_relaxed);
          retire(&t);
        }
        return map_status::ok;
      }
    }
  }
}

void concurrent_map::retire(table* t) noexcept {
  reclaim::epoch_domain& domain = reclaim::epoch_domain::global();
  retired_bytes_.fetch_add(t->bytes, std::memory_order_relaxed);
  retired_.retire(domain, t);  // freed by an insert or reclaim(), never by an erase
}

void concurrent_map::free_unreachable() noexcept {
  retired_.reclaim(reclaim::epoch_domain::global(),
                   [this](reclaim::retired_node* n) { free_retired(n); });
}

void concurrent_map::reclaim() noexcept {
  {
    const reclaim::epoch_guard guard;
    shrink_if_oversized(*load_current());
  }
  // Outside the guard: this thread holds back nothing it retired.
  free_unreachable();
}

std::size_t concurrent_map::size() const noexcept {
  const reclaim::epoch_guard guard;
  return static_cast<std::size_t>(std::max<std::int64_t>(load_current()->live_estimate(), 0));
}

map_stats concurrent_map::stats() const noexcept {
  const reclaim::epoch_guard guard;
  const table& t = *load_current();
  map_stats s;
  s.capacity = t.capacity;
  s.table_bytes = t.bytes;
  s.migrations = migrations_.load(std::memory_order_relaxed);
  std::size_t hit_probes = 0;
  for (std::size_t i = 0; i < t.capacity; ++i) {
    const std::uint64_t word = t.cells[i].word.load(std::memory_order_relaxed);
    const std::uint64_t key = detail::key_of(word);
    if (key == detail::no_key) continue;
    ++s.used_cells;
    if (!detail::is_live(word)) continue;
    ++s.live;
    const std::size_t probe = ((i - address_hash{}(static_cast<std::uintptr_t>(key))) & t.mask) + 1;
    hit_probes += probe;
    s.max_probe = std::max(s.max_probe, probe);
  }
  // A miss starting at i inspects the run of claimed cells from i up to an unclaimed one.
  std::size_t miss_probes = 0;
  if (s.used_cells < t.capacity) {
    std::size_t start = 0;  // an unclaimed cell, so runs never wrap past it
    while (start < t.capacity &&
           detail::key_of(t.cells[start].word.load(std::memory_order_relaxed)) != detail::no_key) {
      ++start;  // bounded: cells may have been claimed since they were counted
    }
    std::size_t run = 0;
    if (start == t.capacity) start = 0;  // no unclaimed cell left: runs are then approximate
    for (std::size_t n = 0; n < t.capacity; ++n) {
      const std::size_t i = (start + t.capacity - n) & t.mask;  // walk backwards from start
      run = detail::key_of(t.cells[i].word.load(std::memory_order_relaxed)) == detail::no_key
                ? 0
                : run + 1;
      miss_probes += run + 1;
    }
  } else {
    miss_probes = t.capacity * t.capacity;
  }
  s.mean_hit_probe =
      s.live == 0 ? 0 : static_cast<double>(hit_probes) / static_cast<double>(s.live);
  s.mean_miss_probe = static_cast<double>(miss_probes) / static_cast<double>(t.capacity);
  s.retired_bytes = retired_bytes_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace enlist
