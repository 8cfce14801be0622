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
// the call takes time. The probe first times the call, then runs control rounds in which a spin
// of the same length stands in for it: the reorderings they show prove that the two threads
// overlap closely enough, here and now, for a call that orders nothing to show them too. Then it
// runs as many rounds with the call as should show dozens if the call ordered nothing. One
// reordering there: the call is not a barrier. None: it is shown to work.
//
// A call that does nothing, or that only takes time (Wine 8.0's FlushProcessWriteBuffers costs
// about 80 ns and orders nothing; a full fence on the heavy side alone), is found broken. When
// the control rounds show too few reorderings (one core, a machine too loaded for the threads to
// overlap, a barrier slower than the store buffer can be kept full), it answers not_shown, and
// the caller must then not rely on the call.

namespace enlist::reclaim::platform {

enum class barrier_evidence {
  works,      // no reordering with the call, where control rounds of its length showed many
  broken,     // the reordering happened with the call in place
  not_shown,  // the control rounds could not show the reordering, or no thread could be started
};

// Takes about 10 to 200 ms; starts and joins one thread. Never throws.
barrier_evidence probe_barrier(void (*barrier)() noexcept) noexcept;

}  // namespace enlist::reclaim::platform
