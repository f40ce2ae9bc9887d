#!/bin/bash
# A worker that ignores SIGINT is killed (SIGKILL) after --kill-timeout; one
# that obeys SIGINT is not kept waiting for the timeout.
. "$(dirname "$0")/lib.sh"

log_has() { grep -q "$2" "$CLM_HOME/logs/$1-0-out.log" 2>/dev/null; }

# stop_timed APP: clm stop APP; sets MS to how long it took.
stop_timed() {
	local t0
	t0=$(now_ms)
	capture clm stop "$1"
	MS=$(($(now_ms) - t0))
	show_capture
	echo "  clm stop $1 took $MS ms"
	assert_eq "$RC" 0 "clm stop $1 exit status"
}

check "a worker ignoring SIGINT, --kill-timeout 500"
capture clm start "$FIXTURES/ignore_sigint.js" --name deaf --kill-timeout 500
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online deaf 1
wait_until 10 log_has deaf ready	# its SIGINT handler is installed
pid=$(pid_of deaf 0)
stop_timed deaf
assert_ge "$MS" 450 "ms for clm stop (kill timeout 500)"
assert_lt "$MS" 4000 "ms for clm stop"
wait_until 3 pid_dead "$pid"
ok "worker $pid gone"
assert_eq "$(status_of deaf 0)" stopped "status"
assert_eq "$(field_of deaf 0 signal)" SIGKILL "signal of the last run"
wait_until 5 log_has deaf "got SIGINT"
ok "it did get the SIGINT first"

check "the default kill timeout is 1600 ms"
capture clm start "$FIXTURES/ignore_sigint.js" --name deaf2
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online deaf2 1
wait_until 10 log_has deaf2 ready
pid=$(pid_of deaf2 0)
stop_timed deaf2
assert_ge "$MS" 1550 "ms for clm stop (default kill timeout)"
assert_lt "$MS" 6000 "ms for clm stop"
wait_until 3 pid_dead "$pid"
ok "worker $pid gone"

check "a worker that obeys SIGINT stops without waiting for the timeout"
capture clm start "$FIXTURES/sleeper.js" --name polite --kill-timeout 5000
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online polite 1
wait_until 10 log_has polite up
pid=$(pid_of polite 0)
stop_timed polite
assert_lt "$MS" 3000 "ms for clm stop (kill timeout 5000)"
wait_until 3 pid_dead "$pid"
assert_eq "$(field_of polite 0 signal)" SIGINT "signal of the last run"

check "clm kill with a worker ignoring SIGINT: waits for the kill timeout"
capture clm start "$FIXTURES/ignore_sigint.js" --name deaf3 --kill-timeout 800
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online deaf3 1
wait_until 10 log_has deaf3 ready
pid=$(pid_of deaf3 0)
d=$(daemon_pid)
track_pid "$d"
t0=$(now_ms)
capture clm kill
ms=$(($(now_ms) - t0))
show_capture
echo "  clm kill took $ms ms"
assert_eq "$RC" 0 "clm kill exit status"
assert_ge "$ms" 750 "ms for clm kill (kill timeout 800)"
assert_lt "$ms" 8000 "ms for clm kill"
pid_dead "$pid" || fail "worker $pid still runs after clm kill"
pid_dead "$d" || fail "clmd $d still runs after clm kill"
ok "worker $pid and clmd $d gone"
