// Runs a libFuzzer harness (LLVMFuzzerTestOneInput) over stored inputs without libFuzzer, so that
// the ordinary test suite replays the corpus under any compiler and sanitizer.
//
//   <harness>_replay [--sweep N [--from K]] <file or directory>...
//
// A failing input aborts inside the harness. --sweep N (scheduled harnesses only) runs every
// input under N schedules, seeds s + K ... s + K + N - 1 where s is the input's own seed: a
// search for an interleaving that breaks a given program, e.g. one that failed on real threads.
// A sweep reports its progress on stderr about every ten seconds (schedules done, their rate, the
// time left), so that a long search is visibly running and can be resumed with --from.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "support/fuzz_check.hpp"
#include "support/fuzz_entry.hpp"

namespace {

std::vector<char> read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int usage() {
  std::fprintf(stderr, "usage: replay [--sweep N [--from K]] <input file or directory>...\n");
  return 2;
}

bool parse_count(const char* text, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(text, &end, 10);
  return end != text && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t sweep = 1;
  std::uint64_t from = 0;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const bool is_sweep = std::strcmp(argv[i], "--sweep") == 0;
    if (is_sweep || std::strcmp(argv[i], "--from") == 0) {
      if (i + 1 == argc || !parse_count(argv[++i], is_sweep ? sweep : from) || sweep == 0) {
        return usage();
      }
#if !defined(ENLIST_DETERMINISTIC_SCHEDULE)
      std::fprintf(stderr, "%s needs a scheduled harness (<harness>_scheduled_replay)\n",
                   argv[i - 1]);
      return 2;
#endif
      continue;
    }
    const std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());  // a stable order makes a failure reproducible
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::is_regular_file(path)) {
      files.push_back(path);
    } else {
      std::fprintf(stderr, "no such input: %s\n", argv[i]);
      return 2;
    }
  }
  using clock = std::chrono::steady_clock;
  const auto started = clock::now();
  auto next_report = started + std::chrono::seconds(10);
  const std::uint64_t total = sweep * files.size();
  std::uint64_t done = 0;
  for (const auto& file : files) {
    const std::vector<char> bytes = read(file);
    for (std::uint64_t k = 0; k < sweep; ++k, ++done) {
      enlist::test::schedule_sweep_offset() = from + k;
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      if (sweep > 1 && clock::now() >= next_report) {
        const double seconds = std::chrono::duration<double>(clock::now() - started).count();
        const double rate = static_cast<double>(done + 1) / seconds;
        std::fprintf(
            stderr, "sweep: %s: %llu of %llu schedules (--from %llu), %.0f/s, %.0f s left\n",
            file.filename().string().c_str(), static_cast<unsigned long long>(k + 1),
            static_cast<unsigned long long>(sweep), static_cast<unsigned long long>(from + k + 1),
            rate, static_cast<double>(total - done - 1) / rate);
        next_report = clock::now() + std::chrono::seconds(10);
      }
    }
  }
  std::printf("replayed %zu inputs", files.size());
  if (sweep > 1) std::printf(" under %llu schedules each", static_cast<unsigned long long>(sweep));
  std::printf("\n");
  // An empty corpus proves nothing: refuse it rather than pass.
  return files.empty() ? 1 : 0;
}
