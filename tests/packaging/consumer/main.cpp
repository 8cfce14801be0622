// A program built against an installed enlist (find_package or pkg-config).
#include <enlist/version.hpp>

#include <cstdio>

#include "round_trip.hpp"

int main() {
  std::puts(ENLIST_VERSION_STRING);  // the packaging test compares it with pkg-config's
  if (const int failed = provider_round_trip(); failed != 0) return failed;
  return threaded_round_trip();
}
