#include <pthread.h>

#include "enlist/reclaim/epoch.hpp"
#include "platform/thread_exit.hpp"

namespace enlist::reclaim {

// A pthread key destructor rather than a thread_local object: glibc runs key destructors after
// every C++ thread_local destructor, so a thread_local whose destructor still uses a map finds
// its record (or registers again, and the key's destructor runs again for the new value).
struct record_releaser {
  static void release(void* record) noexcept {
    epoch_domain::thread_exited(*static_cast<thread_record*>(record));
  }
  static constexpr pthread_key_t no_key = static_cast<pthread_key_t>(-1);
  static pthread_key_t key() noexcept {
    static const pthread_key_t k = [] {
      pthread_key_t created{};
      if (pthread_key_create(&created, &release) != 0) created = no_key;
      return created;
    }();
    return k;
  }
};

void platform::release_at_thread_exit(thread_record* record) noexcept {
  if (const pthread_key_t key = record_releaser::key(); key != record_releaser::no_key) {
    pthread_setspecific(key, record);
  }
}

}  // namespace enlist::reclaim
