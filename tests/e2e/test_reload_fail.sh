#!/bin/bash
# A reload whose new code exits at start: clm reload exits 1 naming the
# worker, the old workers keep their pids, stay online and keep serving
# (checked under a light load); once the code is fixed, reload works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

want=$(( $(nproc) < 2 ? 1 : 2 ))
port=$(free_port)
flag=$TEST_TMP/crash.flag

check "clm start c_flaky.js -i 2 on port $port (CRASH_FLAG absent)"
CRASH_FLAG=$flag PORT=$port capture clm start "$FIXTURES/c_flaky.js" -i 2 \
    --name flaky
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online flaky "$want"
before=$(pids_line flaky)
echo "  pids: $before"
expect_pids_answer "$port" "$want" "before the reload"

check "new code fails at start: clm reload exits 1 naming the worker"
touch "$flag"
wrk_start "$TEST_TMP/wrk.out" -t1 -c4 -d6s --timeout 5s \
    -H 'Connection: close' "http://127.0.0.1:$port/"
wait_until 10 answers "$port"
t0=$(now_ms)
capture clm reload flaky
t1=$(now_ms)
echo "  clm reload took $((t1 - t0)) ms"
show_capture
assert_eq "$RC" 1 "clm reload exit status"
[[ $ERR =~ flaky:[0-9] ]] || fail "clm reload's error does not name the" \
    "worker (flaky:SLOT): '$ERR'"
ok "the error names the worker: $BASH_REMATCH"
assert_contains "$ERR" "clm: " "clm reload's stderr"
kill -0 "$WRK_PID" 2>/dev/null ||
    note "wrk ended before the failed reload returned"

check "the old workers keep their pids, stay online and serve"
assert_eq "$(pids_line flaky)" "$before" "pids after the failed reload"
all_online flaky "$want" || fail "not all $want old workers online"
ok "all $want old workers online"
for id in $(seq 0 $((want - 1))); do
	assert_eq "$(status_of flaky "$id")" online "status of flaky/$id"
done
expect_pids_answer "$port" "$want" "after the failed reload"
same_set "$SEEN_PIDS" "$before" ||
    fail "pids that answered [$SEEN_PIDS] are not the old [$before]"
ok "the old workers answered"
wrk_wait 40
wrk_show "$TEST_TMP/wrk.out"
wrk_parse "$TEST_TMP/wrk.out"
wrk_summary
assert_eq "$WRK_SOCKET_LINE" 0 "wrk printed a 'Socket errors' line (1 = yes)"
assert_eq "$WRK_NON2XX_LINE" 0 "wrk printed a 'Non-2xx' line (1 = yes)"
grep -q 'c_flaky: .* exists, failing at start' "$CLM_HOME"/logs/flaky-*-err.log ||
    fail "no trace of the failing new worker in flaky's err logs"
ok "the new worker's failure is in its err log"
clmd_log_tail 6

check "a second failed reload changes nothing either"
capture clm reload flaky
show_capture
assert_eq "$RC" 1 "clm reload exit status"
assert_eq "$(pids_line flaky)" "$before" "pids after the second failed reload"
wait_until 10 all_online flaky "$want"

check "code fixed (flag removed): clm reload replaces every worker"
rm -f "$flag"
capture clm reload flaky
show_capture
assert_eq "$RC" 0 "clm reload exit status"
after=$(pids_line flaky)
echo "  pids: $after"
disjoint "$before" "$after" || fail "pids [$after] not all new (were [$before])"
ok "every pid is new"
wait_until 20 all_online flaky "$want"
expect_pids_answer "$port" "$want" "after the good reload"
same_set "$SEEN_PIDS" "$after" ||
    fail "pids that answered [$SEEN_PIDS] are not the new [$after]"
ok "the new workers answered"
