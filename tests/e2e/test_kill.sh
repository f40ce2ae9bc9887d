#!/bin/bash
# clm kill stops every app and the daemon: no daemon, no worker, no
# grandchild and no socket are left. Without a daemon it is a no-op.
. "$(dirname "$0")/lib.sh"

export GRANDCHILD_PID_FILE=$PIDS_DIR/grandchildren
n=$(( $(nproc) < 2 ? 1 : 2 ))

check "start two apps ($n sleepers, 1 worker with a grandchild)"
capture clm start "$FIXTURES/sleeper.js" -i "$n" --name a
show_capture
assert_eq "$RC" 0 "clm start a exit status"
capture clm start "$FIXTURES/grandchild.js" --name b
show_capture
assert_eq "$RC" 0 "clm start b exit status"
wait_until 20 all_online a "$n"
wait_until 20 all_online b 1
has_gc() { [ -s "$GRANDCHILD_PID_FILE" ]; }
wait_until 10 has_gc
gc=$(head -n1 "$GRANDCHILD_PID_FILE")
dpid=$(daemon_pid)
[ -n "$dpid" ] && pid_alive "$dpid" || fail "no live daemon pid in clmd.pid"
track_pid "$dpid"
workers=$( (pids_of a; pids_of b) | tr '\n' ' ')
[ -S "$CLM_HOME/clm.sock" ] || fail "no socket $CLM_HOME/clm.sock"
ok "daemon $dpid, workers $workers, grandchild $gc"

check "clm kill"
capture clm kill
show_capture
assert_eq "$RC" 0 "clm kill exit status"
assert_contains "$OUT" "clmd stopped" "clm kill stdout"
pid_dead "$dpid" || fail "daemon $dpid still runs after clm kill returned"
ok "daemon $dpid gone when clm kill returns"
for p in $workers; do
	pid_dead "$p" || fail "worker $p still runs after clm kill returned"
done
ok "workers gone when clm kill returns"
wait_until 3 pid_dead "$gc"
ok "grandchild $gc gone"
[ -e "$CLM_HOME/clm.sock" ] && fail "socket $CLM_HOME/clm.sock is still there"
ok "socket removed"
assert_eq "$(clmd_pids_for_home | wc -l)" 0 "clmd processes for CLM_HOME"

check "after kill: ping says no daemon, list is empty, kill is a no-op"
capture clm ping
show_capture
assert_eq "$RC" 1 "clm ping exit status"
capture clm list --json
show_capture
assert_eq "$RC" 0 "clm list --json exit status"
assert_eq "$(printf '%s' "$OUT" | jpy 'len(d)')" 0 "clm list --json length"
capture clm kill
show_capture
assert_eq "$RC" 0 "clm kill without a daemon exit status"
assert_contains "$OUT$ERR" "no daemon" "clm kill without a daemon output"
assert_eq "$(clmd_pids_for_home | wc -l)" 0 "clmd processes for CLM_HOME"
[ -e "$CLM_HOME/clm.sock" ] && fail "a socket appeared"
ok "nothing started"
