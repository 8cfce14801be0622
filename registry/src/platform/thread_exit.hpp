#pragma once
// Gives a thread's reclamation record back when the thread exits, for every thread that used a
// map, including threads the library did not create (a thread pool's, a COM apartment's). One
// implementation per platform:
//   thread_exit_posix.cpp     a pthread key destructor
//   thread_exit_windows.cpp   a TLS callback and a native TLS slot

namespace enlist::reclaim {
struct thread_record;
}

namespace enlist::reclaim::platform {

// Arranges for epoch_domain's release of `record` when the calling thread exits, replacing any
// record set before on this thread. If the system cannot (it is out of keys or slots), the record
// stays with its thread after the thread exits: a bounded leak of one record per thread, never
// a use after free.
void release_at_thread_exit(thread_record* record) noexcept;

}  // namespace enlist::reclaim::platform
