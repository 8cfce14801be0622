#pragma once
// Bugs that the test suite plants on purpose, to show that its checkers catch what they claim to
// catch: a linearizability checker that never sees a migration bug proves nothing about
// migrations. Each is a one-line deviation at the place where the real code keeps an invariant.
//
// Production builds: planted() is constexpr false, so every planted branch is dead code the
// compiler removes. Scheduled builds (detail/atomic.hpp; only ever in the test suite): a test
// switches one bug on for the duration of a check.

namespace enlist::detail {

enum class planted_bug {
  none,
  freeze_skipped,              // a migration counts and copies cells without freezing them
  copy_unverified,             // a migration publishes without checking that every chunk was copied
  late_copy_overwrites,        // a copier overwrites cells of a successor already in use
  reclaim_ignores_readers,     // retired tables are freed while guards still protect them
  sweep_hand_off_skipped,      // an end releases a state that a sweep is handing to user code
  tagged_rival_check_skipped,  // tagged_map: an insert publishes without looking for other claims
  tagged_publish_before_retag,  // tagged_map: an entry is published before its slot is retagged
  tagged_check_stops_early,     // tagged_map: an insert's check ignores groups after its own
};

// Worst cases that are legal but rare on real threads, which a scheduled test can force to make
// the paths that handle them common.
enum class worst_case {
  none,
  successor_sized_for_no_keys,  // every sizing estimate reads zero live keys (as one torn by a
                                // preemption in the middle of its sum may)
};

#if defined(ENLIST_DETERMINISTIC_SCHEDULE)
inline worst_case worst_case_in_effect = worst_case::none;
inline bool forced(worst_case w) noexcept {
  return worst_case_in_effect == w;
}
inline planted_bug planted_bug_in_effect = planted_bug::none;
inline bool planted(planted_bug bug) noexcept {
  return planted_bug_in_effect == bug;
}
#else
constexpr bool forced(worst_case) noexcept {
  return false;
}
constexpr bool planted(planted_bug) noexcept {
  return false;
}
#endif

}  // namespace enlist::detail
