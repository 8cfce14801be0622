#!/bin/sh
# Runs one test program of the Windows build under Wine: wine_launch.sh EMULATOR PROGRAM [ARGS].
# A program that exits non-zero without having started (it creates ENLIST_LAUNCH_MARKER's file
# before main: launch_marker.c) was never run by Wine: that launch is retried, at most twice
# more, and said so on stderr. A program that started is never retried: its exit code is the
# test's result, pass or fail.
emulator="$1"
shift
marker="${TMPDIR:-/tmp}/enlist-launch-$$"
for attempt in 1 2 3; do
  rm -f "$marker"
  ENLIST_LAUNCH_MARKER="Z:$marker" "$emulator" "$@"
  status=$?
  if [ "$status" -eq 0 ] || [ -e "$marker" ]; then
    rm -f "$marker"
    exit "$status"
  fi
  echo "wine_launch: $1 never started (exit status $status, attempt $attempt of 3)" >&2
done
exit "$status"
