#pragma once
// Which live sessions a thread looks up: uniform, or skewed by a Zipf law (theta 0.99, as YCSB),
// generated before the timed loop as a ring of indices.
//
// Zipf ranks come from Gray et al.'s closed-form sampler ("Quickly generating billion-record
// synthetic databases", SIGMOD'94, the one YCSB uses); rank r is mapped to state
// (r * 2654435761 + 12345) mod N, a bijection for the N used here (the multiplier is a prime
// other than 2 and 5), so the hot sessions are scattered over the arena, not adjacent.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string_view>
#include <vector>

namespace enlist::bench {

enum class access { uniform, zipf };

inline std::string_view access_name(access a) {
  return a == access::uniform ? "uniform" : "zipf";
}

inline constexpr double zipf_theta = 0.99;

// zeta(n, theta): sum over i in 1..n of 1/i^theta; computed once per n (O(n)).
inline double zeta(std::size_t n) {
  static std::mutex mutex;
  static std::map<std::size_t, double> cache;
  std::lock_guard lock(mutex);
  auto [it, fresh] = cache.try_emplace(n, 0.0);
  if (fresh) {
    double sum = 0;
    for (std::size_t i = 1; i <= n; ++i)
      sum += 1.0 / std::pow(static_cast<double>(i), zipf_theta);
    it->second = sum;
  }
  return it->second;
}

// `count` indices in [0, n), count a power of two.
inline std::vector<std::uint32_t> make_indices(access a, std::size_t n, std::size_t count,
                                               std::uint64_t seed) {
  std::vector<std::uint32_t> out(count);
  std::mt19937_64 rng(seed);
  if (a == access::uniform) {
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    for (auto& i : out)
      i = static_cast<std::uint32_t>(pick(rng));
    return out;
  }
  const double zetan = zeta(n);
  const double zeta2 = 1.0 + std::pow(0.5, zipf_theta);
  const double alpha = 1.0 / (1.0 - zipf_theta);
  const double eta =
      (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - zipf_theta)) / (1.0 - zeta2 / zetan);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (auto& i : out) {
    const double u = unit(rng);
    const double uz = u * zetan;
    std::uint64_t rank;
    if (uz < 1.0) {
      rank = 0;
    } else if (uz < zeta2) {
      rank = 1;
    } else {
      rank =
          static_cast<std::uint64_t>(static_cast<double>(n) * std::pow(eta * u - eta + 1.0, alpha));
    }
    if (rank >= n) rank = n - 1;
    i = static_cast<std::uint32_t>((rank * 2654435761ULL + 12345) % n);
  }
  return out;
}

}  // namespace enlist::bench
