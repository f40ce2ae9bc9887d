#!/bin/bash
# clm update re-executes clmd in place: the same daemon pid, the same
# worker pids, no failed request under load, the port never closes; a
# worker killed afterwards is still restarted (adopted across the exec);
# SIGUSR2 does the same; an incompatible binary is refused and the old
# daemon keeps running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

port=$(free_port)
check "an HTTP app with -i 2 and a sleeper"
capture env PORT="$port" clm start "$FIXTURES/http_pid.js" -i 2 --name web
assert_eq "$RC" 0 "clm start web"
capture clm start "$FIXTURES/sleeper.js" --name s --time
assert_eq "$RC" 0 "clm start s"
daemon=$(daemon_pid)
before=$(pids_of web | tr '\n' ' ')$(pids_of s)
restarts=$(restarts_of web 0)

check "clm update under a load of new connections"
wrk_out=$TEST_TMP/wrk.txt
wrk -t2 -c16 -d6s -H 'Connection: close' "http://127.0.0.1:$port/" \
    >"$wrk_out" 2>&1 &
load=$!
track_pid "$load"
sleep 1		# let the load reach full speed (wrk runs a fixed 6 s)
capture clm update
show_capture
assert_eq "$RC" 0 "clm update exit status"
assert_contains "$OUT" "took over in pid $daemon" "clm update says so"
wait "$load"
cat "$wrk_out" | sed 's/^/  | /'
assert_not_contains "$(cat "$wrk_out")" "Socket errors" "wrk socket errors"
assert_not_contains "$(cat "$wrk_out")" "Non-2xx" "wrk non-2xx responses"
requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$wrk_out")
assert_ge "${requests:-0}" 1000 "requests served during the update"
assert_eq "$(daemon_pid)" "$daemon" "daemon pid"
after=$(pids_of web | tr '\n' ' ')$(pids_of s)
assert_eq "$after" "$before" "worker pids"
assert_eq "$(restarts_of web 0)" "$restarts" "restart count kept"
assert_eq "$(status_of web 0)" online "web:0 status"

check "logs still flow after the update (to a new clm-logd)"
capture clm logs s --lines 1 --nostream
assert_eq "$RC" 0 "clm logs"
assert_contains "$OUT" "s:0 out | " "a line of s"

check "a worker killed after the update is restarted"
old=$(pid_of web 0)
kill -9 "$old"
replaced() { local p; p=$(pid_of web 0); [ -n "$p" ] && [ "$p" != "$old" ] &&
    [ "$(status_of web 0)" = online ]; }
wait_until 10 replaced
ok "web:0 $old replaced by $(pid_of web 0)"
assert_eq "$(restarts_of web 0)" "$((restarts + 1))" "restart count"

check "SIGUSR2 re-executes clmd too"
before=$(pids_of web | tr '\n' ' ')
n0=$(grep -c "took over" "$CLM_HOME/clmd.log")
kill -USR2 "$daemon"
took_over() { [ "$(grep -c "took over" "$CLM_HOME/clmd.log")" -gt "$n0" ]; }
wait_until 10 took_over
wait_until 10 clm ping
assert_eq "$(daemon_pid)" "$daemon" "daemon pid"
assert_eq "$(pids_of web | tr '\n' ' ')" "$before" "worker pids"
body=$(http_get "$port")
assert_contains " $before" " $body " "the port answers"

check "an incompatible binary is refused, the old daemon stays"
capture clm update --binary /bin/false
show_capture
assert_eq "$RC" 1 "clm update exit status"
assert_contains "$ERR" "the daemon stays as it is" "error"
capture clm ping
assert_eq "$RC" 0 "clm ping"
assert_contains "$OUT" "clmd pid $daemon" "same daemon"
assert_eq "$(pids_of web | tr '\n' ' ')" "$before" "worker pids"
