#!/bin/bash
# clm-logd's open files with many workers: two a worker (the read ends of
# its stdout and stderr pipes) and a bounded number of log files, made at
# their first line, not four a worker (two pipes and two files opened up
# front: 20,000 fds for 5,000 workers, the whole hard limit here). The
# counts are read from /proc/PID/fd.
#  1. N /bin/sleep apps that never write, and one that writes a line: no
#     file for the silent ones, 2 fds a worker; clm-logd killed, the next
#     one gets all 2N streams at once.
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

