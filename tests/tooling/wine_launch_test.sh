#!/bin/sh
# wine_launch.sh (the Windows test launcher) against a stand-in for Wine: it launches again a
# program that never started, at most three launches in all, and never one that started and
# failed; it passes every exit status through.
#   wine_launch_test.sh <path of wine_launch.sh>
launch="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The stand-in emulator: `fake MODE` behaves as Wine running a program that, per MODE,
#   starts-and-passes, starts-and-fails (exit 3), never-starts (exit 1, no marker), or
#   starts-on-second (never starts on the first launch, then starts and passes).
cat > "$work/fake" <<'FAKE'
#!/bin/sh
mode="$1"
count_file="$(dirname "$0")/launches"
echo x >> "$count_file"
started() { : > "${ENLIST_LAUNCH_MARKER#Z:}"; }
case "$mode" in
  starts-and-passes) started; exit 0 ;;
  starts-and-fails) started; exit 3 ;;
  never-starts) exit 1 ;;
  starts-on-second) [ "$(wc -l < "$count_file")" -ge 2 ] && { started; exit 0; }; exit 1 ;;
esac
FAKE
chmod +x "$work/fake"
failures=0
expect() {  # expect MODE STATUS LAUNCHES
  rm -f "$work/launches"
  "$launch" "$work/fake" "$1" 2> "$work/stderr"
  status=$?
  launches=$(wc -l < "$work/launches")
  if [ "$status" -ne "$2" ] || [ "$launches" -ne "$3" ]; then
    echo "FAIL: $1: exit status $status (want $2), $launches launches (want $3)"
    cat "$work/stderr"
    failures=$((failures + 1))
  else
    echo "ok: $1: exit status $status after $launches launch(es)"
  fi
}
expect starts-and-passes 0 1
expect starts-and-fails 3 1
expect never-starts 1 3
expect starts-on-second 0 2
grep -q "never started" "$work/stderr" || { echo "FAIL: the retry was not reported"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ]
