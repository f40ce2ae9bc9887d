#!/bin/bash
# clmd as PID 1 of a PID namespace (a container) and as a child subreaper:
# orphans reparented to it are reaped (no zombie stays), SIGTERM stops every
# app gracefully and clmd exits 0.
. "$(dirname "$0")/lib.sh"

# zombie_children PID: how many zombies PID has as children.
zombie_children() {
	local n=0 f st
	for f in /proc/[0-9]*/stat; do
		st=$(cat "$f" 2>/dev/null) || continue
		st=${st##*) }
		set -- $st	# state, ppid, ...
		if [ "$1" = Z ] && [ "$2" = "$ZP" ]; then n=$((n + 1)); fi
	done
	echo "$n"
}
no_zombies_of() { ZP=$1; [ "$(zombie_children)" = 0 ]; }
restarts_at_least() { [ "$(restarts_of "$1" 0)" -ge "$2" ] 2>/dev/null; }

check "clmd (not PID 1) is a subreaper and reaps the orphans of its workers"
capture clm start "$FIXTURES/s_orphans.sh" --name orphans --max-restarts 1000
show_capture
pid=$(daemon_pid)
track_pid "$pid"
wait_until 20 restarts_at_least orphans 3
# Each run left two sleepers that were reparented to clmd, then killed
# with the worker's process group: clmd must have reaped them.
wait_until 10 no_zombies_of "$pid"
ok "no zombie children of clmd $pid after $(restarts_of orphans 0) runs"
capture clm delete orphans
assert_eq "$RC" 0 "clm delete exit status"
capture clm kill
assert_eq "$RC" 0 "clm kill exit status"

if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
	note "cannot make a PID namespace here: the PID 1 part is skipped"
	exit 0
fi
check "clmd as PID 1 of a PID namespace"
new_home
export CLM_PIDS_FOREIGN=1	# the pids clm shows are the namespace's
unshare --pid --fork --mount-proc \
    env CLM_HOME="$CLM_HOME" "$CLM_BIN_DIR/clmd" --foreground \
    >"$TEST_TMP/pid1.log" 2>&1 &
ns=$!
track_pid "$ns"
wait_until 10 clm ping
pid=$(ps -o pid= --ppid "$ns" | tr -d ' ')	# clmd, as seen from here
track_pid "$pid"
ok "clmd answers (pid $pid here, $(daemon_pid) in its namespace)"
assert_contains "$(cat "$CLM_HOME/clmd.log")" "clmd[1]:" "clmd's own pid is 1"
capture clm start "$FIXTURES/s_orphans.sh" --name orphans --max-restarts 1000
assert_eq "$RC" 1 "clm start of an app that exits at once"
capture clm start "$FIXTURES/sleeper.js" --name sleeper
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 restarts_at_least orphans 3
wait_until 10 no_zombies_of "$pid"
ok "no zombie children of PID 1 after $(restarts_of orphans 0) runs"

check "SIGTERM to PID 1: every app stops gracefully, exit status 0"
kill -TERM "$pid"
wait "$ns"
assert_eq "$?" 0 "exit status of clmd as PID 1 (through unshare)"
assert_contains "$(cat "$CLM_HOME/clmd.log")" "every app stopped; exiting" \
    "clmd.log"
assert_eq "$(field_of sleeper 0 status 2>/dev/null)" "" "no daemon answers"
