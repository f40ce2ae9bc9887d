#!/bin/bash
# Thousands of real workers cost in proportion: start, clm list --json and
# clm delete all of 4N /bin/sleep apps take about 4 times what N take, not
# 16 (a fork that copies clmd's page tables and fds for each worker, zombies
# left to the 5 s sweep, a search of every app per app...), and delete all
# leaves no process. Counted in CPU time, clmd's and the workers' (the
# machine may be busy: wall times only with a generous bound), each
# against a floor below which the cost says nothing. The same steps
# without processes, and the cost of a spawn beside thousands of fds, are
# counted closer in the unit tests (test_scale.c, test_spawn.c).
. "$(dirname "$0")/lib.sh"

SMALL=${CLM_SCALE_SMALL:-500}
BIG=${CLM_SCALE_BIG:-2000}
# Ratios: linear is BIG/SMALL (4); quadratic 16. Failing above 9.
MAX_RATIO=9
FLOOR_TICKS=30		# clmd CPU (1/100 s) under which any cost passes

ulimit -n "$(ulimit -Hn)" 2>/dev/null
need=$((64 + 4 * BIG + 256))
[ "$(ulimit -n)" -ge "$need" ] ||
	{ echo "SKIP: $TEST_NAME: needs $need open files (ulimit -Hn)"; exit 0; }

sleep_apps() {	# sleep_apps FILE PREFIX N
	local i
	for ((i = 0; i < $3; i++)); do
		printf '[%s%d]\nscript = /bin/sleep\nargs = 100000\nlisten_timeout = 0\n' \
		    "$2" "$i"
	done >"$1"
}
ticks() { awk '{ print $14 + $15 }' "/proc/$D/stat"; }
# The CPU the workers used: a spawn's work in the child (its fds closed at
# exec...) is theirs. /bin/sleep uses none after that.
worker_ticks() {
	pgrep -P "$D" -x sleep | sed 's|.*|/proc/&/stat|' |
	    xargs awk '{ t += $14 + $15 } END { print t + 0 }' 2>/dev/null
}
workers() { pgrep -c -P "$D" -x sleep; }

# measure N: sets START_T LIST_T DELETE_T (clmd ticks) and *_MS (wall).
measure() {
	local n=$1 t0 c0 i
	sleep_apps "$TEST_TMP/apps$n.ini" "a$n-" "$n"
	c0=$(ticks); t0=$(now_ms)
	capture clm start "$TEST_TMP/apps$n.ini"
	[ "$RC" = 0 ] || { show_capture; fail "clm start of $n apps"; }
	wait_until 120 eval '[ "$(workers)" -ge '"$n"' ]'
	START_MS=$(($(now_ms) - t0))
	START_T=$(($(ticks) - c0 + $(worker_ticks)))
	sleep 1
	c0=$(ticks); t0=$(now_ms)
	for i in 1 2 3 4 5; do
		[ "$(clm list --json | grep -c '"status":')" = "$n" ] ||
			fail "clm list --json does not list $n workers"
	done
	LIST_T=$(($(ticks) - c0)); LIST_MS=$(($(now_ms) - t0))
	c0=$(ticks); t0=$(now_ms)
	capture clm delete all
	[ "$RC" = 0 ] || { show_capture; fail "clm delete all of $n apps"; }
	wait_until 120 eval '[ "$(workers)" = 0 ]'
	DELETE_T=$(($(ticks) - c0)); DELETE_MS=$(($(now_ms) - t0))
	note "$n workers: start ${START_MS} ms (CPU $((START_T * 10)) ms, clmd's" \
	    "and the workers'), 5 lists ${LIST_MS} ms (clmd $((LIST_T * 10)) ms)," \
	    "delete ${DELETE_MS} ms (clmd $((DELETE_T * 10)) ms)"
}

# linear WHAT SMALL_TICKS BIG_TICKS
linear() {
	local what=$1 s=$2 b=$3
	if [ "$b" -le "$FLOOR_TICKS" ]; then
		ok "$what: $((b * 10)) ms of CPU for $BIG workers (too little to matter)"
		return
	fi
	[ "$s" -ge 1 ] || s=1
	[ $((b / s)) -le "$MAX_RATIO" ] ||
		fail "$what: $BIG workers cost $((b * 10)) ms of CPU, $SMALL cost $((s * 10)) ms: more than $MAX_RATIO times (quadratic?)"
	ok "$what: $((s * 10)) ms of CPU for $SMALL workers, $((b * 10)) ms for $BIG"
}

check "a daemon to measure"
capture clm start /bin/true --name warm --no-autorestart
D=$(daemon_pid)
track_pid "$D"
capture clm delete warm

check "$SMALL, then $BIG /bin/sleep apps: start, list --json, delete all"
measure "$SMALL"
s_start=$START_T s_list=$LIST_T s_delete=$DELETE_T
s_ms=$((START_MS + LIST_MS + DELETE_MS))
measure "$BIG"
linear "start" "$s_start" "$START_T"
linear "list --json" "$s_list" "$LIST_T"
linear "delete all" "$s_delete" "$DELETE_T"
b_ms=$((START_MS + LIST_MS + DELETE_MS))
# Wall time: only a bound a busy machine keeps (16x would be quadratic).
[ "$b_ms" -le $((s_ms * 12 + 5000)) ] ||
	fail "$BIG workers took ${b_ms} ms in all, $SMALL took ${s_ms} ms"
ok "in all: ${s_ms} ms for $SMALL workers, ${b_ms} ms for $BIG"
