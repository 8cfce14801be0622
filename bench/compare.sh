#!/usr/bin/env bash
# The cross-platform report, or a comparison of two result folders:
#   bench/compare.sh [RESULTS_DIR]
#     writes RESULTS_DIR/README.md (default results/) and platforms.png: every platform in it side
#     by side, measured ones as enlist's rate and its ratio to the best peer, emulated ones as
#     "tested, not measured" (bench/platforms_report.py)
#   bench/compare.sh results/<platform-a> results/<platform-b> [> comparison.md]
#     prints a Markdown table of ratios B/A per workload and backend (medians), then Google
#     Benchmark's own comparison (/usr/share/benchmark/compare.py, libbenchmark-tools) with its
#     Mann-Whitney U test where both sides have enough repetitions (it wants 9: the full profile).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ $# -le 1 ]; then
  results="${1:-$here/../results}"
  /usr/bin/python3 "$here/platforms_report.py" "$results"
  echo "wrote $results/README.md"
  exit 0
fi
[ $# -eq 2 ] || { echo "usage: $0 [RESULTS_DIR] | RESULT_DIR_A RESULT_DIR_B" >&2; exit 2; }
/usr/bin/python3 "$here/report.py" --compare "$1" "$2"
if [ -f /usr/share/benchmark/compare.py ]; then
  echo
  echo '## Google Benchmark compare.py (time per item; negative = B faster)'
  echo
  echo '```'
  /usr/bin/python3 /usr/share/benchmark/compare.py --no-color benchmarks \
    "$1/benchmarks.json" "$2/benchmarks.json" || true
  echo '```'
fi
