#!/bin/bash
# Faults: file descriptors run out (RLIMIT_NOFILE), the log disk is full.
# Each time: a clear error in clmd.log (and for clm start), the daemon
# keeps answering, nothing that already ran is lost, and it recovers.
. "$(dirname "$0")/lib.sh"

check "clmd with RLIMIT_NOFILE 136, 70 of them held by idle clients: starts fail clearly"
# clmd refuses up front a start its limit cannot hold (96 + 3 a worker:
# test_limits); here the limit would hold 13 workers, but clients have
# taken the fds (clmd holds about 50 of its own), so a start runs into
# EMFILE for real.
mkdir -p "$CLM_HOME"
chmod 700 "$CLM_HOME"
prlimit --nofile=136:136 "$CLM_BIN_DIR/clmd" --foreground \
    >"$TEST_TMP/clmd.out" 2>&1 &
track_pid "$!"
wait_until 10 clm ping
"$PY" - "$CLM_HOME/clm.sock" 70 "$TEST_TMP/held" <<'PYEOF' &
import socket, sys, time
socks = [socket.socket(socket.AF_UNIX) for _ in range(int(sys.argv[2]))]
for s in socks:
    s.connect(sys.argv[1])
open(sys.argv[3], "w").write("%d\n" % len(socks))
time.sleep(120)
PYEOF
holder=$!
track_pid "$holder"
held() { [ -s "$TEST_TMP/held" ]; }
wait_until 10 held
ok "70 idle clients hold clmd's fds"
ok=0 failed=0 first_pids=
for i in $(seq 1 12); do
	capture clm start "$FIXTURES/sleeper.sh" --name "s$i" --listen-timeout 0
	if [ "$RC" = 0 ]; then
		ok=$((ok + 1))
	else
		failed=$((failed + 1))
		[ "$failed" = 1 ] && first_err=$ERR
	fi
done
note "$ok apps started, $failed refused"
assert_ge "$ok" 3 "apps started before the fds ran out"
assert_ge "$failed" 1 "starts that failed"
assert_contains "$first_err" "too many open files" "the error names the cause"
assert_contains "$(cat "$CLM_HOME/clmd.log")" "too many open files" "clmd.log"
first_pids=$(pid_of s1 0)
capture clm list
assert_eq "$RC" 0 "clm list while fds are short"
assert_eq "$(status_of s1 0)" online "s1 still online"
assert_eq "$(pid_of s1 0)" "$first_pids" "s1 kept its pid"
capture clm delete all
assert_eq "$RC" 0 "clm delete all"
kill "$holder"
wait "$holder" 2>/dev/null
capture clm start "$FIXTURES/sleeper.sh" --name again --listen-timeout 0
assert_eq "$RC" 0 "a start once fds are free again"
capture clm kill
assert_eq "$RC" 0 "clm kill"

check "fork fails (a pids cgroup with room for 3 more tasks)"
# Room is counted from what clmd holds once warm (libuv's thread pool
# counts as tasks too), and each app is one task (/bin/sleep, no shell
# forking a sleep now and then): the 4th start's fork fails.
cg=/sys/fs/cgroup/pids/clm-test-$$
if mkdir "$cg" 2>/dev/null && echo 1000 >"$cg/pids.max" 2>/dev/null; then
	new_home
	mkdir -p "$CLM_HOME"
	chmod 700 "$CLM_HOME"
	sh -c "echo \$\$ >'$cg/cgroup.procs' && exec '$CLM_BIN_DIR/clmd' \
	    --foreground" >"$TEST_TMP/clmd-pids.out" 2>&1 &
	track_pid "$!"
	wait_until 10 clm ping
	capture clm start /bin/sleep --name warm --listen-timeout 0 -- 1000
	assert_eq "$RC" 0 "a first start (warms clmd's thread pool)"
	capture clm delete warm
	assert_eq "$RC" 0 "clm delete warm"
	warm_gone() {	# only clm's own processes are left in the cgroup
		local p
		for p in $(cat "$cg/cgroup.procs"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && return 1
		done
		return 0
	}
	wait_until 10 warm_gone
	cur=$(cat "$cg/pids.current")
	echo $((cur + 3)) >"$cg/pids.max"
	note "clm's own processes hold $cur tasks; pids.max $((cur + 3))"
	ok=0 failed=0 first_err=
	for i in 1 2 3 4 5 6 7 8; do
		capture clm start /bin/sleep --name "p$i" \
		    --listen-timeout 0 --max-restarts 0 -- 1000
		if [ "$RC" = 0 ]; then
			ok=$((ok + 1))
		else
			failed=$((failed + 1))
			[ -z "$first_err" ] && first_err=$ERR
		fi
	done
	note "$ok apps started, $failed refused"
	assert_ge "$ok" 1 "apps started before forks failed"
	assert_ge "$failed" 1 "starts whose fork failed"
	assert_contains "$first_err" "cannot start" "the error says so"
	assert_contains "$(cat "$CLM_HOME/clmd.log")" "resource temporarily unavailable" \
	    "clmd.log names the cause"
	capture clm list
	assert_eq "$RC" 0 "clm list after failed forks"
	assert_eq "$(status_of p1 0)" online "p1 still online"
	capture clm kill
	gone() { [ ! -s "$cg/cgroup.procs" ]; }
	wait_until 10 gone
	rmdir "$cg"
else
	rmdir "$cg" 2>/dev/null
	note "no writable pids cgroup here: the fork part is skipped"
fi

check "the log disk is full"
new_home
mkdir -p "$CLM_HOME"
chmod 700 "$CLM_HOME"
logs=$TEST_TMP/tinylogs
mkdir -p "$logs"
if ! mount -t tmpfs -o size=256k,mode=0755 tmpfs "$logs" 2>/dev/null; then
	note "cannot mount a small tmpfs here: the disk-full part is skipped"
	exit 0
fi
printf '[daemon]\nlog_dir = %s\n[defaults]\nmax_log_size = 0\n' "$logs" \
    >"$CLM_HOME/clm.ini"
capture env L_COUNT=20000 L_PAD=100 clm start "$FIXTURES/l_lines.js" \
    --name flood
show_capture
assert_eq "$RC" 0 "clm start flood"
capture clm start "$FIXTURES/sleeper.sh" --name calm --listen-timeout 0
assert_eq "$RC" 0 "clm start calm"
full() { [ "$(df --output=avail "$logs" | tail -n1 | tr -d ' ')" -lt 8 ]; }
wait_until 30 full
ok "the log disk is full"
logd_warns() { grep -q "No space left" "$CLM_HOME/clmd.log"; }
wait_until 30 logd_warns
ok "clm-logd says so in clmd.log: $(grep -m1 'No space left' "$CLM_HOME/clmd.log")"
pid=$(pid_of calm 0)
capture clm list
assert_eq "$RC" 0 "clm list with the disk full"
assert_eq "$(status_of flood 0)" online "flood still online (not stalled dead)"
assert_eq "$(pid_of calm 0)" "$pid" "calm kept its pid"
capture clm restart calm
assert_eq "$RC" 0 "clm restart calm with the disk full"
capture clm flush flood
assert_eq "$RC" 0 "clm flush frees the disk"
capture clm kill
umount "$logs"
