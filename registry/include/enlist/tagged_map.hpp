#pragma once
// enlist::tagged_map: the core of enlist's next map. A hash map from object addresses (never
// dereferenced) to small values whose fresh keys cost what returning ones do: a slot freed by an
// erase is reused at once, so churn leaves no tombstones behind and needs no migrations, and
// whose finds and misses write nothing. Its table has the capacity the constructor gives it (see
// WHAT IT DOES NOT DO YET); concurrent_map remains the registry's map until this one grows.
//
// LAYOUT
// The table is an array of 64-byte groups, one cache line each:
//
//     atomic<uint64_t> control;   // bytes 0-6: a tag byte per slot; byte 7: overflow count
//     atomic<uint64_t> slot[7];   // a key with its value, or a free slot
//
//   slot word   free:     bits 56-63 = the slot's tag byte, bits 0-55 = 0
//               pending:  bits 0-55 key, 56-61 value, bit 62 set (claimed, not yet an entry)
//               entry:    bits 0-55 key, 56-61 value, bit 62 clear
//   tag byte    0x80 | 7 bits of the key's hash, written by the key that holds the slot; it stays
//               when the key is erased, so a returning key finds its old slot tagged for it.
//               0 = never used.
//   overflow    how many keys whose probe passed this group (it was full) sit in a later group;
//               saturates at 255, and then never changes again (finds just probe on).
// A key's probe visits its home group (from the hash) and then the following groups, while the
// group it leaves has a nonzero overflow count.
//
// ALGORITHM
//   find(k)   in each group of the probe: load control, and for every tag byte equal to k's tag
//             load the slot; an entry of k is the answer. A group with overflow 0 ends the probe.
//   insert(k) (1) as find: an entry of k answers exists. (2) claim: CAS a free slot of the first
//             group of the probe that has one (one already tagged for k first) from its free
//             word to "k pending"; each full group passed on gets its overflow count incremented
//             first. (3) retag: if the slot's tag byte is not k's, CAS control to set it. (4)
//             check: read every slot of the probe (as far as overflow counts reach) for another
//             word of k. (5) publish: store "k entry" into the slot.
//   erase(k)  as find; CAS k's entry to the free word of its slot, then decrement the overflow
//             counts of the groups its insert passed.
// The entry word is the truth: k is present exactly while some slot holds an entry of k. The tag
// bytes only narrow the search; what makes a miss exact is that a slot's tag byte is k's before
// k's entry is published there and stays so while it is (invariant T).
//
// WHY PENDING, AND WHY THE CHECK
// Two inserts of one key may claim two different free slots (the slots of a group are not
// ordered, and a slot freed by an erase is free again at once). Each claim therefore publishes
// "k pending" before looking for others, and each looks after its claim (step 4): with both
// claims and the loads that follow them sequentially consistent, of two claims at least the later
// one sees the earlier. Then:
//   - an entry of k elsewhere: k is present; the insert frees its claim and answers exists;
//   - a pending k earlier in probe order (group, then slot): the insert frees its claim, waits
//     until that one is published or freed, and starts again;
//   - a pending k later in probe order: the insert waits until that one is freed (its owner saw
//     this claim) or published (it did not: then this insert answers exists), and checks again.
// So at most one of them publishes. The same argument covers keys in different groups: an insert
// that passes a full group increments its overflow count before claiming further on, and an
// insert that claims reads that count before deciding how far to check.
//
// PROGRESS
//   find: wait-free (at most one pass over the probe; it never retries).
//   erase: lock-free (its CAS fails only if another erase of the key succeeded, or the key was
//   erased and inserted again; an overflow count's CAS fails only if another succeeded).
//   insert: lock-free among inserts of different keys (a claim or retag CAS fails only if another
//   succeeded). An insert meeting another insert of the SAME key while that one is between its
//   claim and its publication waits for it (step 4): a window of one CAS and a scan, without
//   allocation or system call; the registry reaches it only when a caller begins one session
//   from two threads at once, which the contract answers with an error anyway. Waiting is
//   deadlock-free: an insert holding a claim waits only for later claims of its key, and one that
//   waits for an earlier claim has freed its own. Why not help instead: a helper would have to
//   publish the other's claim with a CAS, and the owner too (a plain store could bring back a key
//   erased after the helper published it), and a helper's CAS can meet the same pending word
//   claimed again by a later insert that has not retagged yet. That costs a locked instruction
//   more on every fresh insert, and the ABA needs a generation the slot word has no room for.
//
// INVARIANTS (tags tagged.*)
//   (tagged.F) A free slot's word carries its tag byte: slot == free(x) implies tag byte == x.
//       The claim's CAS expects that exact word, so a claim of a slot tagged for k succeeds only
//       if the byte is k's at that instant, and no retag is needed.
//   (tagged.T) A slot holding an entry of k has k's tag byte: the byte changes only through its
//       pending owner's retag (step 3), which precedes the publication.
//   (tagged.O) A key at distance d from its home group counts in the overflow of each of the d
//       groups before it, from before its insert's check (so before its publication) until after
//       its erase or the release of its claim. (Counting before the claim, as insert does, is
//       more than the check needs: what matters is that the count precedes the check's loads.)
//   (tagged.U) A key has at most one entry: of two claims of one key, at most one publishes.
//
// LINEARIZATION POINTS
//   insert ok: the publishing store. exists: the load that saw k's entry.
//   erase ok: the CAS. find ok: the load of k's entry.
//   find and erase not_found: a moment of the call at which k had no entry. There is one: had k
//   kept one entry throughout, the groups before it would have overflowed all along (tagged.O)
//   and its slot's byte been k's (tagged.T), so the probe would have reached and read it.
//
// MEMORY ORDERING
//   (tagged.M1) publish is a release store, and every slot load of a find or an erase is acquire:
//        a value found happens-after the insert's caller's work before the insert (on_absent).
//   (tagged.M2) the erase CAS is acq_rel: erase hands the value to its caller.
//   (tagged.M3) claims, overflow increments and the check's loads are seq_cst: step 4 rests on a
//        store-buffering argument (two claims, each followed by loads of the other's slot), which
//        acquire and release do not give.
//   (tagged.M4) the retag CAS is release and control loads are acquire: a find that reads k's byte
//        reads the slot after it.
//   Overflow decrements are release: a find that sees the count fall sees the erase before it.
//
// COST MODEL (locked instructions on the group's line, uncontended)
//   insert of an absent key into a slot last used by a key of its tag (a returning key): 1, the
//   claim, plus the publishing store. Into another free slot: 2, claim and retag (the retag
//   writes the same line). Every full group passed: 1 more, on that group.
//   erase of a present key: 1 (plus 1 per group its insert passed).
//   find, miss, insert of a present key, erase of an absent one: none; no write at all.
//
// WHY THIS LAYOUT FOR THIS LOAD (sessions of a registry: endless fresh keys, misses on errors)
//   Against concurrent_map (one word per key, tombstones until a migration): an erase frees its
//   slot at once, so fresh keys never fill the table, and a miss reads one control word whatever
//   the churn, where tombstones lengthen probes until the next migration.
//   Against boost::concurrent_flat_map (the same groups and tags, 15 slots, a read-write spinlock
//   per group that finds take too): no lock, so finds write nothing and scale; Boost's insert
//   counter, which catches two inserts of one key racing into different groups, is here the
//   pending word and the check after the claim.
//   Against folly's F14 and SwissTable (tags, overflow counts, no concurrency): the same probe,
//   with 7 slots a group so that control and slots share one line (a hit reads one line), and
//   tags that outlive their keys, so that a returning key reclaims its slot without a retag.
//   Against growt (migrations of the whole table, tombstones): none here yet; growth is the next
//   step, and with slot reuse it is needed only when the live keys outgrow the table.
//
// WHAT IT DOES NOT DO YET
//   Grow: the constructor sizes the table for `expected_keys` at a load of 0.45 (about 20 bytes a
//   key), and an insert that finds every slot of the table held answers out_of_memory.
//   Keys must be in 1..max_key (2^56 - 1), values in 0..max_value (63), else invalid_key and
//   invalid_value. No size(), no iteration: stats() scans the table, for tests and benchmarks,
//   when no operation runs. Destruction requires quiescence.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "enlist/detail/atomic.hpp"
#include "enlist/detail/on_absent.hpp"
#include "enlist/detail/planted_bug.hpp"
#include "enlist/hash.hpp"
#include "enlist/map_status.hpp"

namespace enlist {

struct tagged_map_stats {
  std::size_t groups = 0;
  std::size_t capacity = 0;      // slots
  std::size_t live = 0;          // entries
  std::size_t pending = 0;       // claims not yet published or freed
  std::size_t displaced = 0;     // entries outside their home group
  std::size_t max_distance = 0;  // groups between an entry and its home
  std::size_t overflowing = 0;   // groups with a nonzero overflow count
  std::size_t table_bytes = 0;
};

template <class Hash = address_hash>
class tagged_map {
 public:
  using key_type = std::uintptr_t;
  using value_type = std::uint64_t;
  static constexpr value_type max_value = 63;
  static constexpr key_type max_key = (key_type{1} << 56) - 1;
  static constexpr unsigned slots_per_group = 7;
  // 2^33 keys take 2^31 groups (128 GiB); the home group is picked from 32 bits of the hash,
  // which must exceed the group count.
  static constexpr std::size_t max_expected_keys = std::size_t{1} << 33;

  // A table of ceil(expected_keys / (7 x 0.45)) groups, at least one, from `resource` (used here
  // only). Throws std::length_error above max_expected_keys, std::invalid_argument for a null
  // resource, std::bad_alloc; operations never throw.
  explicit tagged_map(std::size_t expected_keys,
                      std::pmr::memory_resource* resource = std::pmr::get_default_resource());
  ~tagged_map();
  tagged_map(const tagged_map&) = delete;
  tagged_map& operator=(const tagged_map&) = delete;

  // Adds key -> value if key is absent: ok, exists, out_of_memory (every slot held),
  // invalid_key, invalid_value. Progress: see PROGRESS.
  [[nodiscard]] map_status insert(key_type key, value_type value) noexcept {
    return insert(key, value, []() noexcept {});
  }
  // As concurrent_map's: on_absent() runs once, when the key was found absent, before the entry
  // can be found; if it returns bool, false declines the entry (refused). When it has run, the
  // call may still answer exists or out_of_memory.
  template <class OnAbsent>
  [[nodiscard]] map_status insert(key_type key, value_type value, OnAbsent&& on_absent) noexcept;

  // ok with the value, not_found, invalid_key. Writes nothing. Wait-free.
  [[nodiscard]] map_result find(key_type key) const noexcept;

  // Removes key and hands back its value: ok, not_found, invalid_key. An absent key writes
  // nothing. Lock-free; never allocates, frees or enters the kernel.
  [[nodiscard]] map_result erase(key_type key) noexcept;

  tagged_map_stats stats() const noexcept;

 private:
  struct alignas(64) group {
    detail::atomic<std::uint64_t> control{0};
    detail::atomic<std::uint64_t> slots[slots_per_group] = {};
  };
  static_assert(sizeof(detail::atomic<std::uint64_t>) == 8, "a group is one cache line");

  struct probe {
    std::size_t home;
    std::uint64_t tag;  // 0x80 | 7 bits of the hash
  };
  // A place in probe order: groups from home, then slots.
  struct place {
    std::size_t distance;
    unsigned slot;
    friend bool operator<(const place& a, const place& b) noexcept {
      return a.distance != b.distance ? a.distance < b.distance : a.slot < b.slot;
    }
  };
  struct lookup {
    bool found;
    place at;
    std::uint64_t word;
    // When not found: a free slot of the home group tagged for the key, or slots_per_group.
    unsigned home_slot_tagged_free;
  };
  struct claim {
    bool ok;
    place at;
    std::uint64_t tag_byte;  // the slot's byte while the claim holds it
  };
  enum class rival_kind { none, entry, pending };
  struct rival {
    rival_kind kind;
    place at;
    std::uint64_t word;
  };

  static constexpr std::uint64_t key_bits = (std::uint64_t{1} << 56) - 1;
  static constexpr std::uint64_t pending_bit = std::uint64_t{1} << 62;
  static constexpr std::uint64_t low_bytes = 0x0001010101010101ULL;  // the 7 tag bytes
  static constexpr std::uint64_t high_bits = 0x0080808080808080ULL;
  static constexpr std::uint64_t overflow_unit = std::uint64_t{1} << 56;
  static constexpr std::uint64_t overflow_saturated = 255;

  static bool valid(key_type key) noexcept { return key != 0 && key <= max_key; }
  static std::uint64_t free_word(std::uint64_t tag_byte) noexcept { return tag_byte << 56; }
  static bool is_free(std::uint64_t word) noexcept { return (word & key_bits) == 0; }
  static std::uint64_t key_of(std::uint64_t word) noexcept { return word & key_bits; }
  static bool is_pending(std::uint64_t word) noexcept { return (word & pending_bit) != 0; }
  static std::uint64_t value_of(std::uint64_t word) noexcept { return (word >> 56) & max_value; }
  static std::uint64_t entry_word(key_type key, value_type value) noexcept {
    return key | (value << 56);
  }
  static std::uint64_t byte_of(std::uint64_t control, unsigned slot) noexcept {
    return (control >> (8 * slot)) & 0xff;
  }
  static std::uint64_t overflow_of(std::uint64_t control) noexcept { return control >> 56; }
  // Slots whose tag byte equals `tag`, as a bit in the high bit of each byte. May flag a byte
  // above an equal one falsely (the borrow); callers compare keys, so that costs a load at most.
  static std::uint64_t matching(std::uint64_t control, std::uint64_t tag) noexcept {
    const std::uint64_t x = (control ^ (tag * low_bytes)) & (low_bytes * 0xff);
    return (x - low_bytes) & ~x & high_bits;
  }
  static unsigned slot_of(std::uint64_t match) noexcept {
    return static_cast<unsigned>(std::countr_zero(match)) / 8;
  }

  probe probe_of(key_type key) const noexcept {
    const std::uint64_t h = Hash{}(key);
    // The high 32 bits scaled to the group count (Lemire's multiply-shift: no division, and no
    // power-of-two rounding of the table); the tag takes 7 of the low bits.
    const auto home = static_cast<std::size_t>(((h >> 32) * groups_) >> 32);
    return {home, 0x80 | (h & 0x7f)};
  }
  group& group_at(const probe& p, std::size_t distance) const noexcept {
    std::size_t i = p.home + distance;
    if (i >= groups_) i -= groups_;
    return groups_array_[i];
  }

  lookup find_entry(const probe& p, key_type key) const noexcept;
  claim claim_tagged_free(const probe& p, key_type key, value_type value, unsigned slot) noexcept;
  claim claim_slot(const probe& p, key_type key, value_type value) noexcept;
  void retag(const probe& p, claim& c) noexcept;
  rival rival_of(const probe& p, key_type key, const place& mine) const noexcept;
  void release_claim(const probe& p, const claim& c) noexcept;
  void add_overflow(group& g) noexcept;
  void drop_overflow(group& g) noexcept;
  void drop_overflows(const probe& p, std::size_t groups_passed) noexcept;
  static void wait_while(const detail::atomic<std::uint64_t>& slot, std::uint64_t word) noexcept;

  std::pmr::memory_resource* const resource_;
  const std::size_t groups_;
  group* const groups_array_;
};

// ----------------------------------------------------------------------------------------------

namespace detail {
inline std::size_t tagged_groups_for(std::size_t expected_keys) {
  // 7 slots at a load of 0.45: expected / 3.15 groups.
  const std::size_t groups = (expected_keys * 20 + 62) / 63;
  return groups == 0 ? 1 : groups;
}
}  // namespace detail

template <class Hash>
tagged_map<Hash>::tagged_map(std::size_t expected_keys, std::pmr::memory_resource* resource)
    : resource_(resource != nullptr ? resource
                                    : throw std::invalid_argument("tagged_map: null resource")),
      groups_(expected_keys <= max_expected_keys
                  ? detail::tagged_groups_for(expected_keys)
                  : throw std::length_error("tagged_map: expected_keys above max_expected_keys")),
      groups_array_(
          static_cast<group*>(resource_->allocate(groups_ * sizeof(group), alignof(group)))) {
  for (std::size_t i = 0; i < groups_; ++i)
    new (&groups_array_[i]) group();
}

template <class Hash>
tagged_map<Hash>::~tagged_map() {
  static_assert(std::is_trivially_destructible_v<group>);
  resource_->deallocate(groups_array_, groups_ * sizeof(group), alignof(group));
}

template <class Hash>
typename tagged_map<Hash>::lookup tagged_map<Hash>::find_entry(const probe& p,
                                                               key_type key) const noexcept {
  unsigned tagged_free = slots_per_group;
  for (std::size_t d = 0; d < groups_; ++d) {
    const group& g = group_at(p, d);
    const std::uint64_t control = g.control.load(std::memory_order_acquire);  // (tagged.M4)
    for (std::uint64_t m = matching(control, p.tag); m != 0; m &= m - 1) {
      const unsigned i = slot_of(m);
      const std::uint64_t word = g.slots[i].load(std::memory_order_acquire);  // (tagged.M1)
      if (key_of(word) == key && !is_pending(word)) return {true, {d, i}, word, slots_per_group};
      if (d == 0 && word == free_word(p.tag)) tagged_free = i;
    }
    if (overflow_of(control) == 0) break;
  }
  return {false, {}, 0, tagged_free};
}

template <class Hash>
map_result tagged_map<Hash>::find(key_type key) const noexcept {
  if (!valid(key)) return {map_status::invalid_key, 0};
  const lookup l = find_entry(probe_of(key), key);
  if (!l.found) return {map_status::not_found, 0};
  return {map_status::ok, value_of(l.word)};
}

template <class Hash>
template <class OnAbsent>
map_status tagged_map<Hash>::insert(key_type key, value_type value, OnAbsent&& on_absent) noexcept {
  if (!valid(key)) return map_status::invalid_key;
  if (value > max_value) return map_status::invalid_value;
  const probe p = probe_of(key);
  bool announced = false;
  for (;;) {
    const lookup l = find_entry(p, key);
    if (l.found) return map_status::exists;
    if (!announced) {
      if (!detail::announce(on_absent)) return map_status::refused;
      announced = true;
    }
    // The probe just read a free slot tagged for key in its home group, the usual place of a
    // returning key: claim it at once; else (or if another claim took it) search for one.
    claim c = claim_tagged_free(p, key, value, l.home_slot_tagged_free);
    if (!c.ok) c = claim_slot(p, key, value);
    if (!c.ok) return map_status::out_of_memory;
    if (detail::planted(detail::planted_bug::tagged_publish_before_retag)) {
      group_at(p, c.at.distance).slots[c.at.slot].store(entry_word(key, value));
      retag(p, c);
      return map_status::ok;
    }
    retag(p, c);
    for (;;) {
      const rival r = detail::planted(detail::planted_bug::tagged_rival_check_skipped)
                          ? rival{rival_kind::none, {}, 0}
                          : rival_of(p, key, c.at);
      if (r.kind == rival_kind::none) {
        group_at(p, c.at.distance)
            .slots[c.at.slot]
            .store(entry_word(key, value), std::memory_order_release);  // (tagged.M1)
        return map_status::ok;
      }
      if (r.kind == rival_kind::entry) {
        release_claim(p, c);
        return map_status::exists;
      }
      if (r.at < c.at) {
        // An earlier claim of key goes first: step aside until it is settled, then start over.
        release_claim(p, c);
        wait_while(group_at(p, r.at.distance).slots[r.at.slot], r.word);
        break;
      }
      // A later claim of key: it yields to this one or has published; either changes its word.
      wait_while(group_at(p, r.at.distance).slots[r.at.slot], r.word);
    }
  }
}

template <class Hash>
typename tagged_map<Hash>::claim tagged_map<Hash>::claim_tagged_free(const probe& p, key_type key,
                                                                     value_type value,
                                                                     unsigned slot) noexcept {
  if (slot == slots_per_group) return {false, {}, 0};
  std::uint64_t expected = free_word(p.tag);
  // (tagged.M3) seq_cst, for the check after it; the expected word pins the tag (tagged.F).
  if (!group_at(p, 0).slots[slot].compare_exchange_strong(
          expected, entry_word(key, value) | pending_bit, std::memory_order_seq_cst,
          std::memory_order_relaxed)) {
    return {false, {}, 0};
  }
  return {true, {0, slot}, p.tag};
}

template <class Hash>
typename tagged_map<Hash>::claim tagged_map<Hash>::claim_slot(const probe& p, key_type key,
                                                              value_type value) noexcept {
  const std::uint64_t pending = entry_word(key, value) | pending_bit;
  for (std::size_t d = 0; d < groups_; ++d) {
    group& g = group_at(p, d);
    for (;;) {
      // A free slot tagged for key needs no retag (tagged.F); else the first free slot.
      const std::uint64_t control = g.control.load(std::memory_order_acquire);  // (tagged.M4)
      unsigned chosen = slots_per_group;
      std::uint64_t expected = 0;
      for (std::uint64_t m = matching(control, p.tag); m != 0; m &= m - 1) {
        const unsigned i = slot_of(m);
        if (g.slots[i].load(std::memory_order_relaxed) == free_word(p.tag)) {
          chosen = i;
          expected = free_word(p.tag);
          break;
        }
      }
      for (unsigned i = 0; chosen == slots_per_group && i < slots_per_group; ++i) {
        const std::uint64_t word = g.slots[i].load(std::memory_order_relaxed);
        if (is_free(word)) {
          chosen = i;
          expected = word;
        }
      }
      if (chosen == slots_per_group) break;  // full
      // (tagged.M3) seq_cst, for the check after it. The expected word pins the tag byte
      // (tagged.F); a relaxed load found it, and the CAS confirms it.
      if (g.slots[chosen].compare_exchange_strong(expected, pending, std::memory_order_seq_cst,
                                                  std::memory_order_relaxed)) {
        return {true, {d, chosen}, expected >> 56};
      }
    }
    // Every slot of g is held: key passes on, counted in g's overflow first (tagged.O).
    add_overflow(g);
  }
  drop_overflows(p, groups_);
  return {false, {}, 0};
}

template <class Hash>
void tagged_map<Hash>::retag(const probe& p, claim& c) noexcept {
  if (c.tag_byte == p.tag) return;
  group& g = group_at(p, c.at.distance);
  const unsigned shift = 8 * c.at.slot;
  std::uint64_t control = g.control.load(std::memory_order_relaxed);
  // Only the claim's owner writes this byte (tagged.F): the CAS retries for the other bytes.
  while (!g.control.compare_exchange_weak(
      control, (control & ~(std::uint64_t{0xff} << shift)) | (p.tag << shift),
      std::memory_order_release, std::memory_order_relaxed)) {  // (tagged.M4)
  }
  c.tag_byte = p.tag;
}

template <class Hash>
typename tagged_map<Hash>::rival tagged_map<Hash>::rival_of(const probe& p, key_type key,
                                                            const place& mine) const noexcept {
  for (std::size_t d = 0; d < groups_; ++d) {
    const group& g = group_at(p, d);
    for (unsigned i = 0; i < slots_per_group; ++i) {
      if (d == mine.distance && i == mine.slot) continue;
      const std::uint64_t word = g.slots[i].load(std::memory_order_seq_cst);  // (tagged.M3)
      if (key_of(word) != key) continue;
      return {is_pending(word) ? rival_kind::pending : rival_kind::entry, {d, i}, word};
    }
    // A later claim of key passed this group only if it counted itself here first.
    if (d >= mine.distance &&
        (overflow_of(g.control.load(std::memory_order_seq_cst)) == 0 ||  // (tagged.M3)
         detail::planted(detail::planted_bug::tagged_check_stops_early))) {
      break;
    }
  }
  return {rival_kind::none, {}, 0};
}

template <class Hash>
void tagged_map<Hash>::release_claim(const probe& p, const claim& c) noexcept {
  group_at(p, c.at.distance)
      .slots[c.at.slot]
      .store(free_word(c.tag_byte), std::memory_order_release);  // (tagged.F)
  drop_overflows(p, c.at.distance);
}

template <class Hash>
map_result tagged_map<Hash>::erase(key_type key) noexcept {
  if (!valid(key)) return {map_status::invalid_key, 0};
  const probe p = probe_of(key);
  for (;;) {
    const lookup l = find_entry(p, key);
    if (!l.found) return {map_status::not_found, 0};
    std::uint64_t expected = l.word;
    // The slot's byte is key's while the entry is there (tagged.T): its free word keeps it.
    if (group_at(p, l.at.distance)
            .slots[l.at.slot]
            .compare_exchange_strong(expected, free_word(p.tag), std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {  // (tagged.M2)
      drop_overflows(p, l.at.distance);
      return {map_status::ok, value_of(l.word)};
    }
    // Another erase of key won (and key may be back): look again.
  }
}

template <class Hash>
void tagged_map<Hash>::add_overflow(group& g) noexcept {
  std::uint64_t control = g.control.load(std::memory_order_relaxed);
  do {
    if (overflow_of(control) == overflow_saturated) return;
  } while (!g.control.compare_exchange_weak(control, control + overflow_unit,
                                            std::memory_order_seq_cst,
                                            std::memory_order_relaxed));  // (tagged.M3)
}

template <class Hash>
void tagged_map<Hash>::drop_overflow(group& g) noexcept {
  std::uint64_t control = g.control.load(std::memory_order_relaxed);
  do {
    if (overflow_of(control) == overflow_saturated) return;
  } while (!g.control.compare_exchange_weak(control, control - overflow_unit,
                                            std::memory_order_release, std::memory_order_relaxed));
}

template <class Hash>
void tagged_map<Hash>::drop_overflows(const probe& p, std::size_t groups_passed) noexcept {
  for (std::size_t d = 0; d < groups_passed; ++d)
    drop_overflow(group_at(p, d));
}

template <class Hash>
void tagged_map<Hash>::wait_while(const detail::atomic<std::uint64_t>& slot,
                                  std::uint64_t word) noexcept {
  for (unsigned spins = 0; slot.load(std::memory_order_acquire) == word; ++spins) {
    detail::waiting_point();
    if (spins >= 64) std::this_thread::yield();
  }
}

template <class Hash>
tagged_map_stats tagged_map<Hash>::stats() const noexcept {
  tagged_map_stats s;
  s.groups = groups_;
  s.capacity = groups_ * slots_per_group;
  s.table_bytes = groups_ * sizeof(group);
  for (std::size_t gi = 0; gi < groups_; ++gi) {
    const group& g = groups_array_[gi];
    if (overflow_of(g.control.load(std::memory_order_acquire)) != 0) ++s.overflowing;
    for (const auto& slot : g.slots) {
      const std::uint64_t word = slot.load(std::memory_order_acquire);
      if (is_free(word)) continue;
      if (is_pending(word)) {
        ++s.pending;
        continue;
      }
      ++s.live;
      const std::size_t home = probe_of(static_cast<key_type>(key_of(word))).home;
      const std::size_t distance = gi >= home ? gi - home : gi + groups_ - home;
      if (distance != 0) ++s.displaced;
      if (distance > s.max_distance) s.max_distance = distance;
    }
  }
  return s;
}

}  // namespace enlist
