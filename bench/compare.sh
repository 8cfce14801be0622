#!/usr/bin/env bash
# Compares two result folders (two platforms, or two runs of one):
#   bench/compare.sh results/<platform-a> results/<platform-b> [> comparison.md]
# prints a Markdown table of ratios B/A per workload and backend (medians), then Google
# Benchmark's own comparison (/usr/share/benchmark/compare.py, libbenchmark-tools) with its
# Mann-Whitney U test where both sides have enough repetitions (it wants 9: the full profile).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 RESULT_DIR_A RESULT_DIR_B" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
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
