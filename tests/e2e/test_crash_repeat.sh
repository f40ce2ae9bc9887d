#!/bin/bash
# clmd killed (kill -9) ten times in a row, 1 s apart, under a steady load
# of new connections (a strict client that reads every reply): no request
# fails, every kill is followed by a new clmd, and at the end the same
# worker pids are online with no restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

HTTPC=$(dirname "$0")/../../bench/httpc.js
port=$(free_port)
check "web (Node, -i 2)"
capture env PORT="$port" clm start "$FIXTURES/http_pid.js" -i 2 --name web
assert_eq "$RC" 0 "clm start web"
wait_until 20 all_online web 2
wait_until 10 answers "$port"
web=$(pids_line web)
ok "web [$web]"

check "ten kill -9 of clmd, 1 s apart, under load"
node "$HTTPC" load "$port" 16 4 300 >"$TEST_TMP/load.json" \
    2>"$TEST_TMP/load.err" &
load=$!
track_pid "$load"
sleep 1
daemons=()
for i in 1 2 3 4 5 6 7 8 9 10; do
	d=$(daemon_pid)
	daemons+=("$d")
	track_pid "$d"
	kill -9 "$d"
	new_daemon() { local n; n=$(daemon_pid); [ -n "$n" ] &&
	    [ "$n" != "$d" ] && pid_alive "$n"; }
	wait_until 10 new_daemon
	sleep 1
done
ok "killed ${daemons[*]}; now clmd $(daemon_pid)"
wait "$load"
echo "  load: $(cat "$TEST_TMP/load.json")"
head -n 5 "$TEST_TMP/load.err" | sed 's/^/  | /'
f=$(sed -n 's/.*"failed":\([0-9]*\).*/\1/p' "$TEST_TMP/load.json")
n=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' "$TEST_TMP/load.json")
assert_eq "$f" 0 "failed requests"
assert_ge "${n:-0}" 1000 "requests answered"
assert_eq "$(pids_line web)" "$web" "worker pids after ten crashes"
assert_eq "$(restarts_of web 0)" 0 "web:0 restarts"
assert_eq "$(restarts_of web 1)" 0 "web:1 restarts"
all_online web 2 || fail "not all of web online"
n=$(grep -c "after a crash of clmd: clmd .* took over" "$CLM_HOME/clmd.log")
assert_eq "$n" 10 "take-overs in clmd.log"
keepers=$(pgrep -f "clm-keeper $CLM_HOME/keeper.sock" | wc -l)
assert_eq "$keepers" 1 "clm-keepers for the home"
logds=$(pgrep -f "^$CLM_BIN_DIR/clm-logd" -u "$(id -u)" | while read -r p; do
	tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
	    grep -qx "CLM_HOME=$CLM_HOME" && echo "$p"; done | wc -l)
assert_eq "$logds" 1 "clm-logds for the home (the old ones went)"
