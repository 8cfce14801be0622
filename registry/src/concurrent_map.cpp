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

// The constructor's table, ready to serve; nullptr when it cannot be allocated.
table* first_table(std::size_t capacity, std::pmr::memory_resource* resource) noexcept {
  table* t = table::create(capacity, resource);
  if (t != nullptr) t->prepare_all();
  return t;
}

// The constructor's hint as the signed count the sizing works with, refused when absurd.
std::int64_t checked_hint(std::size_t expected_keys) {
  if (expected_keys > concurrent_map::max_expected_keys) {
    throw std::length_error("enlist::concurrent_map: expected_keys beyond what a table can index");
  }
  return static_cast<std::int64_t>(expected_keys);
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
      current_(first_table(floor_capacity_, resource)) {
  if (current_.load(std::memory_order_relaxed) == nullptr) throw std::bad_alloc();
}

concurrent_map::~concurrent_map() {
  // Quiescent by contract: no thread can reach any of these tables any more.
  // Migrations still running leave their successors, prepared or not, in `next_word`.
  for (table* t = current_.load(std::memory_order_acquire); t != nullptr;) {
    table* const successor = reinterpret_cast<table*>(t->next_word.load(std::memory_order_acquire) &
                                                      ~table::unprepared_bit);
    table::destroy(t);
    t = successor;
  }
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

void concurrent_map::check_fill(table& t) noexcept {
  if (t.used_estimate() < t.grow_at) return;
  // Inserts move the migration on from the next one (this one's included, after this call).
  // When the successor cannot be allocated, t keeps serving; the next check tries again.
  start_migration(t, successor_capacity(t));
}

void concurrent_map::housekeeping(table& t, reclaim::thread_record& record) noexcept {
  // Reclaiming costs a scan of every thread's record (and, when something is freeable, a
  // process-wide barrier), so a thread tries it once in 64 housekeeping passes.
  if (retired_.pending() && ((record.operations >> 8) & 63) == 0) free_unreachable();
  shrink_if_oversized(t, record, false);
}

void concurrent_map::shrink_if_oversized(table& t, reclaim::thread_record& record,
                                         bool finish) noexcept {
  if (t.migrating() || load_current() != &t) return;
  // Shrink once the table is four times the size the live keys call for. The estimate must say
  // so twice: one sum torn by a preemption would otherwise start a migration for nothing.
  const auto too_large = [&](std::int64_t live) {
    return t.capacity > floor_capacity_ && 4 * capacity_for(live) <= t.capacity;
  };
  if (!too_large(live_for_sizing()) || !too_large(live_for_sizing())) return;
  // Inserts move it on from the next one; reclaim() finishes it at once.
  if (start_migration(t, successor_capacity(t)) && finish) finish_migrations(record);
}

std::int64_t concurrent_map::live_for_sizing() const noexcept {
  if (detail::forced(detail::worst_case::successor_sized_for_no_keys)) return 0;
  std::int64_t live = 0;
  std::size_t cells = 0;
  for (const table* t = load_current(); t != nullptr; t = t->successor()) {  // (map.N1)
    live += t->live_estimate();
    cells += t->capacity;
  }
  // A thread preempted half way through a sum can be off by all the churn in between; no chain
  // holds more live keys than cells, and none fewer than zero.
  return std::clamp<std::int64_t>(live, 0, static_cast<std::int64_t>(cells));
}

std::size_t concurrent_map::successor_capacity(const table& t) const noexcept {
  // Room for the live keys and for up to one more per chunk: every insert that runs during the
  // migration moves it on by a chunk, so about that many can come in meanwhile (no more than
  // there are keys, so that a table emptied by a burst of erases shrinks back to the minimum).
  // A table that fills up before its predecessor has finished migrating (its own migration then
  // runs in the chain behind that one) gets at least twice its size.
  const std::int64_t live = live_for_sizing();
  const std::size_t capacity =
      capacity_for(live + std::min(live, static_cast<std::int64_t>(t.chunk_count)));
  return load_current() == &t ? capacity : std::max(capacity, 2 * t.capacity);
}

table* concurrent_map::room_after(table& t) noexcept {
  // Every cell claimed by another key: the fill check lagged behind a burst of claims, or
  // copies came in faster than the sizing foresaw.
  if (!start_migration(t, successor_capacity(t))) return nullptr;
  return prepared_successor(t);
}

table* concurrent_map::prepared_successor(table& t) noexcept {
  for (;;) {
    const std::uintptr_t word = t.next_word.load(std::memory_order_acquire);  // (map.N1)
    if (word == 0) return nullptr;
    if ((word & table::unprepared_bit) == 0) return reinterpret_cast<table*>(word);
    auto* const successor = reinterpret_cast<table*>(word & ~table::unprepared_bit);
    // Zero every chunk nobody has taken yet.
    while (successor->prepare_cursor.load(std::memory_order_relaxed) < successor->chunk_count) {
      prepare_chunk(t, *successor);
    }
    if (t.next_word.load(std::memory_order_acquire) != word) continue;  // prepared now
    // A helper holds a chunk it has not zeroed (perhaps preempted), and it cannot be zeroed twice
    // (a late zeroing would wipe what was written since): replace the successor by one prepared
    // here in full. Zeroers still at work on the old one are in their guards: it is retired.
    table* const replacement = make_table(successor->capacity);
    if (replacement == nullptr) return nullptr;
    replacement->prepare_all();
    if (replace_successor(t, *successor, *replacement, false)) return replacement;
  }
}

bool concurrent_map::replace_successor(table& t, table& successor, table& replacement,
                                       bool replacement_unprepared) noexcept {
  std::uintptr_t expected = reinterpret_cast<std::uintptr_t>(&successor) | table::unprepared_bit;
  const std::uintptr_t desired = reinterpret_cast<std::uintptr_t>(&replacement) |
                                 (replacement_unprepared ? table::unprepared_bit : 0);
  if (t.next_word.compare_exchange_strong(expected, desired, std::memory_order_release,
                                          std::memory_order_relaxed)) {  // (map.N2) with map.N1
    retire(&successor);  // the held-up zeroer may still write to it, inside its guard
    return true;
  }
  discard_unpublished(&replacement);  // prepared or replaced meanwhile
  return false;
}

void concurrent_map::prepare_chunk(table& t, table& successor) noexcept {
  const std::size_t chunk = successor.prepare_cursor.fetch_add(1, std::memory_order_relaxed);
  if (chunk >= successor.chunk_count) {
    // Every chunk is taken but the successor is still unprepared: a zeroer holds one, perhaps
    // preempted, and cannot be relieved (a late zeroing would wipe what was written since). With
    // more threads than cores it may not run again for many time slices, while t fills up and
    // its probes grow long. So once as many steps as there are chunks found nothing to zero,
    // the step after that starts a fresh successor, which is zeroed a chunk a step again.
    // An allocation failure changes nothing: t keeps serving, and a full t prepares one in full.
    if (chunk != 2 * successor.chunk_count) return;
    if (table* const replacement = make_table(successor.capacity)) {
      replace_successor(t, successor, *replacement, true);
    }
    return;
  }
  successor.prepare_chunk(chunk);
  if (successor.prepared.fetch_add(1, std::memory_order_acq_rel) + 1 !=
      successor.chunk_count) {  // (map.Z1)
    return;
  }
  // The last chunk: the successor may now receive keys, unless it was replaced meanwhile.
  std::uintptr_t expected = reinterpret_cast<std::uintptr_t>(&successor) | table::unprepared_bit;
  t.next_word.compare_exchange_strong(expected, reinterpret_cast<std::uintptr_t>(&successor),
                                      std::memory_order_release,
                                      std::memory_order_relaxed);  // (map.N2) with map.N1
}

bool concurrent_map::start_migration(table& t, std::size_t capacity) noexcept {
  if (t.migrating()) return true;
  // Its cells are zeroed a chunk per insert (prepare_chunk) before any key goes in.
  table* successor = make_table(capacity);
  // A racing starter may have installed one while this allocation failed.
  if (successor == nullptr) return t.migrating();
  std::uintptr_t none = 0;
  if (!t.next_word.compare_exchange_strong(
          none, reinterpret_cast<std::uintptr_t>(successor) | table::unprepared_bit,
          std::memory_order_release, std::memory_order_relaxed)) {  // (map.N2)
    discard_unpublished(successor);
  }
  return true;
}

table* concurrent_map::place(table& from, std::uint64_t word, bool* no_room) noexcept {
  const std::uint64_t key = detail::key_of(word);
  const std::uint64_t hash = address_hash{}(static_cast<std::uintptr_t>(key));
  for (table* t = from.successor(); t != nullptr;) {  // (map.N1)
    const probe_result p = probe(*t, static_cast<key_type>(key), hash);
    if (p.cell == nullptr) {  // every cell claimed by other keys
      t = room_after(*t);
      if (t == nullptr) *no_room = true;
      continue;
    }
    std::uint64_t found = p.word;
    while (found == detail::unclaimed_word) {
      if (p.cell->word.compare_exchange_weak(found, word, std::memory_order_release,
                                             std::memory_order_relaxed)) {  // (map.C2) with M2
        return t;
      }
    }
    if (detail::key_of(found) == key) {
      // Late: the copy another helper made, or what an operation left after it (map.I3).
      if (detail::planted(detail::planted_bug::late_copy_overwrites)) {
        p.cell->word.store(word, std::memory_order_relaxed);
      }
      return nullptr;
    }
    // An unclaimed frozen cell: t is migrating on, and key never had a cell in it (it would
    // come first in the probe, map.I1), so key's state passes on to t's successor. Otherwise
    // another key won the cell: probe again.
    if (found == detail::frozen_bit) t = t->successor();  // (map.N1)
  }
  return nullptr;
}

bool concurrent_map::migrate_chunk(table& t, std::size_t chunk,
                                   reclaim::thread_record& record) noexcept {
  cell* const first = t.cells + chunk * t.chunk_cells;
  table* const successor = t.successor();     // (map.N1): prepared before any chunk is migrated
  std::uint64_t moved_out = 0, moved_in = 0;  // counted once per chunk: one store each
  bool no_room = false;
  for (cell* c = first; c != first + t.chunk_cells && !no_room; ++c) {
    const std::uint64_t word =
        detail::planted(detail::planted_bug::freeze_skipped)
            ? c->word.load(std::memory_order_acquire)
            : c->word.fetch_or(detail::frozen_bit,
                               std::memory_order_acq_rel);  // (map.F1) with map.M3, map.N1
    if (!detail::is_live(word)) continue;
    table* const to = place(t, detail::without_frozen_bit(word), &no_room);
    if (to == nullptr) continue;
    ++moved_out;
    if (to == successor) {
      ++moved_in;
    } else {  // passed on down the chain
      add_to_stripe(*to, record, detail::live_unit + detail::claim_unit);
    }
  }
  if (moved_out != 0) {
    add_to_stripe(*successor, record, moved_in * (detail::live_unit + detail::claim_unit));
    add_to_stripe(t, record, std::uint64_t{0} - moved_out * detail::live_unit);
  }
  if (no_room) return false;
  bool copied = false;
  if (!t.chunks[chunk].copied.compare_exchange_strong(copied, true, std::memory_order_release,
                                                      std::memory_order_relaxed)) {  // (map.C1)
    return true;  // another helper did this chunk too, and counted it
  }
  // seq_cst, with publish's: see map.P1.
  const bool last =
      t.done.fetch_add(1, std::memory_order_seq_cst) + 1 == t.chunk_count;  // (map.C1)
  const bool planted_early =
      detail::planted(detail::planted_bug::copy_unverified) && chunk + 1 == t.chunk_count;
  if (last || planted_early) publish(t);
  return true;
}

void concurrent_map::help_migrate(table& from, reclaim::thread_record& record) noexcept {
  for (table* t = &from;;) {
    const std::uintptr_t word = t->next_word.load(std::memory_order_acquire);  // (map.N1)
    if (word == 0) return;
    auto* const successor = reinterpret_cast<table*>(word & ~table::unprepared_bit);
    if ((word & table::unprepared_bit) != 0) {
      prepare_chunk(*t, *successor);
      return;
    }
    if (t->done.load(std::memory_order_acquire) == t->chunk_count) {  // (map.C1)
      t = successor;
      continue;
    }
    const std::size_t ticket = t->cursor.fetch_add(1, std::memory_order_relaxed);
    // Past the end, the cursor goes round again over chunks whose helper has not finished (it
    // may be preempted): redone, they are only done twice.
    const std::size_t chunk = ticket % t->chunk_count;
    if (ticket < t->chunk_count || !t->chunks[chunk].copied.load(std::memory_order_acquire)) {
      migrate_chunk(*t, chunk, record);
    }
    return;
  }
}

bool concurrent_map::finish_migrations(reclaim::thread_record& record) noexcept {
  for (table* t = load_current(); t->migrating();) {
    if (prepared_successor(*t) == nullptr) return false;  // out of memory: t keeps serving
    if (!detail::planted(detail::planted_bug::copy_unverified)) {
      for (std::size_t c = 0; c < t->chunk_count; ++c) {
        if (!t->chunks[c].copied.load(std::memory_order_acquire) &&  // (map.C1)
            !migrate_chunk(*t, c, record)) {
          return false;  // out of memory: t stays current, and keeps its keys reachable
        }
      }
    }
    // Every chunk is copied; the helper that counted the last one may not have published yet.
    publish(*t);
    t = load_current();
  }
  return true;
}

bool concurrent_map::in_later_table(const table& t, key_type key) noexcept {
  const std::uint64_t hash = address_hash{}(key);
  for (const table* u = t.successor(); u != nullptr; u = u->successor()) {  // (map.N1)
    const probe_result p = probe(*u, key, hash);
    if (p.matched) return true;
    if (p.cell != nullptr && !detail::is_frozen(p.word)) return false;
  }
  return false;
}

void concurrent_map::publish(table& t) noexcept {
  table* expected = &t;
  table* const successor = t.successor();  // (map.N1)
  // Release passes on what the chunk flags (map.C1) made visible. seq_cst, with the done count's
  // increment and load: a successor whose own migration completes first fails this CAS (t is
  // still current), and then its last helper's increment comes before the load below, which
  // sees it and publishes the successor's successor in its place.
  if (!current_.compare_exchange_strong(expected, successor, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {  // (map.P1) with map.M1
    return;
  }
  migrations_.fetch_add(1, std::memory_order_relaxed);
  retire(&t);
  if (successor->successor() != nullptr &&
      successor->done.load(std::memory_order_seq_cst) == successor->chunk_count) {  // (map.P1)
    publish(*successor);
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
    finish_migrations(guard.record());
    shrink_if_oversized(*load_current(), guard.record(), true);
  }
  // Outside the guard: this thread holds back nothing it retired.
  free_unreachable();
}

std::size_t concurrent_map::size() const noexcept {
  const reclaim::epoch_guard guard;
  std::int64_t live = 0;
  for (const table* t = load_current(); t != nullptr; t = t->successor()) {  // (map.N1)
    live += t->live_estimate();
  }
  return static_cast<std::size_t>(std::max<std::int64_t>(live, 0));
}

map_stats concurrent_map::stats() const noexcept {
  const reclaim::epoch_guard guard;
  // As for_each: a running migration is finished first, so that one table holds every key.
  const bool finished = const_cast<concurrent_map*>(this)->finish_migrations(guard.record());
  const table& t = *load_current();
  map_stats s;
  s.capacity = t.capacity;
  s.table_bytes = t.bytes;
  s.migrations = migrations_.load(std::memory_order_relaxed);
  std::size_t hit_probes = 0, probed_live = 0;
  for (std::size_t i = 0; i < t.capacity; ++i) {
    const std::uint64_t word = t.cells[i].word.load(std::memory_order_relaxed);
    const std::uint64_t key = detail::key_of(word);
    if (key == detail::no_key) continue;
    ++s.used_cells;
    if (!detail::is_live(word)) continue;
    ++probed_live;
    const std::size_t probe = ((i - address_hash{}(static_cast<std::uintptr_t>(key))) & t.mask) + 1;
    hit_probes += probe;
    s.max_probe = std::max(s.max_probe, probe);
  }
  // A migration left unfinished for want of memory spreads the keys over the chain: counted there,
  // exactly when no operation runs.
  auto count_live = [&s](key_type, value_type) { ++s.live; };
  visit_live(t, !finished, count_live);
  for (const table* u = t.successor(); u != nullptr; u = u->successor()) {  // (map.N1)
    s.table_bytes += u->bytes;
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
      probed_live == 0 ? 0 : static_cast<double>(hit_probes) / static_cast<double>(probed_live);
  s.mean_miss_probe = static_cast<double>(miss_probes) / static_cast<double>(t.capacity);
  s.retired_bytes = retired_bytes_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace enlist
