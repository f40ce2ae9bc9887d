#!/bin/bash
# Workers' logs end to end (clm, clmd, clm-logd): 500,000 lines in fork
# mode and with -i 2 all reach their files in order, none lost, without
# stalling the app and for little of clmd's CPU; --merge-logs keeps lines
# whole; clm logs --nostream, --out/--err, an unknown app; clm logs follows
# and a follower that goes away leaves clmd fine; clm flush; --time;
# clm-logd killed with SIGKILL while an app logs loses nothing.
# Rotation and reopening: test_log_rotation.sh.
. "$(dirname "$0")/lib.sh"

LOGS=$CLM_HOME/logs
BIG=${L_BIG:-500000}		# lines of the big runs

lcheck() { "$PY" "$FIXTURES/l_check.py" "$@"; }

# files_of LOG: LOG's rotated files, oldest first, then LOG.
files_of() {
	local n=50
	while [ "$n" -ge 1 ]; do
		[ -f "$1.$n" ] && echo "$1.$n"
		n=$((n - 1))
	done
	echo "$1"
}

# done_count LOG: how many "done" lines LOG has (after a timestamp or not).
done_count() {
	grep -a -c -E '(^|Z )done [0-9]+ [0-9]+ ms=' "$1" 2>/dev/null
}
# is_done LOG: the last line of LOG is a done line.
is_done() {
	tail -n 1 "$1" 2>/dev/null | grep -a -q -E '(^|Z )done [0-9]+ [0-9]+ ms='
}
has_done() { [ "$(done_count "$1")" = "$2" ]; }

# cpu_ms PID: PID's user + system CPU time so far, in ms.
cpu_ms() {
	sed 's/.*) //' "/proc/$1/stat" |
	    awk -v hz="$(getconf CLK_TCK)" '{ print int(($12 + $13) * 1000 / hz) }'
}

# run_ms PID: PID's time on a CPU so far, in ms, to the nanosecond
# (/proc/PID/schedstat; utime and stime count 10 ms ticks).
run_ms() { awk '{ print int($1 / 1000000) }' "/proc/$1/schedstat"; }

logd_pid() { pgrep -P "$(daemon_pid)" -x clm-logd | head -n1; }

# --- 500,000 lines, fork mode and -i 2 -------------------------------------

# big NAME N: N workers write $BIG lines each as fast as the pipe takes them.
big() {
	local name=$1 n=$2 t0 wall c0 c1 r0 r1 l0 l1 i ms res dpid lpid
	check "$BIG lines from each of $n worker(s) ($name)"
	# The daemon runs already: its CPU before clm start is the baseline
	# (the lines are all written by the time clm start returns).
	dpid=$(daemon_pid)
	lpid=$(logd_pid)
	c0=$(cpu_ms "$dpid")
	r0=$(run_ms "$dpid")
	l0=$(run_ms "$lpid")
	t0=$(now_ms)
	L_COUNT=$BIG capture clm start "$FIXTURES/l_lines.js" --name "$name" \
	    -i "$n"
	[ "$RC" = 0 ] || show_capture
	assert_eq "$RC" 0 "clm start exit status"
	for i in $(seq 0 $((n - 1))); do
		wait_until 120 is_done "$LOGS/$name-$i-out.log"
	done
	wall=$(($(now_ms) - t0))
	c1=$(cpu_ms "$dpid")
	r1=$(run_ms "$dpid")
	l1=$(run_ms "$lpid")
	for i in $(seq 0 $((n - 1))); do
		res=$(lcheck --count "$BIG" --insts "$i" \
		    $(files_of "$LOGS/$name-$i-out.log")) ||
		    fail "$name-$i-out.log: $res"
		printf '%s\n' "$res" | sed '$d' | sed 's/^/  /'
		ms=$(printf '%s\n' "$res" | tail -n1 | sed 's/.*=//')
		assert_lt "$ms" 20000 "worker $i's time to write $BIG lines (ms)"
		# Nothing on stderr: no file (made at the first line).
		[ ! -e "$LOGS/$name-$i-err.log" ] ||
		    fail "$name-$i-err.log exists, with nothing written"
		assert_eq "$(restarts_of "$name" "$i")" 0 "$name:$i restarts"
	done
	note "from clm start to the last line in the files: $wall ms" \
	    "(clm start waits for the workers to be online)"
	note "clmd CPU (utime+stime): $c1 ms in all, $((c1 - c0)) ms for" \
	    "this run; on a CPU (schedstat): $r1 ms in all, $((r1 - r0)) ms" \
	    "for this run; clm-logd on a CPU for this run: $((l1 - l0)) ms"
	assert_lt "$c1" 2000 "clmd's CPU time, all of it (ms)"
	assert_eq "$(count_workers "$name" online)" "$n" "$name workers online"
	capture clm delete "$name"
	assert_eq "$RC" 0 "clm delete $name"
}

check "clmd starts, with clm-logd"
capture timeout -k 5 20 clmd
assert_eq "$RC" 0 "clmd exit status"
has_logd() { [ -n "$(logd_pid)" ]; }
wait_until 5 has_logd
ok "clmd $(daemon_pid), clm-logd $(logd_pid)"

big big1 1
big big2 2

# --- --merge-logs -----------------------------------------------------------

check "--merge-logs -i 2: one file per stream, no line cut or mixed"
# Lines of 0 to 9,000 bytes on both streams: longer than PIPE_BUF, so a
# line reaches clm-logd in pieces while the other worker writes.
L_COUNT=4000 L_VARY=9000 L_STREAM=both capture clm start \
    "$FIXTURES/l_lines.js" --name mrg -i 2 --merge-logs --max-log-size 0
[ "$RC" = 0 ] || show_capture
assert_eq "$RC" 0 "clm start --merge-logs exit status"
wait_until 120 has_done "$LOGS/mrg-all-out.log" 2
wait_until 30 has_done "$LOGS/mrg-all-err.log" 2
res=$(lcheck --count 4000 --insts 0,1 --vary 9000 "$LOGS/mrg-all-out.log") ||
    fail "mrg-all-out.log: $res"
printf '%s\n' "$res" | sed '$d' | sed 's/^/  /'
res=$(lcheck --count 4000 --insts 0,1 --vary 9000 --tag E \
    "$LOGS/mrg-all-err.log") || fail "mrg-all-err.log: $res"
printf '%s\n' "$res" | sed '$d' | sed 's/^/  /'
ok "mrg-all-out.log and mrg-all-err.log: every line whole, both workers in order"
sw=$(cut -c1-4 "$LOGS/mrg-all-out.log" | uniq | wc -l)
note "mrg-all-out.log switches between workers $sw times"
files=$(cd "$LOGS" && ls | grep '^mrg' | tr '\n' ' ')
assert_eq "$files" "mrg-all-err.log mrg-all-out.log " "mrg's log files"
capture clm delete mrg
assert_eq "$RC" 0 "clm delete mrg"

# --- clm logs --nostream ----------------------------------------------------

check "clm logs NAME --lines 5 --nostream: the last 5 lines of each file"
L_COUNT=100 L_STREAM=both capture clm start "$FIXTURES/l_lines.js" \
    --name tl -i 2
assert_eq "$RC" 0 "clm start tl exit status"
for i in 0 1; do
	wait_until 20 is_done "$LOGS/tl-$i-out.log"
	wait_until 20 is_done "$LOGS/tl-$i-err.log"
done
# want [OPTS]: what clm logs tl --lines 5 should print.
want() {
	local i k
	for i in 0 1; do
		for k in out err; do
			case " $* " in
			*" --out "*) [ "$k" = out ] || continue ;;
			*" --err "*) [ "$k" = err ] || continue ;;
			esac
			tail -n 5 "$LOGS/tl-$i-$k.log" | sed "s/^/tl:$i $k | /"
		done
	done
}
for opt in "" --out --err; do
	capture clm logs tl --lines 5 --nostream $opt
	[ "$RC" = 0 ] || show_capture
	assert_eq "$RC" 0 "clm logs tl --lines 5 --nostream $opt exit status"
	w=$(want $opt)
	if [ "$OUT" != "$w" ]; then
		show_capture
		echo "  expected:"
		printf '%s\n' "$w" | sed 's/^/  want| /'
		fail "clm logs tl --lines 5 --nostream $opt: not the last 5" \
		    "lines of each file with their prefix"
	fi
	ok "clm logs tl --lines 5 --nostream $opt:" \
	    "$(printf '%s\n' "$OUT" | wc -l) lines as expected"
done
printf '%s\n' "$OUT" | head -n 2 | sed 's/^/  |/'

capture clm logs tl --nostream
assert_eq "$RC" 0 "clm logs tl --nostream exit status"
assert_eq "$(printf '%s\n' "$OUT" | wc -l)" 60 "lines by default (15 x 4 files)"

check "clm logs of an unknown app: exit 1 naming it"
capture clm logs nosuchapp --nostream
show_capture
assert_eq "$RC" 1 "clm logs nosuchapp exit status"
assert_contains "$ERR" "nosuchapp" "stderr"
capture clm logs nosuchapp --lines 5
assert_eq "$RC" 1 "clm logs nosuchapp (following) exit status"
capture clm delete tl
assert_eq "$RC" 0 "clm delete tl"

# --- clm logs follows; flush -----------------------------------------------

check "clm logs NAME follows new lines"
L_COUNT=3 L_STREAM=both capture clm start "$FIXTURES/l_lines.js" --name tk
assert_eq "$RC" 0 "clm start tk exit status"
wait_until 20 is_done "$LOGS/tk-0-out.log"
wait_until 20 is_done "$LOGS/tk-0-err.log"
wpid=$(pid_of tk 0)

# follow OUTFILE ARGS...: clm ARGS in the background with SIGINT at its
# default (a background job of a script ignores it); sets FPID.
follow() {
	local o=$1
	shift
	"$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$CLM_BIN_DIR/clm" "$@" >"$o" 2>&1 &
	FPID=$!
	track_pid "$FPID"
}
fa=$TEST_TMP/follow-a.txt
fb=$TEST_TMP/follow-b.txt
follow "$fa" logs tk --lines 2
pa=$FPID
follow "$fb" logs tk
pb=$FPID
wait_until 10 grep -q '^tk:0 err | done 0 3 ms=' "$fa"
wait_until 10 grep -q '^tk:0 err | done 0 3 ms=' "$fb"
assert_eq "$(wc -l <"$fa")" 4 "lines follower A printed first (2 x 2 files)"
ok "the followers printed the last lines"

# tick K: make tk write "tick K" (out) and "tick K err" (err).
tick() { kill -USR2 "$wpid"; }
seen() {	# seen FILE K: FILE has both lines of tick K
	grep -qx "tk:0 out | tick $2" "$1" &&
	    grep -qx "tk:0 err | tick $2 err" "$1"
}
for k in 1 2 3; do
	t0=$(now_ms)
	tick
	wait_until 5 seen "$fa" "$k"
	note "tick $k reached follower A in $(($(now_ms) - t0)) ms"
done
wait_until 5 seen "$fb" 3

check "a follower killed with SIGKILL: clmd fine, the other one follows"
kill -KILL "$pb"
wait_until 5 pid_dead "$pb"
tick
wait_until 5 seen "$fa" 4
capture clm ping
assert_eq "$RC" 0 "clm ping after a follower vanished"

check "clm flush tk: files empty, tk keeps logging into them"
capture clm flush tk
show_capture
assert_eq "$RC" 0 "clm flush tk exit status"
assert_eq "$(stat -c %s "$LOGS/tk-0-out.log")" 0 "bytes in tk-0-out.log"
assert_eq "$(stat -c %s "$LOGS/tk-0-err.log")" 0 "bytes in tk-0-err.log"
tick
wait_until 5 grep -q "tick 5 err" "$LOGS/tk-0-err.log"
wait_until 5 grep -q "tick 5" "$LOGS/tk-0-out.log"
assert_eq "$(cat "$LOGS/tk-0-out.log")" "tick 5" \
    "tk-0-out.log after flush + tick"
assert_eq "$(cat "$LOGS/tk-0-err.log")" "tick 5 err" \
    "tk-0-err.log after flush + tick"
assert_eq "$(tr -d -c '\000' <"$LOGS/tk-0-out.log" | wc -c)" 0 \
    "NUL bytes in tk-0-out.log"
wait_until 5 seen "$fa" 5
ok "follower A saw the line written after the flush"
for k in 1 2 3 4 5; do
	assert_eq "$(grep -cx "tk:0 out | tick $k" "$fa")" 1 \
	    "times follower A printed tick $k"
done

check "SIGINT ends follower A; clmd fine"
kill -INT "$pa"
wait_until 5 pid_dead "$pa"
wait "$pa"
note "follower A exit status after SIGINT: $?"
capture clm list
assert_eq "$RC" 0 "clm list exit status"
assert_eq "$(status_of tk 0)" online "tk status"
tick
wait_until 5 grep -q "tick 6" "$LOGS/tk-0-out.log"
capture clm logs tk --lines 1 --nostream --out
assert_eq "$OUT" "tk:0 out | tick 6" "clm logs tk --lines 1 --nostream --out"

check "clm flush of an unknown app, clm flush (all)"
capture clm flush nosuchapp
show_capture
assert_eq "$RC" 1 "clm flush nosuchapp exit status"
assert_contains "$ERR" nosuchapp "stderr"
capture clm flush
assert_eq "$RC" 0 "clm flush exit status"
assert_eq "$(stat -c %s "$LOGS/tk-0-out.log")" 0 "bytes in tk-0-out.log"
capture clm delete tk
assert_eq "$RC" 0 "clm delete tk"

# --- --time -----------------------------------------------------------------

check "--time: every line starts with an ISO 8601 UTC time"
since=$(date +%s)
L_COUNT=2000 L_STREAM=both capture clm start "$FIXTURES/l_lines.js" \
    --name ts --time
assert_eq "$RC" 0 "clm start --time exit status"
wait_until 20 is_done "$LOGS/ts-0-out.log"
wait_until 20 is_done "$LOGS/ts-0-err.log"
res=$(lcheck --time --since "$since" --count 2000 "$LOGS/ts-0-out.log") ||
    fail "ts-0-out.log: $res"
res=$(lcheck --time --since "$since" --count 2000 --tag E \
    "$LOGS/ts-0-err.log") || fail "ts-0-err.log: $res"
ok "ts-0-out.log and ts-0-err.log: 2001 lines each, each with a time"
head -n 1 "$LOGS/ts-0-out.log" | sed 's/^/  |/'
capture clm logs ts --lines 1 --nostream --err
iso='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
if ! printf '%s\n' "$OUT" | grep -qE "^ts:0 err \\| $iso done 0 2000 ms="; then
	show_capture
	fail "clm logs ts --lines 1 --err: no timestamped done line"
fi
ok "clm logs shows the time: $OUT"
capture clm delete ts
assert_eq "$RC" 0 "clm delete ts"

# --- clm-logd killed -------------------------------------------------------

check "clm-logd killed with SIGKILL twice while an app logs: nothing lost"
# 200,000 lines on each stream in 400 writes, 10 ms apart: 4 s at least.
L_COUNT=200000 L_STREAM=both L_CHUNK=500 L_PAUSE_MS=10 capture clm start \
    "$FIXTURES/l_lines.js" --name kl
assert_eq "$RC" 0 "clm start kl exit status"
big_enough() { [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ]; }
new_logd() { p=$(logd_pid); [ -n "$p" ] && [ "$p" != "$1" ]; }
out=$LOGS/kl-0-out.log
for round in 1 2; do
	wait_until 10 big_enough "$out" $((round * 400000))
	old=$(logd_pid)
	[ -n "$old" ] || fail "no clm-logd child of clmd $(daemon_pid)"
	is_done "$out" && fail "kl finished before round $round: make it slower"
	kill -KILL "$old"
	ok "killed clm-logd $old at $(stat -c %s "$out") bytes in kl-0-out.log"
	wait_until 10 new_logd "$old"
	ok "clmd started clm-logd $(logd_pid)"
done
wait_until 60 is_done "$out"
wait_until 10 is_done "$LOGS/kl-0-err.log"
res=$(lcheck --count 200000 $(files_of "$out")) || fail "kl-0-out.log: $res"
printf '%s\n' "$res" | sed '$d' | sed 's/^/  /'
res=$(lcheck --count 200000 --tag E $(files_of "$LOGS/kl-0-err.log")) ||
    fail "kl-0-err.log: $res"
printf '%s\n' "$res" | sed '$d' | sed 's/^/  /'
assert_eq "$(status_of kl 0)" online "kl status"
assert_eq "$(restarts_of kl 0)" 0 "kl restarts"
note "clmd CPU for the whole test: $(cpu_ms "$(daemon_pid)") ms" \
    "(utime+stime), $(run_ms "$(daemon_pid)") ms (schedstat)"
