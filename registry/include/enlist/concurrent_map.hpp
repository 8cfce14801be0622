#pragma once
// enlist::concurrent_map: a lock-free hash map from object addresses (never dereferenced) to
// small values, built for a session registry: endless insert/erase churn of always-new keys
// around a stable population, lookups of absent keys on the error path, and far more threads
// than cores.
//
// ALGORITHM
// Open addressing with linear probing, the "folklore" table of Maier, Sanders and Dementiev
// ("Concurrent Hash Tables: Fast and General?!", PPoPP'16), with Cliff Click's rule that a
// cell's key is immutable once claimed (NonBlockingHashMap), over one-word cells: a cell holds
// its key and the key's state together (detail/map_table.hpp),
//
//     atomic<uint64_t> word;   // bit 63 frozen | bit 62 live | bits 56-61 value | bits 0-55 key
//                              // 0 = unclaimed; key with live clear = erased
//
//   insert(k, v)  probe from hash(k); at the first cell holding k or unclaimed: one CAS from
//                 "unclaimed" or "k erased" to "k live with v" claims and publishes at once.
//   find(k)       probe; the answer is the word of k's cell (or absent at an unclaimed one).
//   erase(k)      probe; CAS k's word from live to erased and hand back the value.
//
// A key therefore occupies at most one cell per table, and a cell never changes owner. Since
// key and state are one word, every answer comes from one load, and every change is one CAS:
// a begin of a fresh session writes one word, like the begin of a returning one. Erased keys
// keep their cell (a re-insert of the same address reuses it) until the next migration, which
// copies only live keys into a fresh table sized for them. Churn thus costs periodic
// migrations, not ever longer probes: a migration starts once fill (live plus dead cells)
// reaches about 3/4 of a table (sampled from striped counters, so it may overshoot by a few
// percent; see map.I4). A migration never stops the map: inserts carry it a chunk of 256 cells
// at a time while every operation goes on, so no operation's work grows with the table.
//
// WHY ONE WORD
// The registry stores one bit per session (its role), so a key and a 6-bit value fit a word
// with the two state bits, and the table is half the size of one with separate key and value
// words: eight cells per cache line, so a probe reads one line where two-word cells read two,
// the table of 10,000 sessions takes 256 KiB (an L2 cache holds it), and a million sessions
// take 16 MiB.
// Keys are limited to addresses below 2^56 (where user space ends on x86-64 with 5-level
// paging; AArch64 ends at 2^52) and values to 0..63; larger ones are refused, never truncated.
//
// WHY ERASED CELLS ARE NOT REUSED BY OTHER KEYS
// Letting a fresh key take another key's tombstone would not remove migrations, and would make
// every fresh claim dearer:
// - A claim stays monotone only while cells go from unclaimed to claimed and never back: then
//   two racing inserts of one key meet at the same first unclaimed cell. A tombstone that turns
//   free again breaks that, since two inserts of one key can each pick a different free cell.
//   A claim then needs a pending state, a validation scan of the run and a second CAS to commit
//   (Purcell and Harris's open addressing with deletion).
// - An insert may only take a tombstone that lies before the first unclaimed cell of its run,
//   where its search for the key ends. A key whose run has none still claims a fresh cell.
//   With 10,000 live keys in 32,768 cells and keys erased right after insertion, about half of
//   the inserts still claim a fresh cell, so the table fills at half the rate and migrates all
//   the same.
// In a single-thread model of both protocols on one such table, reuse made a fresh begin/end
// pair 1.45 times dearer (the pending state and the validation scan) and migrations 1.85 times
// rarer (one every 0.82 table sizes of pairs instead of every 0.44). Migration takes about a
// quarter of a churn pair's time (perf of map_churn at one thread), so reuse would lose.
//
// MIGRATION (growth, shrinking and tombstone clean-up are one mechanism)
// A migration moves a table's live keys into a successor chunk by chunk while both serve. Each
// step is one chunk of 256 cells (fewer in small tables, which have at least eight chunks), done
// by an insert: every insert that finds a migration running (the table it began in has a
// successor) does one step after its own work, and no insert does more than one.
//   start    an insert whose stripe sees fill >= 3/4 (or that finds no free cell), or an insert's
//            housekeeping (or reclaim()) that sees the table four times larger than the live keys
//            call for, allocates a successor sized for the live keys of every table plus one per
//            chunk (the most that can come in meanwhile) and stores it in table.next_word, marked
//            unprepared. Allocation failing changes nothing: the table keeps serving.
//   prepare  steps zero the successor's cells a chunk each (a ticket per chunk, each zeroed
//            once); the step that zeroes the last one clears the mark. Until then nobody reads
//            the successor, and the table serves as if no migration had started.
//   move     steps take chunks of the table from a cursor, freeze every cell of the chunk
//            (fetch_or of bit 63: a frozen word never changes again) and copy each live one on
//            (place): a CAS from unclaimed into the first cell of the key's probe in the successor
//            that is unclaimed or already holds the key. A late copier finds the key's cell and
//            changes nothing. Then the chunk's flag is set and counted.
//   publish  the step that counts the last chunk swings `current` to the successor and retires
//            the table to epoch-based reclamation (reclaim/epoch.hpp).
// Meanwhile every operation works in the first table of the chain from `current` in which the
// key's cell (the first cell of its probe that is unclaimed or holds the key) is not frozen,
// carrying along the word of the key's frozen cell, if it had one: that word is the key's state
// as long as the next table has no cell for the key. So an insert into an unclaimed cell of the
// successor first checks the carried word (a live one answers exists), and an erase of a carried
// live key stores its erased word into that unclaimed cell, where no copier can bring it back.
// A successor that fills up before its own predecessor is done (inserts outpacing the steps, or
// a sizing estimate torn by a preemption) starts its own migration, at least twice its size, and
// keys pass down the chain: a copy that meets a frozen unclaimed cell goes on to the next table.
// A step that finds a chunk of the cursor's second round still unflagged (its helper preempted)
// redoes it: freezing and copying are idempotent. A step that finds a successor's zeroing held up
// by such a helper cannot redo it (a late zeroing would wipe what was written since). Instead,
// once as many steps as the successor has chunks found nothing left to zero, the next one
// replaces it with a fresh unprepared successor, zeroed a chunk a step in its turn (with more
// threads than cores a preempted zeroer may not run again for many time slices, while the old
// table fills up); an insert that needs the successor now (its table full) replaces it with one
// it prepares in full. Either retires the other, which the held-up helper may still write while
// its guard protects it.
// find and erase never take a step: they write nothing to migrate, and an erase allocates only in
// the corner map.I4 describes.
// for_each, stats() and reclaim() finish every running migration before they read (for_each
// answers false when memory runs out first: see there).
//
// LINEARIZATION POINTS
//   Key k's state is the word of its cell in the first table of the chain whose cell for k is
//   not frozen; if that cell is unclaimed, the word carried from the previous table's frozen cell
//   for k (absent if there was none). A copy does not change it (it writes that carried word into
//   the unclaimed cell), nor does a freeze (the word is carried on).
//   insert: the successful CAS (ok); the load of an unfrozen cell holding k live, or of an
//           unfrozen unclaimed one while the carried word is live (exists).
//   erase:  the successful CAS (ok); the load that finds k absent as find does.
//   find:   the load of an unfrozen word that holds k or is unclaimed: k's state is that word, or
//           the carried one. A key only ever goes into the first cell of its probe that is
//           unclaimed or its own, and reaches a table only after its cell in the previous one
//           froze, so an unclaimed word read there proves k has no cell in this table or any
//           later one at that load. A table with every cell claimed by other keys and no
//           prepared successor (no key can be in an unprepared one) answers with the carried word.
//
// PROGRESS
//   find: lock-free (wait-free without migrations; each hop down the chain follows a frozen cell,
//   and the chain ends at a table with free cells).
//   insert, erase: lock-free. A CAS fails only when another operation's CAS succeeded; steps are
//   bounded and shared, and nothing ever waits for another thread's step: a held-up chunk is
//   redone, and a held-up successor is replaced.
//   Only inserts and reclaim() allocate (a successor, or its replacement) and free (retired
//   tables, with the heavy fence that needs). An erase never frees or issues the heavy fence,
//   allocates only in the corner of map.I4, and writes only its key's cell and counter stripes
//   (one; two when it erases a key whose copy was pending). A thread's first operation registers its reclamation record. No operation takes a lock, blocks, throws or logs.
//
// MEMORY ORDERING (tags map.*: at the atomic operations below and in concurrent_map.cpp, each
// with the operation it pairs with; scripts/check_memory_order_tags.py checks them)
//   (map.M1) acquire load of `current` pairs with the release CAS (map.P1) that published the
//        table, so every cell the migration copied into it is visible.
//   (map.M2) acquire load of a cell word pairs with the release CAS that published it (map.M3,
//        or a copy's map.C2): a value found happens-after the insert that stored it, and after
//        what the insert's caller did before (the registry takes the state's reference in
//        on_absent, before the CAS).
//   (map.M3) release CAS publishing a key's live word; its failure load is acquire like map.M2,
//        since insert may answer "exists" from it.
//   (map.M4) acq_rel CAS erasing: acquire because erase hands the value (and what it
//        publishes) to its caller.
//   (map.F1) freezing is an acq_rel fetch_or: acquire, because its result is the word the copy
//        publishes again (so the copy happens-after the insert that stored it); release, so that
//        whoever sees a frozen bit also sees the prepared successor the freezer read (map.N1):
//        an operation that meets a frozen cell always finds the successor to go on to.
//   (map.N1) acquire load of next_word pairs with the release CASes that store it (map.N2): the
//        one that installs the successor (its header), and the one that clears the unprepared
//        mark once the last chunk is zeroed, which acquired every other zeroing through the
//        acq_rel count (map.Z1). So whoever reads a prepared successor reads zeroed cells.
//   (map.C1) chunk flags are a release CAS, and the chunk count an RMW chain ending in the
//        publisher; their acquire loads make whoever sees a chunk done see its copies.
//   (map.C2) a copy is a release CAS into the successor, read by (map.M2): the successor serves
//        while it fills, so each copy publishes itself.
//   (map.P1) publishing swings `current` with a seq_cst CAS, and publish reads the successor's
//        chunk count with seq_cst, as the step that counts a chunk increments it: when a
//        successor's own migration completes before its predecessor is published, either its
//        last step's CAS finds it current and publishes its successor, or the publisher's load
//        sees that count complete and publishes it; seq_cst excludes both missing each other.
//   Counters (map.S1) are relaxed: they are statistics and sizing hints, exact only once threads
//   have joined. A stripe owned by one thread is updated with a plain load and store (one writer
//   loses nothing).
//   Where this argument is checked, and where not: the deterministic scheduler interleaves every
//   atomic step of insert, erase, find and migration, but runs one thread at a time, so every
//   execution it explores is sequentially consistent; ThreadSanitizer checks the happens-before
//   edges of the executions it sees; the AArch64 build passes the whole test suite under
//   qemu-user, which runs AArch64 code on the x86 host's stronger (TSO) order. What no test here
//   exercises is a reordering only weakly ordered hardware does: a relaxed or acquire load
//   satisfied early, or two stores to different words seen in different orders by different
//   threads. For those, the pairs above rest on the argument alone until a run on real AArch64 or
//   POWER hardware, or an exhaustive check under the C++ memory model (GenMC, CDSChecker; Debian
//   has neither), covers them.
//
// COST MODEL (writes to memory another thread may also write, per operation; the scheduled
// build reports every write, and tests/map/map_cost_model_test.cpp checks each row)
//   insert of an absent key (fresh cell, or its own erased one): 1, the cell's CAS.
//   erase of a present key: 1, the cell's CAS.
//   insert of a present key, erase of an absent one, find: 0.
//   Besides, every operation writes its own reclamation record (a line no other thread
//   writes), and an insert or erase that succeeds its own counter stripe with a plain store
//   (threads beyond the 64th share 16 stripes, one fetch_add). Nothing is summed per operation:
//   a stripe looks at the fill once per capacity/1024 of its claims, and at the live count once
//   per 256 operations of its thread. Now and then an insert's housekeeping hands a retired
//   table to the spare slot or the free list (a few CASes).
//   While a migration runs, an insert adds one step: the zeroing of a chunk of the successor
//   (32 lines of plain stores to memory nobody reads yet), or the freeze of a chunk (256 RMWs
//   on 32 lines) with a CAS per live key copied, the chunk's flag and count, the cursor, and a
//   stripe store for each of the two tables. An erase of a key whose frozen live word was not
//   copied yet writes its erased word into the successor and one stripe more.
//   churn, amortised: a migration freezes every cell once and copies every live key with one
//   CAS, and a table of C cells starts at most a third full and migrates at 3/4 full, so at
//   least 5C/12 claims pass between migrations: at most 2.4 freezes and 0.8 copies per claim,
//   plus the flag, count and cursor per chunk. Measured: 4.9 per begin/end pair at 10,000 live,
//   2 of them the pair's own.
//   Work of one operation: its probe (in each table of the chain it passes), plus for an insert
//   at most one step. So the most lines one operation writes is bounded by the chunk, not the
//   table: counted at 10,000 and at 1,000,000 live, at most 81 lines (the test allows 296: 32 to
//   freeze, one per cell copied, 8 for flags, counters and the caller's own). The exceptions:
//   the calls that finish migrations (for_each, stats(), reclaim()), and an insert (or a copy)
//   that finds every cell of a table claimed by other keys (the sampled fill check lagged behind
//   a burst of claims, or a successor filled faster than its predecessor was copied into it):
//   it needs that table's successor at once, so it zeroes the successor's remaining chunks
//   itself, or, if a preempted helper holds one, prepares a replacement in full.
//
// INVARIANTS
//   (map.I1) A key occupies at most one cell of a table (insert claims only the first unclaimed
//       cell of its probe sequence, and stops at a cell already holding the key).
//   (map.I2) A cell's key bits change only from 0 to a key; frozen words never change.
//   (map.I3) A key gets a cell in a table only after its cell in the previous table of the chain
//       froze, and copies change nothing where the key has a cell: so a copy can never bring back
//       a key erased (or overwrite one inserted) in the successor after the freeze.
//   (map.I4) Every table has an unclaimed cell when it starts serving (fill < 3/4), so probes
//       terminate; a probe that nevertheless wraps around treats the table as full: an insert or
//       a copy goes on to its successor (started and prepared if need be), and a find answers
//       from what it carried. An erase of a key carried live from the table before needs a cell
//       in a later table for its erased word, so it too goes on to the successor, and makes it
//       (zeroing what nobody took; allocating when no successor was started or its zeroing is
//       held up) when none is prepared: the one case where an erase may allocate. It arises only
//       when a successor fills up before its predecessor is done (a sizing estimate torn by a
//       preemption, or inserts outpacing the steps) while a migration step is between freezing
//       the key and copying it; answering out_of_memory there, with memory to spare, would fail
//       an end for nothing. out_of_memory then means that allocation failed.
//   (map.I5) A table is published (made current) only after every chunk of its predecessor is
//       flagged, so operations that start in it miss no key of the predecessor.
//
// WHAT IT DOES NOT DO
//   Keys must be in 1..max_key (2^56 - 1), values in 0..max_value (63); others are refused with
//   invalid_key or invalid_value. Key memory is never read.
//   size() is a weakly consistent sum of striped counters (exact when no operation runs);
//   for_each is weakly consistent (see there). No iterators, no references into the table.
//
// LIFETIME FAQ
//   May a key's memory be reused? Yes, as soon as erase returned: a later insert of the same
//   address is a new entry (in the same cell until the next migration).
//   When is retired memory freed? When no thread is inside an operation that began before the
//   table was retired; the map's own inserts periodically reclaim (erases never do: an erase
//   must not free or enter the kernel), and the destructor frees everything. Users need call
//   nothing; reclaim() finishes running migrations, frees what it can at once and shrinks an
//   oversized table. One freed table is kept as a spare for the next migration to the same size.
//   May the map be destroyed while operations run? No: destruction requires quiescence.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <type_traits>

#include "enlist/detail/atomic.hpp"
#include "enlist/detail/map_table.hpp"
#include "enlist/detail/on_absent.hpp"
#include "enlist/hash.hpp"
#include "enlist/map_status.hpp"
#include "enlist/reclaim/epoch.hpp"
#include "enlist/reclaim/retired_list.hpp"

namespace enlist {

// A scan of the current table, taken after finishing any running migration; for tests and
// benchmarks, meaningful when no operation runs.
struct map_stats {
  std::size_t capacity = 0;       // cells in the current table
  std::size_t used_cells = 0;     // claimed cells: live plus erased keys
  std::size_t live = 0;           // keys with a live value (in either table during a migration)
  std::size_t table_bytes = 0;    // bytes of the current table and of a successor being filled
  std::size_t retired_bytes = 0;  // bytes of retired tables not yet freed, and of a spare one
  std::size_t max_probe = 0;      // longest probe to a live key of the current table (cells)
  double mean_hit_probe = 0;      // mean cells inspected to find a live key of the current table
  double mean_miss_probe = 0;     // mean cells inspected to conclude absence
  std::uint64_t migrations = 0;   // completed migrations since construction
};

class concurrent_map {
 public:
  using key_type = std::uintptr_t;
  using value_type = std::uint64_t;
  static constexpr value_type max_value = detail::max_value;
  static constexpr key_type max_key = static_cast<key_type>(detail::max_key);
  static constexpr std::size_t min_capacity = 64;

  // Hints above this are refused: 2^56 keys would need 2^61 bytes of table, beyond any address
  // space, and the sizing arithmetic must not wrap around.
  static constexpr std::size_t max_expected_keys = std::size_t{1} << 56;

  // Sized so that `expected_keys` fit without a migration; the table never shrinks below that
  // size. `resource` must be thread-safe and outlive the map. Throws std::length_error if
  // expected_keys > max_expected_keys, std::invalid_argument for a null resource or one of the
  // standard resources that are not thread-safe (unsynchronized_pool_resource,
  // monotonic_buffer_resource), std::bad_alloc if the first table cannot be allocated;
  // operations never throw.
  explicit concurrent_map(std::size_t expected_keys = 0,
                          std::pmr::memory_resource* resource = std::pmr::get_default_resource());
  ~concurrent_map();
  concurrent_map(const concurrent_map&) = delete;
  concurrent_map& operator=(const concurrent_map&) = delete;

  // Adds key -> value if key is absent. ok, exists, out_of_memory, invalid_key (0 or above
  // max_key), invalid_value (above max_value).
  // Progress: lock-free.
  [[nodiscard]] map_status insert(key_type key, value_type value) noexcept {
    return insert(key, value, []() noexcept {});
  }
  // The same, calling on_absent() (noexcept) once when the key was found absent and just before
  // the entry is published: what it does happens before any thread can find the entry (the
  // registry takes the state's reference there). It does not run when the key is present; when
  // it has run, the call may still answer exists (a racing insert of the key published first)
  // or out_of_memory. If it returns bool, false declines the entry: the call answers refused
  // (the registry's admission to a limited capacity, which a duplicate thus never touches).
  // One probe answers both "is it there?" and "put it there".
  template <class OnAbsent>
  [[nodiscard]] map_status insert(key_type key, value_type value, OnAbsent&& on_absent) noexcept;

  // ok with the value, not_found, or invalid_key. Writes nothing shared. Progress: lock-free.
  [[nodiscard]] map_result find(key_type key) const noexcept;

  // Removes key and hands back its value: ok, not_found, invalid_key, or out_of_memory in the one
  // case where a migration must move the key into a table left without a free cell and no
  // larger one could be allocated (the key is still present; see map.I4). An absent key writes
  // nothing shared. Progress: lock-free.
  [[nodiscard]] map_result erase(key_type key) noexcept;

  // Calls f(key, value) for live entries: every key present for the whole call is visited exactly
  // once; keys inserted or erased meanwhile may or may not be. It first finishes any migration
  // running (so that one table holds every key), then reads that table. Returns false, having
  // visited nothing, when memory ran out before that migration could be finished: the keys are
  // then spread over a chain of tables that racing migration steps move them along, and no walk
  // of it can tell a key it visited from the same key moved on. f may call this map's
  // operations. Progress: lock-free, apart from f.
  template <class F>
  [[nodiscard]] bool for_each(F&& f) const;

  // As for_each, for callers to whom a second visit of a key is harmless (one that erases it):
  // when memory runs out mid-migration it reads the chain of tables, where a key present for the
  // whole call is visited at least once, and twice only if a racing step moves it meanwhile.
  template <class F>
  void for_each_at_least_once(F&& f) const;

  std::size_t size() const noexcept;
  map_stats stats() const noexcept;

  // Gives memory back now: finishes running migrations, frees the retired tables no running
  // operation can still reach, and shrinks a table four times larger than its live keys call for
  // (a migration: it allocates the smaller table). The map does both on its own in its inserts; erase never does (an end
  // must not allocate, free or enter the kernel), so after a burst of erases without inserts,
  // this is how the memory comes back.
  void reclaim() noexcept;

 private:
  struct probe_result {
    detail::cell* cell;  // first cell holding the key or unclaimed; nullptr when none
    std::uint64_t word;  // its word, loaded with (map.M2)
    bool matched;        // cell holds the key
  };
  static bool valid(key_type key) noexcept { return key != detail::no_key && key <= max_key; }

  static probe_result probe(const detail::table& t, key_type key, std::uint64_t hash) noexcept;
  detail::table* load_current() const noexcept {
    return current_.load(std::memory_order_acquire);  // (map.M1) with map.P1
  }
  // Adds delta to the caller's stripe; returns the stripe's new word. (map.S1) relaxed: see
  // map_table.hpp for why an owned stripe needs no read-modify-write.
  static std::uint64_t add_to_stripe(detail::table& t, const reclaim::thread_record& r,
                                     std::uint64_t delta) noexcept {
    if (r.index < detail::exclusive_stripes) {
      detail::atomic<std::uint64_t>& word = t.stripes[r.index].word;
      const std::uint64_t updated = word.load(std::memory_order_relaxed) + delta;
      word.store(updated, std::memory_order_relaxed);  // (map.S1)
      return updated;
    }
    const std::size_t shared = detail::exclusive_stripes + r.index % detail::shared_stripes;
    return t.stripes[shared].word.fetch_add(delta, std::memory_order_relaxed) + delta;  // (map.S1)
  }

  // Out of line (concurrent_map.cpp): the slow paths.
  void check_fill(detail::table& t) noexcept;
  void housekeeping(detail::table& t, reclaim::thread_record& record) noexcept;
  void shrink_if_oversized(detail::table& t, reclaim::thread_record& record, bool finish) noexcept;
  void free_unreachable() noexcept;
  detail::table* make_table(std::size_t capacity) noexcept;
  // t's successor, started if need be; nullptr when none could be allocated. For an insert or a
  // copy that found every cell of t claimed by other keys.
  detail::table* room_after(detail::table& t) noexcept;
  // The live keys of the chain of tables from the current one: what a successor is sized for.
  std::int64_t live_for_sizing() const noexcept;
  std::size_t successor_capacity(const detail::table& t) const noexcept;
  bool start_migration(detail::table& t, std::size_t capacity) noexcept;
  // Zeroes one chunk of t's unprepared successor (bounded work); the last one makes it t's
  // prepared successor.
  void prepare_chunk(detail::table& t, detail::table& successor) noexcept;
  // t's successor, prepared here if need be: the chunks nobody took are zeroed, and one that a
  // helper holds makes this replace the successor with one prepared in full. nullptr when no
  // migration has started, or when the replacement cannot be allocated.
  detail::table* prepared_successor(detail::table& t) noexcept;
  // Makes `replacement` t's successor in place of the held-up, unprepared `successor`, which is
  // retired; false, with `replacement` discarded, when t's successor changed meanwhile.
  bool replace_successor(detail::table& t, detail::table& successor, detail::table& replacement,
                         bool replacement_unprepared) noexcept;
  // One chunk of the first unfinished migration along the chain from t (bounded work), and all of
  // every migration in the chain (then the last table is current).
  void help_migrate(detail::table& t, reclaim::thread_record& record) noexcept;
  // false when a copy found no memory: the chain stays, every key reachable through it.
  bool finish_migrations(reclaim::thread_record& record) noexcept;
  // Whether a table after t in the chain has a cell (in any state) for key.
  static bool in_later_table(const detail::table& t, key_type key) noexcept;
  template <class F>
  void visit_live(const detail::table& first, bool whole_chain, F& f) const;
  // Freezes one chunk of t and copies its live keys on; false when a copy found no room and no
  // memory for it (the chunk stays unfinished, its keys still reachable through t).
  bool migrate_chunk(detail::table& t, std::size_t chunk, reclaim::thread_record& record) noexcept;
  // Copies a frozen live word on from the table it froze in: into the first table of the chain
  // after it whose cell for the key is not frozen. nullptr when it was late (the key already has a
  // cell there), or, with *no_room set, when no table could take it.
  detail::table* place(detail::table& from, std::uint64_t word, bool* no_room) noexcept;
  // Makes `successor` current in place of t once t's migration is complete, and so on down the
  // chain while the next migration is complete too.
  void publish(detail::table& t) noexcept;
  void retire(detail::table* t) noexcept;
  void free_retired(reclaim::retired_node* node) noexcept;
  void discard_unpublished(detail::table* t) noexcept;
  std::size_t capacity_for(std::int64_t live) const noexcept;

  std::pmr::memory_resource* const resource_;
  const std::size_t floor_capacity_;  // the constructor's sizing: migrations never go below it
  alignas(64) detail::atomic<detail::table*> current_;
  alignas(64) reclaim::retired_list retired_;
  // One reclaimed table kept for the next migration to the same size: steady churn migrates
  // between two blocks of memory instead of allocating (and page-faulting) each time.
  detail::atomic<detail::table*> spare_{nullptr};
  detail::atomic<std::uint64_t> migrations_{0};
  // Retired tables not freed yet, and the spare; statistics only (stats()), so relaxed.
  detail::atomic<std::size_t> retired_bytes_{0};
};

inline concurrent_map::probe_result concurrent_map::probe(const detail::table& t, key_type key,
                                                          std::uint64_t hash) noexcept {
  // The layout is immutable once published; read it once, not after every acquire load.
  detail::cell* const cells = t.cells;
  const std::size_t mask = t.mask;
  std::size_t i = hash & mask;
  for (std::size_t n = 0; n <= mask; ++n, i = (i + 1) & mask) {
    detail::cell& c = cells[i];
    const std::uint64_t word = c.word.load(std::memory_order_acquire);  // (map.M2) with map.M3
    const std::uint64_t k = detail::key_of(word);
    if (k == key || k == detail::no_key) return {&c, word, k == key};
  }
  return {nullptr, 0, false};
}

inline map_result concurrent_map::find(key_type key) const noexcept {
  if (!valid(key)) return {map_status::invalid_key, 0};
  const reclaim::epoch_guard guard;
  const std::uint64_t hash = address_hash{}(key);
  // key's state as the tables passed so far left it (see LINEARIZATION POINTS).
  std::uint64_t carried = detail::unclaimed_word;
  for (const detail::table* t = load_current(); t != nullptr;) {
    const probe_result p = probe(*t, key, hash);
    if (p.cell != nullptr && !detail::is_frozen(p.word)) {
      const std::uint64_t state = p.matched ? p.word : carried;
      if (detail::is_live(state)) return {map_status::ok, detail::value_of(state)};
      return {map_status::not_found, 0};
    }
    if (p.matched) carried = detail::without_frozen_bit(p.word);
    t = t->successor();  // (map.N1), prepared: a cell froze
  }
  // The last table was full without key: key's state is what came before.
  if (detail::is_live(carried)) return {map_status::ok, detail::value_of(carried)};
  return {map_status::not_found, 0};
}

template <class OnAbsent>
map_status concurrent_map::insert(key_type key, value_type value, OnAbsent&& on_absent) noexcept {
  if (!valid(key)) return map_status::invalid_key;
  if (value > max_value) return map_status::invalid_value;
  const reclaim::epoch_guard guard;
  reclaim::thread_record& record = guard.record();
  const std::uint64_t hash = address_hash{}(key);
  const std::uint64_t desired = detail::live_word(key, value);
  bool announced = false;
  std::uint64_t carried = detail::unclaimed_word;
  detail::table* const first = load_current();
  detail::table* t = first;
  for (;;) {
    const probe_result p = probe(*t, key, hash);
    if (p.cell == nullptr) {
      t = room_after(*t);
      if (t == nullptr) return map_status::out_of_memory;
      continue;
    }
    std::uint64_t word = p.word;
    // The cell is unclaimed or key's own; a failed CAS reloads it, and then it may hold another
    // key that won the cell: probe again from there.
    while (!detail::is_frozen(word) &&
           (detail::key_of(word) == key || word == detail::unclaimed_word)) {
      if (detail::is_live(detail::key_of(word) == key ? word : carried)) return map_status::exists;
      if (!announced) {
        if (!detail::announce(on_absent)) return map_status::refused;
        announced = true;
      }
      if (p.cell->word.compare_exchange_weak(word, desired, std::memory_order_release,
                                             std::memory_order_acquire)) {  // (map.M3) with map.M2
        const bool claimed = word == detail::unclaimed_word;
        const std::uint64_t stripe =
            add_to_stripe(*t, record, detail::live_unit + (claimed ? detail::claim_unit : 0));
        // Each stripe looks at the fill every few claims, so the sum is read rarely.
        if (claimed && (stripe & t->claim_check_mask) == 0) check_fill(*t);
        // Every insert made while a migration runs moves it on by one chunk: a migration of C
        // cells is done within C/256 inserts, and no insert does more than one chunk.
        if (first->migrating()) help_migrate(*first, record);
        if ((++record.operations & 255) == 0) housekeeping(*first, record);
        return map_status::ok;
      }
    }
    // Frozen, and still key's cell or unclaimed: key's state in t is final, and key lives on in
    // t's successor. (A cell another key claimed and then froze is not key's: probe t again.)
    if (detail::is_frozen(word) &&
        (detail::key_of(word) == key || detail::key_of(word) == detail::no_key)) {
      if (detail::key_of(word) == key) carried = detail::without_frozen_bit(word);
      t = t->successor();  // (map.N1), prepared: a cell froze
    }
  }
}

inline map_result concurrent_map::erase(key_type key) noexcept {
  if (!valid(key)) return {map_status::invalid_key, 0};
  const reclaim::epoch_guard guard;
  reclaim::thread_record& record = guard.record();
  const std::uint64_t hash = address_hash{}(key);
  std::uint64_t carried = detail::unclaimed_word;
  detail::table* carried_from = nullptr;
  detail::table* t = load_current();
  for (;;) {
    const probe_result p = probe(*t, key, hash);
    if (p.cell == nullptr) {
      // Every cell claimed by other keys: key's state is in a later table, if any.
      if (detail::table* const next = t->successor()) {  // (map.N1)
        t = next;
        continue;
      }
      if (!detail::is_live(carried)) return {map_status::not_found, 0};
      // key is carried live from the table before, and its erased word needs a cell in a later
      // table: this erase makes one, as an insert would (map.I4: the one case where an erase
      // may allocate).
      t = room_after(*t);
      if (t == nullptr) return {map_status::out_of_memory, 0};
      continue;
    }
    std::uint64_t word = p.word;
    while (!detail::is_frozen(word) &&
           (detail::key_of(word) == key || word == detail::unclaimed_word)) {
      const std::uint64_t state = detail::key_of(word) == key ? word : carried;
      if (!detail::is_live(state)) return {map_status::not_found, 0};
      // From live, or from unclaimed when key is carried: the erased word then takes the cell,
      // so no copier can bring key back (map.I3).
      if (p.cell->word.compare_exchange_weak(word, detail::erased_word(key),
                                             std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {  // (map.M4) with map.M3
        // No housekeeping here: reclaiming and shrinking are insert's and reclaim()'s, so
        // that an end never frees, allocates or issues the heavy fence.
        if (word != detail::unclaimed_word) {
          add_to_stripe(*t, record, std::uint64_t{0} - detail::live_unit);
        } else {
          add_to_stripe(*t, record, detail::claim_unit);
          add_to_stripe(*carried_from, record, std::uint64_t{0} - detail::live_unit);
        }
        return {map_status::ok, detail::value_of(state)};
      }
    }
    // As in insert: follow only a frozen cell that is still key's or unclaimed.
    if (detail::is_frozen(word) &&
        (detail::key_of(word) == key || detail::key_of(word) == detail::no_key)) {
      if (detail::key_of(word) == key) {
        carried = detail::without_frozen_bit(word);
        carried_from = t;
      }
      t = t->successor();  // (map.N1), prepared: a cell froze
    }
  }
}

template <class F>
bool concurrent_map::for_each(F&& f) const {
  const reclaim::epoch_guard guard;
  // Finishing a migration changes no content; the const_cast writes only when operations
  // started one, which a const object never has.
  if (!const_cast<concurrent_map*>(this)->finish_migrations(guard.record())) return false;
  visit_live(*load_current(), false, f);
  return true;
}

template <class F>
void concurrent_map::for_each_at_least_once(F&& f) const {
  const reclaim::epoch_guard guard;
  const bool finished = const_cast<concurrent_map*>(this)->finish_migrations(guard.record());
  visit_live(*load_current(), !finished, f);
}

template <class F>
void concurrent_map::visit_live(const detail::table& first, bool whole_chain, F& f) const {
  // A finished migration leaves first holding every key present for the whole call: a migration
  // started since copies keys on but leaves their frozen live words in first, visited there.
  for (const detail::table* t = &first; t != nullptr;
       t = whole_chain ? t->successor() : nullptr) {  // (map.N1)
    for (std::size_t i = 0; i < t->capacity; ++i) {
      const std::uint64_t word = t->cells[i].word.load(std::memory_order_acquire);  // (map.M2)
      if (!detail::is_live(word)) continue;
      const auto key = static_cast<key_type>(detail::key_of(word));
      // A frozen live word counts unless a later table of the chain has a cell for its key (then
      // that cell holds the key's state, map.I3). A copy made after this check is visited again
      // in the later table; a key is never missed, since keys only move on down the chain.
      if (whole_chain && detail::is_frozen(word) && in_later_table(*t, key)) continue;
      f(key, detail::value_of(word));
    }
  }
}

}  // namespace enlist
