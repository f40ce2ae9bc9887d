#!/bin/bash
# log_target = stdout with clmd's stdout a pipe that nobody reads (a
# container whose log collector hung): an app floods its stdout until the
# pipe is full and clm-logd blocks writing. SIGTERM to clmd: every app
# stops and clmd exits 0 within a bound, not held up by clm-logd stuck in
# its write; clmd.log says how many bytes of console lines were dropped.
. "$(dirname "$0")/lib.sh"

cat >"$TEST_TMP/apps.ini" <<INI
[flood]
script = $FIXTURES/spew.js
log_target = stdout
env.SPEW_MS = 600000
env.SPEW_MB = 200
INI

check "clmd --foreground, stdout a pipe nobody reads, an app flooding"
mkdir -p "$CLM_HOME"
mkfifo "$TEST_TMP/pipe"
sleep 600 <"$TEST_TMP/pipe" &	# opens the pipe, never reads it
reader=$!
track_pid "$reader"
env CLM_HOME="$CLM_HOME" "$CLM_BIN_DIR/clmd" --foreground \
    --apps "$TEST_TMP/apps.ini" >"$TEST_TMP/pipe" 2>"$TEST_TMP/err" &
clmd=$!
track_pid "$clmd"
wait_until 30 all_online flood 1
spew=$(pid_of flood 0)
# The pipe is full once clm-logd stops taking the worker's output: the
# worker's own pipe fills too and its written bytes stop growing.
wchar() { awk '/^wchar/ { print $2 }' "/proc/$spew/io"; }
stalled() {
	local a b
	a=$(wchar)
	sleep 1
	b=$(wchar)
	[ "$a" = "$b" ] && [ "$a" -gt 1000000 ]
}
wait_until 60 stalled
ok "the worker is stalled after $(wchar) bytes: clm-logd blocks on the pipe"

check "SIGTERM: clmd exits 0 within 10 s"
t0=$(now_ms)
kill -TERM "$clmd"
clmd_gone() { pid_dead "$clmd"; }
wait_until 30 clmd_gone
took=$(($(now_ms) - t0))
wait "$clmd"
rc=$?
note "clmd exited $rc after $took ms"
assert_eq "$rc" 0 "clmd's exit status"
assert_lt "$took" 10000 "ms from SIGTERM to clmd's exit"
assert_contains "$(cat "$TEST_TMP/err")" "every app stopped; exiting" "stderr"
said=$(grep -E "clm-logd: .*[0-9]+ bytes of console lines dropped" \
    "$CLM_HOME/clmd.log") || fail "clmd.log does not say what was dropped"
note "$said"
ok "exited in $took ms"
kill "$reader"
wait "$reader" 2>/dev/null || true
