#!/bin/bash
# clm-logd's open files with many workers: two a worker (the read ends of
# its stdout and stderr pipes) and a bounded number of log files, made at
# their first line, not four a worker (two pipes and two files opened up
# front: 20,000 fds for 5,000 workers, the whole hard limit here). The
# counts are read from /proc/PID/fd.
#  1. N /bin/sleep apps that never write, and one that writes a line: no
#     file for the silent ones, 2 fds a worker; clm-logd killed, the next
#     one gets all 2N streams at once.
#  2. Under a limit with room for 3 fds a worker (clmd's share) but not 4:
#     N workers that each write a line to stdout and to stderr, then a
#     second one; clm-logd keeps at most what the limit leaves open (fewer
#     than the 2N files), every line lands in its file.
. "$(dirname "$0")/lib.sh"

N=300
# 1: room enough for everything, even 4 fds a worker.
ulimit -Sn 1400 && ulimit -Hn 1400 || fail "cannot lower the open file limit"

# apps_file FILE COUNT [SCRIPT ARGS]
apps_file() {
	local i
	for ((i = 0; i < $2; i++)); do
		printf '[s%d]\nscript = %s\nargs = %s\nlisten_timeout = 0\n' "$i" \
		    "${3:-/bin/sleep}" "${4:-100000}"
	done >"$1"
}
children() { pgrep -l -P "$(daemon_pid)" | grep -vcE ' clm-(logd|keeper)$'; }
fds() { ls "/proc/$1/fd" | wc -l; }
LOGS=$CLM_HOME/logs

check "$N apps that never write, and one that writes a line"
apps_file "$TEST_TMP/apps.ini" "$N"
capture clm start /bin/sh --name talk --listen-timeout 0 -- -c \
    'echo "talk: up"; exec sleep 100000'
[ "$RC" = 0 ] || { show_capture; fail "clm start talk"; }
D=$(daemon_pid)
track_pid "$D"
CLM_CMD_TIMEOUT=120 capture clm start "$TEST_TMP/apps.ini"
[ "$RC" = 0 ] || { show_capture; fail "clm start apps.ini"; }
wait_until 60 eval '[ "$(children)" = $((N + 1)) ]'
ok "$((N + 1)) processes under clmd"
assert_eq "$(list_json | jpy 'sum(1 for a in d if a["status"] == "online")')" \
    $((N + 1)) "workers online"

check "clm-logd holds 2 fds a worker, and the file written"
L=$(pgrep -P "$D" -x clm-logd)
[ -n "$L" ] || fail "no clm-logd under clmd $D"
# Its own: stdio, the control socket, clmd's stderr, epoll, signalfd,
# a scratch pipe, /dev/null: 10. Old: 4 a worker (1,200 more).
n=$(fds "$L")
assert_lt "$n" $((2 * (N + 1) + 1 + 32)) "clm-logd's fds"
pipes=$(ls -l "/proc/$L/fd" | grep -c 'pipe:')
assert_ge "$pipes" $((2 * (N + 1))) "pipes clm-logd reads"
wait_until 20 test -s "$LOGS/talk-0-out.log"
assert_eq "$(ls -l "/proc/$L/fd" | grep -c "$LOGS/")" 1 "log files it holds open"

check "talk's line lands in its file; no file for what nothing wrote"
wait_until 20 grep -qx "talk: up" "$LOGS/talk-0-out.log"
ok "talk-0-out.log: talk: up"
assert_eq "$(ls "$LOGS" | wc -l) $(ls "$LOGS" | head -3 | tr '\n' ' ')" \
    "1 talk-0-out.log " "files in logs/ (their count, the first ones)"

check "clm-logd killed: clmd hands the next one every stream"
# $((2 * (N + 1))) ADD messages at once, more than the socket holds: the
# rest waits in clmd for room (they were dropped: their output was lost).
kill -KILL "$L"
newlogd() { L2=$(pgrep -P "$D" -x clm-logd) && [ -n "$L2" ] && [ "$L2" != "$L" ]; }
wait_until 20 newlogd
L=$L2
logd_pipes() { ls -l "/proc/$L/fd" | grep -c 'pipe:'; }
wait_until 20 eval '[ "$(logd_pipes)" -ge $((2 * (N + 1))) ]'
ok "clm-logd $L reads $(logd_pipes) pipes"
assert_eq "$(grep -c 'cannot hand over\|cannot send' "$CLM_HOME/clmd.log")" 0 \
    "messages lost, in clmd.log"

check "clm delete all: every worker gone, clm-logd back to its own fds"
capture clm delete all
[ "$RC" = 0 ] || { show_capture; fail "clm delete all"; }
wait_until 60 eval '[ "$(children)" = 0 ]'
wait_until 20 eval '[ "$(fds "$L")" -lt 16 ]'
ok "clm-logd: $(fds "$L") fds"
assert_eq "$(ls "$LOGS" | tr '\n' ' ')" "talk-0-out.log " "files in logs/"
capture clm kill
assert_eq "$RC" 0 "clm kill"

# 2: 3 fds a worker fit, 4 do not. clm-logd: 2N pipes, and the files in
# what is left beside its 64 spare: L - 2N - 64 of the 2N files.
LIM=$((64 + 3 * N + 36))
BOUND=$((LIM - 2 * N - 64))
check "under ulimit -n $LIM: $N workers write to both streams, twice"
new_home
LOGS=$CLM_HOME/logs
apps_file "$TEST_TMP/talk.ini" "$N" /bin/sh \
    "-c 'echo out1; echo err1 >&2; sleep 3; echo out2; echo err2 >&2; exec sleep 100000'"
(
	ulimit -Sn "$LIM" && ulimit -Hn "$LIM" || fail "cannot lower the limit"
	CLM_CMD_TIMEOUT=120 capture clm start "$TEST_TMP/talk.ini"
	[ "$RC" = 0 ] || { show_capture; fail "clm start talk.ini"; }
) || exit 1
D=$(daemon_pid)
track_pid "$D"
L=$(pgrep -P "$D" -x clm-logd)
[ -n "$L" ] || fail "no clm-logd under clmd $D"
wait_until 60 eval '[ "$(children)" = "$N" ]'
ok "$N processes under clmd"
# Every line in its file: out1 out2 in each -out.log, err1 err2 in -err.log.
lines_ok() {
	local n
	n=$(cat "$LOGS"/*-out.log 2>/dev/null | grep -c '^out[12]$')
	[ "$n" = $((2 * N)) ] || return 1
	n=$(cat "$LOGS"/*-err.log 2>/dev/null | grep -c '^err[12]$')
	[ "$n" = $((2 * N)) ]
}
wait_until 60 lines_ok
assert_eq "$(ls "$LOGS" | wc -l)" $((2 * N)) "log files"
assert_eq "$(cat "$LOGS/s0-0-out.log" "$LOGS/s$((N - 1))-0-err.log" | tr '\n' ' ')" \
    "out1 out2 err1 err2 " "s0-0-out.log, s$((N - 1))-0-err.log"
ok "every worker's 4 lines in its 2 files"
open=$(ls -l "/proc/$L/fd" | grep -c "$LOGS/")
assert_lt "$open" $((BOUND + 1)) "log files clm-logd holds open (of $((2 * N)))"
assert_lt "$(fds "$L")" $((2 * N + BOUND + 16)) "clm-logd's fds"
assert_eq "$(pgrep -P "$D" -x clm-logd)" "$L" "clm-logd's pid (never restarted)"
capture clm delete all
[ "$RC" = 0 ] || { show_capture; fail "clm delete all"; }
wait_until 60 eval '[ "$(children)" = 0 ]'
wait_until 20 eval '[ "$(fds "$L")" -lt 16 ]'
ok "clm delete all: no worker left, clm-logd: $(fds "$L") fds"
capture clm kill
assert_eq "$RC" 0 "clm kill"
