#pragma once
// Linearizability checking of recorded concurrent histories, one key at a time.
//
// A history is what threads observed: for every operation its thread, key, input, output and two
// stamps of one global clock, taken just before the call (invocation) and just after it returned
// (response). The history is linearizable when the operations can be put in one sequence that
// (a) keeps every operation that responded before another was invoked ahead of it, and (b) is a
// legal run of the sequential specification. Keys are independent in every structure enlist
// checks (a map, a registry keyed by state identity), so by locality (Herlihy & Wing, 1990) the
// whole history is linearizable exactly when each key's sub-history is.
//
// The search is Wing & Gong's (1993): repeatedly pick an operation that may go next (it was
// invoked before the earliest response among the operations not yet placed), apply it to the
// specification, recurse, and backtrack when the specification refuses its output. Lowe's
// memoisation ("Testing for linearizability", 2017) makes it practical: a configuration is the
// set of placed operations plus the specification state, and a configuration that failed once
// fails again. Each thread's operations are placed in program order, so the set of placed
// operations is just how far each thread has got, and a configuration is a short vector.
//
// A specification is a type with
//   using input = ...; using output = ...;
//   static constexpr std::uint64_t initial;          // the key's state before any operation,
//   static std::optional<std::uint64_t>                // encoded in 64 bits
//       step(std::uint64_t state, const input&, const output&);  // next state, or nullopt
//   static std::string describe(const input&, const output&);    // for failure reports
// where step returns the state after the operation when the output is one the sequential
// contract allows from that state.

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace enlist::test {

template <class S>
concept sequential_spec = requires(std::uint64_t state, const typename S::input& in,
                                   const typename S::output& out) {
  { S::initial } -> std::convertible_to<std::uint64_t>;
  { S::step(state, in, out) } -> std::same_as<std::optional<std::uint64_t>>;
  { S::describe(in, out) } -> std::same_as<std::string>;
};

// Stamps for invocations and responses. A sequentially consistent counter: if one operation's
// response stamp is below another's invocation stamp, the first returned before the second was
// called, so the real-time order the checker enforces is one the threads really had.
class history_clock {
 public:
  std::uint64_t now() noexcept { return ticks_.fetch_add(1, std::memory_order_seq_cst); }

 private:
  std::atomic<std::uint64_t> ticks_{0};
};

template <sequential_spec Spec>
struct event {
  std::uint64_t key;
  typename Spec::input input;
  typename Spec::output output;
  std::uint64_t invoked;
  std::uint64_t responded;
};

// What one thread did, in program order. Each thread writes only its own log, so recording
// adds no synchronisation between the threads beyond the clock.
template <sequential_spec Spec>
using thread_log = std::vector<event<Spec>>;

struct check_result {
  bool linearizable = true;
  std::string report;              // the offending key's sub-history when not linearizable
  std::size_t configurations = 0;  // configurations explored, to size the histories
  std::size_t overlapping = 0;  // operations whose interval overlaps another thread's on their key
};

namespace detail {

template <sequential_spec Spec>
class key_search {
 public:
  explicit key_search(std::vector<std::vector<const event<Spec>*>> threads)
      : threads_(std::move(threads)), position_(threads_.size(), 0) {}

  bool run() { return search(Spec::initial); }
  std::size_t explored() const { return failed_.size(); }

 private:
  bool search(std::uint64_t state) {
    std::uint64_t earliest_response = std::numeric_limits<std::uint64_t>::max();
    bool done = true;
    for (std::size_t t = 0; t < threads_.size(); ++t) {
      if (position_[t] < threads_[t].size()) {
        done = false;
        earliest_response = std::min(earliest_response, threads_[t][position_[t]]->responded);
      }
    }
    if (done) return true;
    for (std::size_t t = 0; t < threads_.size(); ++t) {
      if (position_[t] == threads_[t].size()) continue;
      const event<Spec>& e = *threads_[t][position_[t]];
      // Placing e first is allowed only if nothing still unplaced finished before e began.
      if (e.invoked > earliest_response) continue;
      const std::optional<std::uint64_t> next = Spec::step(state, e.input, e.output);
      if (!next) continue;
      ++position_[t];
      const std::string config = configuration(*next);
      const bool found = !failed_.contains(config) && search(*next);
      if (!found) failed_.insert(config);
      --position_[t];
      if (found) return true;
    }
    return false;
  }

  std::string configuration(std::uint64_t state) const {
    std::string config(reinterpret_cast<const char*>(&state), sizeof state);
    for (const std::size_t p : position_) {
      const auto compact = static_cast<std::uint16_t>(p);
      config.append(reinterpret_cast<const char*>(&compact), sizeof compact);
    }
    return config;
  }

  std::vector<std::vector<const event<Spec>*>> threads_;
  std::vector<std::size_t> position_;
  std::unordered_set<std::string> failed_;
};

// Operations overlapping in time with another thread's operation on the same key: a history
// without any is trivially linearizable, so tests use this to show that they produced contention.
template <sequential_spec Spec>
std::size_t count_overlapping(const std::vector<std::vector<const event<Spec>*>>& threads) {
  std::size_t overlapping = 0;
  for (std::size_t t = 0; t < threads.size(); ++t) {
    for (const event<Spec>* e : threads[t]) {
      const auto overlaps = [&](const event<Spec>* other) {
        return other->invoked < e->responded && e->invoked < other->responded;
      };
      for (std::size_t u = 0; u < threads.size(); ++u) {
        if (u != t && std::any_of(threads[u].begin(), threads[u].end(), overlaps)) {
          ++overlapping;
          break;
        }
      }
    }
  }
  return overlapping;
}

}  // namespace detail

// Checks every key of a history given as one log per thread. Histories are expected to be short
// (tens of operations per key); the search is exponential in the worst case.
template <sequential_spec Spec>
check_result check_linearizable(const std::vector<thread_log<Spec>>& logs) {
  // key -> per-thread sub-logs, each still in program order.
  std::map<std::uint64_t, std::vector<std::vector<const event<Spec>*>>> by_key;
  for (std::size_t t = 0; t < logs.size(); ++t) {
    for (const event<Spec>& e : logs[t]) {
      auto& threads = by_key[e.key];
      threads.resize(logs.size());
      threads[t].push_back(&e);
    }
  }
  check_result result;
  for (auto& [key, threads] : by_key) {
    result.overlapping += detail::count_overlapping(threads);
    detail::key_search<Spec> search(threads);
    const bool ok = search.run();
    result.configurations += search.explored();
    if (ok) continue;
    std::ostringstream report;
    report << "key " << std::hex << key << std::dec << " has no linearization:\n";
    for (std::size_t t = 0; t < threads.size(); ++t) {
      for (const event<Spec>* e : threads[t]) {
        report << "  thread " << t << " [" << e->invoked << ", " << e->responded << "] "
               << Spec::describe(e->input, e->output) << '\n';
      }
    }
    result.linearizable = false;
    result.report = report.str();
    return result;
  }
  return result;
}

}  // namespace enlist::test
