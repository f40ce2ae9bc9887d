#!/bin/bash
# clm reload, twice, under a load of new connections (wrk -c16 with
# "Connection: close"): no socket error, no non-2xx response, reload exits
# 0 and every worker pid is new after each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

want=$(( $(nproc) < 2 ? 1 : 2 ))
port=$(free_port)

check "clm start http_pid.js -i 2 on port $port"
PORT=$port capture clm start "$FIXTURES/http_pid.js" -i 2 --name web
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online web "$want"
expect_pids_answer "$port" "$want" "before the load"

check "two reloads under wrk -c16 -H 'Connection: close'"
reload_under_load web "$port" 8 -t2 -c16 -H 'Connection: close'

check "the app still answers from $want pids"
expect_pids_answer "$port" "$want" "after the reloads"
no_eaddrinuse web
