#!/bin/bash
# pre_start and post_stop (tracker 18): pre_start runs with the app's
# environment and cwd before its workers; a failing one stops the start
# (clm start exits 1 with its exit status and last lines); post_stop runs
# after the last worker stopped; clmd answers while a hook runs.
. "$(dirname "$0")/lib.sh"

app=$TEST_TMP/app
mkdir -p "$app"
printf '#!/bin/sh\necho "worker $(date +%%s%%N)" >>"$EV"\nexec sleep 600\n' \
    >"$app/server.sh"
export EV=$TEST_TMP/events

check "pre_start runs in cwd with the app's env, before the workers"
cat >"$TEST_TMP/ok.ini" <<INI
[web]
script = $app/server.sh
instances = 2
pre_start = sleep 1; echo "pre \$(date +%s%N) \$(pwd) \$GREETING" >>"\$EV"
post_stop = echo "post \$(date +%s%N) \$CLM_APP_NAME" >>"\$EV"
env.GREETING = hello
env.EV = $TEST_TMP/events
INI
t0=$(now_ms)
capture clm start "$TEST_TMP/ok.ini"
show_capture
assert_eq "$RC" 0 "clm start exit status"
want=$(( $(nproc) < 2 ? 1 : 2 ))
wait_until 15 all_online web "$want"
cat "$EV" | sed 's/^/  events| /'
first=$(head -n1 "$EV")
assert_contains "$first" "pre " "the first event"
assert_contains "$first" "$TEST_TMP hello" "pre_start's cwd (the file's folder) and env"
pre_t=$(echo "$first" | awk '{print $2}')
for w in $(grep '^worker ' "$EV" | awk '{print $2}'); do
	[ "$w" -gt "$pre_t" ] || fail "a worker started before pre_start ended"
done
ok "every worker started after pre_start"

check "clmd answers while a pre_start runs"
cat >"$TEST_TMP/slow.ini" <<INI
[slow]
script = $app/server.sh
pre_start = sleep 3
env.EV = $TEST_TMP/events
INI
clm start "$TEST_TMP/slow.ini" >/dev/null 2>&1 &
slow_pid=$!
echo "$slow_pid" >>"$PIDS_DIR/cli"
hooked() { grep -q "slow: running pre_start" "$CLM_HOME/clmd.log"; }
wait_until 10 hooked
t1=$(now_ms)
capture clm ping
assert_eq "$RC" 0 "clm ping exit status"
assert_lt $(($(now_ms) - t1)) 1500 "ms for clm ping during pre_start"
wait "$slow_pid"
assert_eq "$?" 0 "clm start slow.ini exit status"

check "post_stop runs after the last worker stopped"
capture clm stop web
assert_eq "$RC" 0 "clm stop exit status"
posted() { grep -q '^post ' "$EV"; }
wait_until 10 posted
assert_contains "$(grep '^post ' "$EV")" "web" "post_stop's env"
grep "post_stop" "$CLM_HOME/clmd.log" | sed 's/^/  clmd.log| /'

check "a failing pre_start stops clm start: exit 1, its status and output"
cat >"$TEST_TMP/bad.ini" <<INI
[bad]
script = $app/server.sh
pre_start = echo migrating; echo "table users: no such column" >&2; exit 3
env.EV = $TEST_TMP/badevents
INI
capture clm start "$TEST_TMP/bad.ini"
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_contains "$ERR" "pre_start" "stderr"
assert_contains "$ERR" "exit status 3" "stderr"
assert_contains "$ERR" "migrating" "stderr"
assert_contains "$ERR" "table users: no such column" "stderr"
[ ! -e "$TEST_TMP/badevents" ] || fail "a worker of bad started"
ok "no worker of bad started"
assert_eq "$(count_workers bad online)" 0 "online workers of bad"

clm delete all >/dev/null 2>&1
echo "PASS: $TEST_NAME"
