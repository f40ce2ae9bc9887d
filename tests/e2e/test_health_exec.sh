#!/bin/bash
# health_check = exec:COMMAND: the command runs per online worker with
# CLM_APP_NAME, CLM_INSTANCE and CLM_PID; the worker whose check fails
# health_retries times in a row is replaced (a new pid, its restarts rise),
# and that worker only: the other one keeps its pid. The result shows in
# clm list --json ("health"), clm metrics (clm_worker_healthy) and /readyz.
. "$(dirname "$0")/lib.sh"

mport=$(free_port)
mkdir -p "$CLM_HOME"
printf '[daemon]\nmetrics_listen = 127.0.0.1:%s\n' "$mport" >"$CLM_HOME/clm.ini"
readyz() { http_status "$mport" /readyz; }
health_of() { field_of h "$1" health; }
health_failing() { case "$(health_of "$1")" in failing*) return 0;; esac; return 1; }

bad=$TEST_TMP/bad	# pids whose check fails
seen=$TEST_TMP/seen	# what the checks were given
: >"$bad"
check="exec:echo \"\$CLM_APP_NAME \$CLM_INSTANCE \$CLM_PID\" >>$seen; ! grep -qx \"\$CLM_PID\" $bad"

pid_changed() { [ "$(pid_of h "$1")" != "$2" ] && [ "$(pid_of h "$1")" != 0 ]; }
checked() { grep -q "^h $1 $2\$" "$seen" 2>/dev/null; }

check "two workers, a passing exec check every second"
capture clm start "$FIXTURES/sleeper.js" --name h -i 2 \
    --health-check "$check" --health-interval 1s --health-retries 3
show_capture
assert_eq "$RC" 0 "clm start exit status"
p0=$(pid_of h 0)
p1=$(pid_of h 1)
wait_until 20 checked 0 "$p0"
wait_until 20 checked 1 "$p1"
ok "the check got CLM_APP_NAME, CLM_INSTANCE and CLM_PID of each worker"
assert_eq "$(health_of 0)" ok "clm list --json health of worker 0"
capture clm metrics
assert_contains "$OUT" 'clm_worker_healthy{app="h",id="1"} 1' "metrics"
assert_eq "$(readyz | cut -d' ' -f1)" 200 "/readyz while healthy"

check "the check fails for worker 1 only: worker 1 is replaced"
echo "$p1" >"$bad"
t0=$(now_ms)
wait_until 20 health_failing 1
got=$(readyz)
case "$got" in
"503 "*'"app":"h","id":1,"status":"online"'*'"health":"failing'*) ;;
*) fail "/readyz while worker 1 fails its check: $got" ;;
esac
capture clm metrics
assert_contains "$OUT" 'clm_worker_healthy{app="h",id="1"} 0' "metrics"
capture clm list
assert_contains "$OUT" "online (health failing" "clm list"
ok "failing shows: $got"
wait_until 30 pid_changed 1 "$p1"
note "replaced after $(($(now_ms) - t0)) ms (3 failures, 1 s apart)"
assert_eq "$(pid_of h 0)" "$p0" "worker 0 keeps its pid"
assert_eq "$(restarts_of h 0)" 0 "worker 0's restarts"
assert_eq "$(restarts_of h 1)" 1 "worker 1's restarts"
wait_until 20 pid_dead "$p1"
grep -q "h:1: pid $p1 failed its health check 3 times in a row" \
    "$CLM_HOME/clmd.log" || fail "clmd.log does not say why"
ok "worker 1 replaced, worker 0 untouched"

check "the new worker passes: it stays"
n1=$(pid_of h 1)
wait_until 20 checked 1 "$n1"
sleep 2		# several intervals: what must NOT happen
assert_eq "$(pid_of h 1)" "$n1" "worker 1's new pid"
assert_eq "$(pid_of h 0)" "$p0" "worker 0's pid"
ok "stable"
