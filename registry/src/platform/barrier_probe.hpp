#pragma once
// Evidence that a process-wide barrier call does what the heavy fence needs of it, taken by
// running the store-buffering litmus test (Sewell et al.'s SB) between this thread and one it
// starts:
//
//     light side (started thread)                   heavy side (this thread)
//     stores that miss the cache; x = 1;            y = 1; barrier(); r2 = x
//     compiler barrier; r1 = y
//
// x86 and every weaker architecture allow r1 == r2 == 0 while the light side's store of x still
// sits in its store buffer; a process-wide barrier forbids it, since it drains that buffer before
// it returns (that is the whole point of the asymmetric fence). The stores that miss the cache
// keep x in the buffer for hundreds of nanoseconds, so that the outcome stays possible even when
// the call takes time. The probe first times the call, then runs rounds in which, by a coin
// toss per round, either the call or a spin of the same length sits between the heavy side's
// store and load. The spin rounds show how often the outcome happens here and now; a call that
// ordered nothing would show it as often, round for round, however the machine's load or
// interconnect changes during the probe (a drift between a first phase of spins and a second of
// calls once made a call that does nothing look like a barrier). One reordering in a call round:
// the call is not a barrier. None there while the spin rounds showed 40: it is shown to work
// (a call that orders nothing does that with probability 2^-40).
//
// A call that does nothing, or that only takes time (Wine 8.0's FlushProcessWriteBuffers costs
// about 80 ns and orders nothing; a full fence on the heavy side alone), is found broken. When
// the spin rounds show too few reorderings (one core, a machine too loaded for the threads to
// overlap, a barrier slower than the store buffer can be kept full), it answers not_shown, and
// the caller must then not rely on the call.

namespace enlist::reclaim::platform {

enum class barrier_evidence {
  works,      // no reordering with the call, where interleaved spins of its length showed many
  broken,     // the reordering happened with the call in place
  not_shown,  // the spin rounds could not show the reordering, or no thread could be started
};

// Takes about 10 to 400 ms; starts and joins one thread. Never throws.
barrier_evidence probe_barrier(void (*barrier)() noexcept) noexcept;

}  // namespace enlist::reclaim::platform
