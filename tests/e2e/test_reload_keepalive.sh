#!/bin/bash
# clm reload, twice, under keep-alive load (wrk -c64): the Node drain ends
# each old worker's connections cleanly (Connection: close on the next
# response, idle ones closed after a grace), so wrk sees no socket error
# and no non-2xx response; reload exits 0 and every pid is new after each.
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

check "two reloads under keep-alive wrk -c64"
reload_under_load web "$port" 8 -t2 -c64

check "the app still answers from $want pids"
expect_pids_answer "$port" "$want" "after the reloads"
no_eaddrinuse web
