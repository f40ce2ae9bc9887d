#!/bin/bash
# cron_restart (tracker 18): a schedule of every minute reloads the app at
# the minute (rolling: every pid new) while a strict client's load sees no
# failed request. Takes up to ~75 s: it waits for the next minute.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

want=$(( $(nproc) < 2 ? 1 : 2 ))
port=$(free_port)

check "a bad schedule or zone is refused before anything starts"
capture clm start "$FIXTURES/http_pid.js" --name bad --cron-restart '61 * * * *'
assert_eq "$RC" 2 "exit status"
assert_contains "$ERR" "minute '61' is not *, a value from 0 to 59" "stderr"
capture clm start "$FIXTURES/http_pid.js" --name bad --cron-restart \
    '0 0 * * *' --cron-tz Mars/Olympus
assert_eq "$RC" 2 "exit status"
assert_contains "$ERR" "'Mars/Olympus' is not a time zone" "stderr"

check "clm start http_pid.js -i $want --cron-restart '* * * * *'"
PORT=$port capture clm start "$FIXTURES/http_pid.js" -i "$want" --name web \
    --cron-restart '* * * * *' --cron-tz UTC
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online web "$want"
wait_until 10 answers "$port"
capture clm describe web
assert_contains "$OUT" "* * * * *" "describe's cron_restart"
assert_contains "$OUT" "UTC" "describe's cron_tz"
before=$(pids_line web)
echo "  pids before: $before"

# Load from now until well after the next minute's reload.
secs=$(( 60 - $(date +%S | sed 's/^0//') + 15 ))
node "$CLM_SRC_DIR/bench/httpc.js" load "$port" "$secs" 4 100 \
    >"$TEST_TMP/load.out" 2>"$TEST_TMP/load.err" &
load_pid=$!
echo "$load_pid" >>"$PIDS_DIR/load"
echo "  strict load for $secs s (pid $load_pid)"

check "at the minute, every worker is replaced"
all_new() {
	local now
	now=$(pids_line web)
	[ "$(printf '%s\n' $now | sort -u | wc -l)" = "$want" ] &&
	    disjoint "$before" "$now" && all_online web "$want"
}
wait_until 80 all_new
ok "pids now: $(pids_line web)"
grep -q "web: cron_restart (\* \* \* \* \*): reloading" "$CLM_HOME/clmd.log" ||
    fail "clmd.log does not say the cron reloaded web"
grep "cron_restart" "$CLM_HOME/clmd.log" | sed 's/^/  clmd.log| /'
at=$(grep "cron_restart (" "$CLM_HOME/clmd.log" | head -n1 | cut -c18-23)
ok "the reload began at second $at of the minute"
case "$at" in 00.*|01.*|02.*) ;; *) fail "the reload began at :$at, not at the minute" ;; esac

check "the strict client saw no failed request"
wait "$load_pid"
rc=$?
cat "$TEST_TMP/load.out"
head -n 5 "$TEST_TMP/load.err"
assert_eq "$rc" 0 "httpc load exit status"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1]));
sys.exit(0 if d["failed"] == 0 and d["ok"] > 100 else 1)' \
    "$TEST_TMP/load.out" || fail "failed requests during the cron reload"
ok "no failed request"

clm delete all >/dev/null || fail "clm delete all"
echo "PASS: $TEST_NAME"
