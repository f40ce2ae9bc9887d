#!/usr/bin/env bash
# on_event: an app's hook runs for its events with CLM_EVENT,
# CLM_APP_NAME, CLM_INSTANCE, CLM_PID, CLM_EXIT_CODE, CLM_SIGNAL and
# CLM_RESTARTS; it writes a file when the app goes errored. One run at a
# time per app; its output goes to clmd.log; a hook that hangs is killed
# after the timeout (CLM_HOOK_TIMEOUT_MS, 30 s by default).
. "$(dirname "$0")/lib.sh"

export CLM_HOOK_TIMEOUT_MS=2000
OUTF=$TEST_TMP/errored.env
LOGF=$TEST_TMP/hook.log

check "a crash loop with an on_event hook"
hook="echo \"hook \$CLM_EVENT \$CLM_INSTANCE\" >>'$LOGF';
    if [ \"\$CLM_EVENT\" = errored ]; then env | grep ^CLM_ | sort >'$OUTF'.tmp;
    mv '$OUTF'.tmp '$OUTF'; fi; echo \"said by the hook: \$CLM_EVENT\""
clm start "$FIXTURES/crash.js" --name pager --max-restarts 2 \
    --min-uptime 10s --listen-timeout 20s --on-event "$hook" >/dev/null 2>&1
wait_until 60 test -s "$OUTF"
cat "$OUTF" | sed 's/^/  env| /'
env=$(cat "$OUTF")
assert_contains "$env" "CLM_EVENT=errored" "the hook's environment"
assert_contains "$env" "CLM_APP_NAME=pager" "the hook's environment"
assert_contains "$env" "CLM_INSTANCE=0" "the hook's environment"
assert_contains "$env" "CLM_RESTARTS=2" "the hook's environment"
assert_contains "$env" "CLM_SIGNAL=" "the hook's environment"
assert_contains "$env" "CLM_EXIT_CODE=3" "the hook's environment (the last exit)"
pid=$(grep ^CLM_PID= "$OUTF" | cut -d= -f2)
[ "${pid:-0}" -gt 0 ] || fail "CLM_PID=$pid: want the last run's pid"
ok "written when the app went errored, with the variables"

check "every event ran the hook, in order, one at a time; an exit has its code"
wait_until 20 grep -q "hook errored" "$LOGF"
got=$(awk '{print $2}' "$LOGF" | tr '\n' ' ')
assert_eq "$got" "launching exit restart launching exit restart launching exit errored " \
    "the hook's runs"
wait_until 20 grep -q "on_event: said by the hook: errored" "$CLM_HOME/clmd.log"
ok "its output is in clmd.log"

check "a hook that hangs is killed after the timeout"
clm start "$FIXTURES/sleeper.sh" --name hang \
    --on-event "echo \$\$ >'$TEST_TMP/hang.pid'; exec sleep 1000" >/dev/null ||
    fail "clm start hang"
wait_until 20 test -s "$TEST_TMP/hang.pid"
hp=$(cat "$TEST_TMP/hang.pid")
wait_until 20 pid_dead "$hp"
wait_until 20 grep -q "hang: on_event hook still running after 2000 ms: killing it" \
    "$CLM_HOME/clmd.log"
ok "killed (pid $hp)"
clm delete hang pager >/dev/null

check "[defaults] on_event in clm.ini: every app that sets none gets it"
new_home
mkdir -m 0700 "$CLM_HOME"
printf '[defaults]\non_event = test "$CLM_EVENT" = exit && env | grep ^CLM_ | sort >%s\n' \
    "$TEST_TMP/exit.env" >"$CLM_HOME/clm.ini"
clm start "$FIXTURES/sleeper.sh" --name plain >/dev/null || fail "clm start plain"
wait_until 20 status_is plain 0 online
p=$(pid_of plain 0)
kill -KILL "$p"
wait_until 20 test -s "$TEST_TMP/exit.env"
sed 's/^/  env| /' "$TEST_TMP/exit.env"
assert_contains "$(cat "$TEST_TMP/exit.env")" "CLM_SIGNAL=SIGKILL" "the exit's signal"
assert_contains "$(cat "$TEST_TMP/exit.env")" "CLM_PID=$p" "the exit's pid"
assert_contains "$(cat "$TEST_TMP/exit.env")" "CLM_APP_NAME=plain" "the app"
clm delete plain >/dev/null
ok "[defaults] on_event ran"
