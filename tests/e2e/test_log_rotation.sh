#!/bin/bash
# Log rotation and reopening end to end: --max-log-size and --log-retain
# keep the files within size and count with the newest lines in the
# current file and none lost between the files kept; the same from
# clm.ini [defaults]; --log-retain 0; merged logs of -i 2 rotate too.
# SIGUSR1 to clmd and clm reload-logs after a log file was moved away
# (an external logrotate) make a new file that gets the next lines.
. "$(dirname "$0")/lib.sh"

lcheck() { "$PY" "$FIXTURES/l_check.py" "$@"; }
is_done() {
	tail -n 1 "$1" 2>/dev/null | grep -a -q -E '^done [0-9]+ [0-9]+ ms='
}
has_done() {
	[ "$(grep -a -c -E '^done [0-9]+ [0-9]+ ms=' "$1" 2>/dev/null)" = "$2" ]
}

# rotated LOG KEEP MAX PAD COUNT [lcheck options]: LOG has exactly KEEP
# rotated files LOG.1 .. LOG.KEEP (no more), every file is at most MAX
# bytes plus one line, the files hold the newest lines of l_lines.js in
# order with none lost between them, the very last in LOG.
rotated() {
	local log=$1 keep=$2 max=$3 pad=$4 count=$5 files want got n f sz
	local maxline big=0 res
	shift 5
	want=$(basename "$log")
	files=("$log")
	for n in $(seq 1 "$keep"); do
		want="$want $(basename "$log").$n"
		files=("$log.$n" "${files[@]}")
	done
	got=$(cd "$(dirname "$log")" && ls | grep -F "$(basename "$log")" |
	    sort -V | tr '\n' ' ')
	assert_eq "$got" "$want " "files of $(basename "$log")"
	maxline=$(cat "${files[@]}" | awk '{ if (length($0) > m) m = length($0) }
	    END { print m + 1 }')
	for f in "${files[@]}"; do
		sz=$(stat -c %s "$f")
		[ "$sz" -gt "$big" ] && big=$sz
		if [ "$sz" -gt $((max + maxline)) ]; then
			fail "$(basename "$f"): $sz bytes, more than $max +" \
			    "one line ($maxline)"
		fi
		if [ "$f" != "$log" ] && [ "$sz" -lt $((max / 2)) ]; then
			fail "$(basename "$f"): rotated at $sz bytes, less" \
			    "than half of $max"
		fi
	done
	ok "sizes: $(for f in "${files[@]}"; do stat -c '%n=%s' "$f"; done |
	    sed 's|.*/||' | tr '\n' ' ')(largest $big, limit $max + one line" \
	    "of $maxline)"
	is_done "$log" || fail "$(basename "$log"): its last line is not" \
	    "the app's last line: $(tail -n 1 "$log" | cut -c1-80)"
	res=$(lcheck --tail --pad "$pad" --count "$count" "$@" "${files[@]}") ||
	    fail "$(basename "$log") and its rotated files: $res"
	printf '%s\n' "$res" | sed '$d' | sed 's/^/  /'
	ok "newest lines in $(basename "$log"), none lost between the files"
}

# --- flags --------------------------------------------------------------------

check "--max-log-size 64K --log-retain 3, ~1 MB on each stream"
# 10,000 lines of 100 bytes.
L_COUNT=10000 L_PAD=90 L_STREAM=both L_CHUNK=50 capture clm start \
    "$FIXTURES/l_lines.js" --name rot --max-log-size 64K --log-retain 3
[ "$RC" = 0 ] || show_capture
assert_eq "$RC" 0 "clm start exit status"
LOGS=$CLM_HOME/logs
wait_until 60 is_done "$LOGS/rot-0-out.log"
wait_until 60 is_done "$LOGS/rot-0-err.log"
rotated "$LOGS/rot-0-out.log" 3 65536 90 10000
rotated "$LOGS/rot-0-err.log" 3 65536 90 10000 --tag E

check "--log-retain 0: the current file only"
L_COUNT=10000 L_PAD=90 capture clm start "$FIXTURES/l_lines.js" --name r0 \
    --max-log-size 64K --log-retain 0
assert_eq "$RC" 0 "clm start exit status"
wait_until 60 is_done "$LOGS/r0-0-out.log"
rotated "$LOGS/r0-0-out.log" 0 65536 90 10000

check "--merge-logs -i 2 --max-log-size 64K --log-retain 2"
L_COUNT=10000 L_PAD=90 L_CHUNK=20 L_PAUSE_MS=2 capture clm start \
    "$FIXTURES/l_lines.js" --name rm -i 2 --merge-logs --max-log-size 64K \
    --log-retain 2
assert_eq "$RC" 0 "clm start exit status"
# Both workers write at the same time, 20 lines every 2 ms: both done
# lines are in the files kept (in rm-all-out.log or rotated).
both_done() {
	[ "$(cat "$LOGS"/rm-all-out.log* | grep -a -c -E '^done [0-9]+ ')" = 2 ]
}
wait_until 60 both_done
rotated_m() {
	local got
	got=$(cd "$LOGS" && ls | grep '^rm-' | sort -V | tr '\n' ' ')
	# No rm-all-err.log: nothing went to stderr (a file is made at
	# its first line).
	assert_eq "$got" "rm-all-out.log rm-all-out.log.1 rm-all-out.log.2 " \
	    "rm's files"
}
rotated_m
rotated "$LOGS/rm-all-out.log" 2 65536 90 10000 --insts 0,1
capture clm delete all
assert_eq "$RC" 0 "clm delete all"

# --- clm.ini -----------------------------------------------------------------

check "clm.ini [defaults] max_log_size = 32K, log_retain = 2"
capture clm kill
new_home
LOGS=$CLM_HOME/logs
mkdir -p "$CLM_HOME"
cat >"$CLM_HOME/clm.ini" <<'EOF'
[defaults]
max_log_size = 32K
log_retain = 2
EOF
L_COUNT=5000 L_PAD=90 capture clm start "$FIXTURES/l_lines.js" --name ini
[ "$RC" = 0 ] || show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 60 is_done "$LOGS/ini-0-out.log"
rotated "$LOGS/ini-0-out.log" 2 32768 90 5000

check "--max-log-size and --log-retain override clm.ini"
L_COUNT=5000 L_PAD=90 capture clm start "$FIXTURES/l_lines.js" --name ovr \
    --max-log-size 128K --log-retain 1
assert_eq "$RC" 0 "clm start exit status"
wait_until 60 is_done "$LOGS/ovr-0-out.log"
rotated "$LOGS/ovr-0-out.log" 1 131072 90 5000
capture clm delete all
assert_eq "$RC" 0 "clm delete all"

# --- reopen -----------------------------------------------------------------

check "SIGUSR1 to clmd after moving the log files away"
L_COUNT=2 L_STREAM=both capture clm start "$FIXTURES/l_lines.js" --name ro
assert_eq "$RC" 0 "clm start exit status"
out=$LOGS/ro-0-out.log
err=$LOGS/ro-0-err.log
wait_until 20 is_done "$out"
wait_until 20 is_done "$err"
wpid=$(pid_of ro 0)
dpid=$(daemon_pid)
tick() { kill -USR2 "$wpid"; }
mv "$out" "$out.moved"
mv "$err" "$err.moved"
kill -USR1 "$dpid"
wait_until 5 test -f "$out"
wait_until 5 test -f "$err"
ok "new ro-0-out.log and ro-0-err.log"
tick
wait_until 5 grep -qx 'tick 1' "$out"
wait_until 5 grep -qx 'tick 1 err' "$err"
assert_eq "$(cat "$out")" "tick 1" "ro-0-out.log"
assert_eq "$(cat "$err")" "tick 1 err" "ro-0-err.log"
assert_eq "$(tail -n 1 "$out.moved" | cut -d' ' -f1-3)" "done 0 2" \
    "last line of ro-0-out.log.moved"
assert_eq "$(tail -n 1 "$err.moved" | cut -d' ' -f1-3)" "done 0 2" \
    "last line of ro-0-err.log.moved"
assert_eq "$(daemon_pid)" "$dpid" "clmd pid after SIGUSR1"
pid_alive "$dpid" || fail "clmd $dpid died of SIGUSR1"

check "clm reload-logs after moving them again"
mv "$out" "$out.moved2"
mv "$err" "$err.moved2"
capture clm reload-logs
show_capture
assert_eq "$RC" 0 "clm reload-logs exit status"
wait_until 5 test -f "$out"
wait_until 5 test -f "$err"
tick
wait_until 5 grep -qx 'tick 2' "$out"
wait_until 5 grep -qx 'tick 2 err' "$err"
assert_eq "$(cat "$out")" "tick 2" "ro-0-out.log"
assert_eq "$(cat "$out.moved2")" "tick 1" "ro-0-out.log.moved2"
assert_eq "$(cat "$err.moved2")" "tick 1 err" "ro-0-err.log.moved2"

check "SIGUSR1 with nothing moved: lines still appended"
kill -USR1 "$dpid"
sleep 0.3
tick
wait_until 5 grep -qx 'tick 3' "$out"
assert_eq "$(cat "$out" | tr '\n' ,)" "tick 2,tick 3," "ro-0-out.log"
capture clm list
assert_eq "$RC" 0 "clm list exit status"
assert_eq "$(status_of ro 0)" online "ro status"
