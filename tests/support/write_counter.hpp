#pragma once
// Counts the writes the calling thread makes to the library's atomics, for tests that check a
// cost model (the scheduled build reports every write: detail/atomic.hpp). A write counts as
// the thread's own when it lands in its reclamation record (its announcements: no other thread
// writes there); every other read-modify-write counts as shared, and plain stores are counted
// apart, with the words they went to; lines initialised before other threads read them (a
// successor's cells being zeroed) are counted too. Tests using it run their operations on one
// thread.

#include <cstdint>
#include <set>
#include <utility>

#include "enlist/detail/atomic.hpp"
#include "enlist/reclaim/epoch.hpp"
#include "schedule/deterministic_schedule.hpp"

namespace enlist::test {

// One operation's writes, by where they go.
struct writes {
  int shared = 0;                        // read-modify-writes outside the caller's record
  int stores = 0;                        // plain stores outside the caller's record
  int initialised_lines = 0;             // lines of memory prepared before others read it
  std::set<std::uintptr_t> lines;        // 64-byte lines either kind wrote
  std::set<std::uintptr_t> store_words;  // words the plain stores wrote
};

// Counts the writes of the calling thread; the tests run their operations on one thread.
class write_counter final : public write_observer {
 public:
  write_counter() : record_(&enlist::reclaim::epoch_domain::global().this_thread()) {
    deterministic_schedule::observe_writes(this);
  }
  ~write_counter() { deterministic_schedule::observe_writes(nullptr); }
  write_counter(const write_counter&) = delete;
  write_counter& operator=(const write_counter&) = delete;

  void write(const void* where, enlist::detail::write_kind kind) noexcept override {
    const auto a = reinterpret_cast<std::uintptr_t>(where);
    const auto own = reinterpret_cast<std::uintptr_t>(record_);
    if (a >= own && a < own + sizeof *record_) return;
    if (kind == enlist::detail::write_kind::initialise) {
      ++now_.initialised_lines;
    } else if (kind == enlist::detail::write_kind::store) {
      ++now_.stores;
      now_.store_words.insert(a);
    } else {
      ++now_.shared;
    }
    now_.lines.insert(a / 64);
  }

  // The writes since the last call.
  writes take() { return std::exchange(now_, writes{}); }

 private:
  const enlist::reclaim::thread_record* record_;  // registered before counting starts
  writes now_;
};

}  // namespace enlist::test
