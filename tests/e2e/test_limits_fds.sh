#!/bin/bash
# Open files a worker costs: 3 in clmd (its channel, the read ends of its
# two log pipes: no pidfd for its own child) and 3 in clm-keeper (copies of
# the same; no pidfd either, the state names each worker's start time).
# Under a hard limit where 4 a worker does not fit and 3 does, every worker
# runs, a crash of clmd is survived (the next clmd sees the workers' ends
# on pidfds while they fit, then by looking at /proc), and a start that
# would not fit even at 3 a worker is refused with the count and the fix.
. "$(dirname "$0")/lib.sh"

W=150	# 96 + 3 * 150 = 546 files fit in 600; 96 + 4 * 150 = 696 do not
ulimit -Sn 300 && ulimit -Hn 600 || fail "cannot lower the open file limit"
export CLM_REAPER_SWEEP_MS=1000

# online_pids: the pids of the online workers, sorted, one a line.
online_pids() {
	list_json | jpy 'sorted(w["pid"] for w in d if w["status"] == "online"
	    and w["pid"])'
}
n_online() { online_pids | wc -l; }
keeper_pid() { pgrep -f "clm-keeper $CLM_HOME/keeper.sock" | head -n1; }
nfds() { ls "/proc/$1/fd" | wc -l; }
soft_nofile() { awk '/^Max open files/ { print $4 }' "/proc/$1/limits"; }

check "$W workers under a hard limit of 600 open files (3 a worker fit, 4 not)"
apps_file "$TEST_TMP/a.ini" "$W" s
capture clm start "$TEST_TMP/a.ini"
[ "$RC" = 0 ] || show_capture
assert_eq "$RC" 0 "clm start a.ini exit status"
wait_until 60 eval '[ "$(n_online)" = "$W" ]'
ok "$W workers online"
D=$(daemon_pid)
K=$(keeper_pid)
[ -n "$K" ] || fail "no clm-keeper for $CLM_HOME"
assert_eq "$(soft_nofile "$D")" 600 "clmd's soft limit on open files"
assert_eq "$(soft_nofile "$K")" 600 "clm-keeper's soft limit on open files"
# The keeper commits the last state a moment after the last change.
keeper_fds_fit() { [ "$(nfds "$K")" -le $((3 * W + 30)) ] &&
    [ "$(nfds "$K")" -ge $((3 * W)) ]; }
wait_until 10 keeper_fds_fit
echo "  clmd holds $(nfds "$D") fds, clm-keeper $(nfds "$K") ($W workers)"
assert_lt "$(nfds "$D")" $((3 * W + 60)) "clmd's fds (3 a worker + about 50)"
assert_lt "$(nfds "$K")" $((3 * W + 30)) "clm-keeper's fds (3 a worker + a few)"
pids=$(online_pids)

check "kill -9 of clmd: the next one adopts all $W, and sees their ends"
kill -9 "$D"
new_daemon() { local d; d=$(daemon_pid); [ -n "$d" ] && [ "$d" != "$D" ] &&
    pid_alive "$d"; }
wait_until 20 new_daemon
D2=$(daemon_pid)
wait_until 30 eval '[ "$(n_online)" = "$W" ]'
[ "$(online_pids)" = "$pids" ] || fail "the worker pids changed"
ok "the same $W worker pids"
echo "  the new clmd holds $(nfds "$D2") fds (pidfds while they fit)"
assert_lt "$(nfds "$D2")" 600 "the new clmd's fds"
# The keeper renumbered what it holds to the new clmd's numbers and said
# so (HELD): nothing was sent to it twice (450 more would not fit in 600).
K2=$(keeper_pid)
assert_eq "$K2" "$K" "the same clm-keeper"
wait_until 10 keeper_fds_fit
ok "clm-keeper holds $(nfds "$K") fds"
grep "clm-keeper\[" "$CLM_HOME/clmd.log" | grep -q "does not know" &&
    fail "clm-keeper got messages it could not read (descriptors dropped)"
ok "clm-keeper read every message"
# The first one adopted has a pidfd; the last found no room for one: it
# is looked at every sweep.
for app in s0 "s$((W - 1))"; do
	p=$(pid_of "$app" 0)
	kill -9 "$p"
	wait_until 30 eval '[ "$(restarts_of "$app" 0)" = 1 ]'
	wait_until 30 status_is "$app" 0 online
	ok "$app: pid $p killed, seen, restarted"
done

check "clm update: the keeper is not sent its $((3 * W)) descriptors again"
capture clm update
assert_eq "$RC" 0 "clm update"
wait_until 30 eval '[ "$(n_online)" = "$W" ]'
wait_until 10 keeper_fds_fit
ok "clm-keeper holds $(nfds "$K") fds"
grep "clm-keeper\[" "$CLM_HOME/clmd.log" | grep -q "does not know" &&
    fail "clm-keeper got messages it could not read (descriptors dropped)"
ok "clm-keeper read every message"

check "$((W + 60)) workers do not fit even at 3 a worker: refused, nothing started"
apps_file "$TEST_TMP/b.ini" 60 t
capture clm start "$TEST_TMP/b.ini"
show_capture
assert_eq "$RC" 1 "clm start b.ini exit status"
need=$((96 + 3 * (W + 60)))
assert_contains "$ERR" "$((W + 60)) workers need about $need open files" "stderr"
assert_contains "$ERR" "(3 a worker)" "stderr"
assert_contains "$ERR" "limit of 600" "stderr"
assert_contains "$ERR" "nothing was started" "stderr"
assert_contains "$ERR" "ulimit -Hn 1024" "stderr"
assert_eq "$(count_workers t0)" 0 "workers of t0"
assert_eq "$(count_workers t59)" 0 "workers of t59"
assert_eq "$(n_online)" "$W" "workers online"

capture clm kill
assert_eq "$RC" 0 "clm kill"
