#pragma once
// What every packaging consumer checks against the installed enlist. 0 when every answer was the
// contract's.
#include <enlist/provider.hpp>
#include <enlist/session_ptr.hpp>

#include <atomic>
#include <thread>
#include <vector>

// Begin, end, and the refused second end.
inline int provider_round_trip() {
  enlist::provider provider;
  auto state = enlist::make_session_state();
  if (provider.BeginSession(enlist::sync_provider_role::source, state.get()) != enlist::S_OK) {
    return 1;
  }
  if (provider.EndSession(state.get()) != enlist::S_OK) return 2;
  return provider.EndSession(state.get()) == enlist::SYNC_E_INVALID_OPERATION ? 0 : 3;
}

// Threads beginning and ending their own sessions while another cancels and sweeps: enough for
// ThreadSanitizer to check a client against an instrumented install (and to report the library's
// synchronisation as races when the install is not instrumented).
inline int threaded_round_trip() {
  constexpr int threads = 4;
  constexpr int sessions_per_thread = 2000;
  enlist::provider provider;
  std::atomic<int> wrong{0};
  std::atomic<bool> done{false};
  std::thread sweeper([&] {
    while (!done.load()) {
      if (provider.EndCanceledSessions().status != enlist::S_OK) wrong.fetch_add(1);
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < sessions_per_thread; ++i) {
        auto state = enlist::make_session_state();
        if (provider.BeginSession(enlist::sync_provider_role::destination, state.get()) !=
            enlist::S_OK) {
          wrong.fetch_add(1);
          continue;
        }
        if (i % 2 == 0) state->cancel();  // the sweeper or this thread ends it, never both
        const enlist::hresult ended = provider.EndSession(state.get());
        if (ended != enlist::S_OK && ended != enlist::SYNC_E_INVALID_OPERATION) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& w : workers)
    w.join();
  done.store(true);
  sweeper.join();
  return wrong.load() == 0 ? 0 : 4;
}
