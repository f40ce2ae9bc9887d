#!/bin/bash
# clmd --foreground (as systemd runs it) killed with kill -9: clm-keeper
# does not start a clmd itself (systemd's Restart= does); the workers
# serve on; the next `clmd --foreground --resurrect` (what Restart= runs)
# takes the state over instead of starting the saved apps again: the same
# worker pids, no duplicate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

port=$(free_port)
check "clmd --foreground, web (-i 2), saved"
clmd --foreground >"$TEST_TMP/fg1.out" 2>&1 &
fg1=$!
track_pid "$fg1"
up() { clm ping >/dev/null 2>&1; }
wait_until 10 up
capture env PORT="$port" clm start "$FIXTURES/http_pid.js" -i 2 --name web
assert_eq "$RC" 0 "clm start web"
wait_until 20 all_online web 2
capture clm save
assert_eq "$RC" 0 "clm save"
web=$(pids_line web)
ok "clmd $fg1, web [$web]"

check "kill -9 of the foreground clmd: nobody but its restarter starts one"
kill -9 "$fg1"
wait "$fg1" 2>/dev/null
sleep 1.5
[ -z "$(clmd_pids_for_home)" ] || fail "a clmd runs: $(clmd_pids_for_home)"
wait_until 5 answers "$port"
grep -q "it ran in the foreground" "$CLM_HOME/clmd.log" ||
    fail "clmd.log does not say the keeper waits for a restarter"
ok "no clmd started by the keeper; web still answers"

check "the restarter runs clmd --foreground --resurrect: it takes over"
clmd --foreground --resurrect >"$TEST_TMP/fg2.out" 2>&1 &
fg2=$!
track_pid "$fg2"
wait_until 10 up
capture clm ping
assert_contains "$OUT" "clmd pid $fg2" "the new clmd answers"
assert_eq "$(pids_line web)" "$web" "web pids (taken over, not started again)"
assert_eq "$(count_workers web)" 2 "web workers"
all_online web 2 || fail "web not online"
capture clm kill
assert_eq "$RC" 0 "clm kill"
wait_until 10 pid_dead "$fg2"
