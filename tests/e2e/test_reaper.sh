#!/bin/bash
# The reaper never takes a child that libuv waits for: clm-logd killed
# many times in a row is restarted every time, and the `clmd
# --check-upgrade` child's end always reaches clm update, even when the
# reaper's sweep runs before libuv's SIGCHLD handling.
#
# How the race is forced: clmd is stopped (SIGSTOP) while the child dies,
# for longer than the sweep interval (CLM_REAPER_SWEEP_MS=20) and its loop's
# poll timeout. On SIGCONT, epoll_wait returns EINTR with its timeout spent,
# so the next loop iteration runs the timers (the sweep) before libuv
# reads its SIGCHLD: a reaper that took the zombie would leave libuv's exit
# callback uncalled, and clm-logd would never be restarted.
. "$(dirname "$0")/lib.sh"

export CLM_REAPER_SWEEP_MS=20
ROUNDS=${REAPER_ROUNDS:-8}

logd_pid() { pgrep -P "$(daemon_pid)" -x clm-logd | head -n1; }
has_logd() { [ -n "$(logd_pid)" ]; }
new_logd() { local p; p=$(logd_pid); [ -n "$p" ] && [ "$p" != "$1" ]; }
is_zombie() {
	[ "$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | awk '{print $1}')" = Z ]
}

# behind_sweep CMD...: with clmd stopped, run CMD (which makes a child of
# clmd die), wait until that child is a zombie, let the sweep's time pass,
# and let clmd go on.
behind_sweep() {	# behind_sweep CHILD_PID CMD...
	local child=$1 dpid
	shift
	dpid=$(daemon_pid)
	kill -STOP "$dpid"
	"$@"
	wait_until 10 is_zombie "$child"
	# A fixed wait on purpose: longer than the sweep interval (20 ms)
	# and clmd's poll timeout, so the sweep is due when clmd wakes up.
	sleep 0.2
	kill -CONT "$dpid"
}

check "clmd starts with clm-logd; an app logs"
capture clm start "$FIXTURES/sleeper.sh" --name rp
assert_eq "$RC" 0 "clm start"
wait_until 20 all_online rp 1
wait_until 10 has_logd
ok "clmd $(daemon_pid), clm-logd $(logd_pid)"

check "clm-logd SIGKILLed $ROUNDS times, each behind the sweep: restarted every time"
for i in $(seq 1 "$ROUNDS"); do
	old=$(logd_pid)
	[ -n "$old" ] || fail "round $i: no clm-logd child of clmd"
	behind_sweep "$old" kill -KILL "$old"
	# The restart backoff doubles up to 5 s.
	wait_until 20 new_logd "$old"
	pid_dead "$old" || fail "round $i: clm-logd $old still there"
	ok "round $i: clm-logd $old killed, $(logd_pid) took its place"
done
n=$(grep -c "clm-logd (pid [0-9]*) was killed by signal 9" "$CLM_HOME/clmd.log")
assert_eq "$n" "$ROUNDS" "clmd saw every clm-logd death (exit callbacks)"
assert_eq "$(zombies_of "$(daemon_pid)")" "" "zombie children of clmd"
assert_eq "$(status_of rp 0)" online "the app's worker"

check "clm update's --check-upgrade child, its end behind the sweep: always answered"
# A new "clmd" that answers --check-upgrade slowly (until told to) and
# says no: clm update must answer that it cannot take over, with the
# exit status that only libuv's exit callback knows.
FAKE=$TEST_TMP/fake-clmd
cat >"$FAKE" <<EOF
#!/bin/bash
[ "\$1" = --check-upgrade ] || exit 2
echo \$\$ >"$TEST_TMP/check.pid"
while [ ! -e "$TEST_TMP/check.go" ]; do sleep 0.02; done
exit 3
EOF
chmod +x "$FAKE"
check_started() { [ -s "$TEST_TMP/check.pid" ]; }
for i in 1 2 3; do
	rm -f "$TEST_TMP/check.pid" "$TEST_TMP/check.go"
	CLM_CMD_TIMEOUT=15 clm update --binary "$FAKE" \
	    >"$TEST_TMP/update.out" 2>&1 &
	upid=$!
	wait_until 20 check_started
	child=$(cat "$TEST_TMP/check.pid")
	behind_sweep "$child" touch "$TEST_TMP/check.go"
	wait "$upid"
	rc=$?
	out=$(cat "$TEST_TMP/update.out")
	[ "$rc" -eq 124 ] && fail "round $i: clm update never answered" \
	    "(the reaper took the --check-upgrade child $child)"
	assert_contains "$out" "exited with status 3" "round $i: clm update's answer"
done
assert_eq "$(zombies_of "$(daemon_pid)")" "" "zombie children of clmd"

check "the orphans its workers leave are still reaped"
capture clm start "$FIXTURES/s_orphans.sh" --name orph --max-restarts 1000
show_capture
restarts_at_least() { [ "$(restarts_of orph 0)" -ge 3 ]; }
wait_until 30 restarts_at_least
no_zombies() { [ -z "$(zombies_of "$(daemon_pid)")" ]; }
wait_until 10 no_zombies
ok "no zombie children of clmd after $(restarts_of orph 0) runs"
