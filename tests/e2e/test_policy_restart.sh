#!/bin/bash
# When to restart (tracker 18): stop_exit_codes, autorestart on-failure,
# errored_retry and max_uptime with jitter, with real processes.
. "$(dirname "$0")/lib.sh"

# job.sh: logs a run, stays up RUN_S seconds, exits with the code in
# $TEST_TMP/code (0 when there is none).
job=$TEST_TMP/job.sh
cat >"$job" <<'SH'
#!/bin/sh
echo run >>"$RUNS"
sleep "${RUN_S:-0}"
code=0
[ -f "$CODE_FILE" ] && code=$(cat "$CODE_FILE")
exit "$code"
SH
runs() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
# stays APP ID STATUS MS: the worker keeps STATUS for MS (nothing to poll:
# we watch that nothing happens).
stays() {
	local end=$(($(now_ms) + $4)) s
	while [ "$(now_ms)" -lt "$end" ]; do
		s=$(status_of "$1" "$2")
		[ "$s" = "$3" ] || fail "$1:$2 went from $3 to '$s'"
		sleep 0.2
	done
	ok "$1:$2 stayed $3 for $4 ms"
}

check "stop_exit_codes = 0: a job that exits 0 is stopped, not restarted"
RUNS=$TEST_TMP/runs0 CODE_FILE=$TEST_TMP/none capture clm start "$job" \
    --name done0 --stop-exit-codes 0,3
show_capture
assert_eq "$RC" 0 "clm start exit status"
assert_eq "$(status_of done0 0)" stopped "status"
assert_eq "$(field_of done0 0 exit_code)" 0 "exit_code"
stays done0 0 stopped 2000
assert_eq "$(runs "$TEST_TMP/runs0")" 1 "runs"
assert_eq "$(restarts_of done0 0)" 0 "restarts"
capture clm describe done0
assert_contains "$OUT" "0 3" "describe's stop_exit_codes"

check "an exit with a code not listed is restarted; a listed one (3) stops it"
echo 5 >"$TEST_TMP/code5"
RUNS=$TEST_TMP/runs5 CODE_FILE=$TEST_TMP/code5 RUN_S=1.2 capture clm start \
    "$job" --name codes --stop-exit-codes 0,3 --min-uptime 500
show_capture
two_runs() { [ "$(runs "$TEST_TMP/runs5")" -ge 2 ]; }
wait_until 15 two_runs
ok "exit 5 was restarted"
echo 3 >"$TEST_TMP/code5"
wait_until 15 status_is codes 0 stopped
assert_eq "$(field_of codes 0 exit_code)" 3 "exit_code"
n=$(runs "$TEST_TMP/runs5")
stays codes 0 stopped 2000
assert_eq "$(runs "$TEST_TMP/runs5")" "$n" "runs after it stopped"

check "autorestart = on-failure (app file): exit 1 is restarted, exit 0 is done"
echo 1 >"$TEST_TMP/code1"
cat >"$TEST_TMP/apps.ini" <<INI
[onfail]
script = $job
autorestart = on-failure
min_uptime = 500
env.RUNS = $TEST_TMP/runs1
env.CODE_FILE = $TEST_TMP/code1
env.RUN_S = 1.2
INI
capture clm start "$TEST_TMP/apps.ini"
show_capture
three_runs() { [ "$(runs "$TEST_TMP/runs1")" -ge 3 ]; }
wait_until 20 three_runs
ok "exit 1 was restarted, again and again"
assert_ne_stopped() { [ "$(status_of onfail 0)" != stopped ]; }
assert_ne_stopped || fail "onfail stopped after exit 1"
echo 0 >"$TEST_TMP/code1"
wait_until 15 status_is onfail 0 stopped
assert_eq "$(field_of onfail 0 exit_code)" 0 "exit_code"
n=$(runs "$TEST_TMP/runs1")
stays onfail 0 stopped 2000
assert_eq "$(runs "$TEST_TMP/runs1")" "$n" "runs after exit 0"
capture clm describe onfail
assert_contains "$OUT" "on-failure" "describe's autorestart"
capture clm start "$job" --name badmode --autorestart sometimes
assert_eq "$RC" 2 "--autorestart sometimes: exit status"
assert_contains "$ERR" "is not always, on-failure or never" "stderr"

check "errored_retry = 3s: an errored app is tried again, and comes back"
# db.sh fails at once until $TEST_TMP/db-up exists, then stays up.
cat >"$TEST_TMP/db.sh" <<SH
#!/bin/sh
echo run >>"$TEST_TMP/runsdb"
[ -f "$TEST_TMP/db-up" ] || exit 1
exec sleep 600
SH
capture clm start "$TEST_TMP/db.sh" --name db --max-restarts 1 \
    --errored-retry 3s --min-uptime 500
show_capture
wait_until 15 status_is db 0 errored
t0=$(now_ms)
n=$(runs "$TEST_TMP/runsdb")
ok "errored after $n runs"
more_runs() { [ "$(runs "$TEST_TMP/runsdb")" -gt "$n" ]; }
wait_until 10 more_runs
dt=$(($(now_ms) - t0))
ok "tried again after $dt ms"
# t0 is when the CLI saw it errored, a little after: the log says when.
gap=$(grep -E 'db:0: .*(errored; trying again|trying again \(errored_retry\))' \
    "$CLM_HOME/clmd.log" | head -n 2 | $PY -c '
import sys, datetime
t = [datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
     for l in sys.stdin]
print(int((t[1] - t[0]).total_seconds() * 1000))')
ok "errored, then tried again $gap ms later (clmd.log)"
[ "$gap" -ge 2900 ] && [ "$gap" -le 4500 ] ||
    fail "tried again $gap ms after it errored, not errored_retry (3s)"
wait_until 10 status_is db 0 errored
ok "still failing: errored again"
touch "$TEST_TMP/db-up"
t0=$(now_ms)
wait_until 15 status_is db 0 online
ok "online $(($(now_ms) - t0)) ms after the database came back"
capture clm describe db
assert_contains "$OUT" "3000 ms" "describe's errored_retry"

check "max_uptime = 5s, jitter 3s: each of 3 workers is replaced, staggered"
cat >"$TEST_TMP/long.sh" <<'SH'
#!/bin/sh
exec sleep 600
SH
capture clm start "$TEST_TMP/long.sh" --name aging -i 3 --max-uptime 5s \
    --max-uptime-jitter 3s --min-uptime 300 --listen-timeout 300
show_capture
ncpu=$(nproc)
want=$(( ncpu < 3 ? ncpu : 3 ))
wait_until 15 all_online aging "$want"
mapfile -t before < <(pids_of aging)
t0=$(now_ms)
changed_at=()
for ((i = 0; i < want; i++)); do changed_at[i]=-1; done
all_changed() {
	local i p n=0
	mapfile -t now_pids < <(pids_of aging)
	for ((i = 0; i < want; i++)); do
		p=${now_pids[i]:-}
		if [ "${changed_at[i]}" = -1 ] && [ -n "$p" ] &&
		    [ "$p" != "${before[i]}" ]; then
			changed_at[i]=$(($(now_ms) - t0))
		fi
		[ "${changed_at[i]}" = -1 ] || n=$((n + 1))
	done
	[ "$n" -eq "$want" ]
}
wait_until 40 all_changed
for ((i = 0; i < want; i++)); do
	ok "aging:$i replaced after ${changed_at[$i]} ms"
	[ "${changed_at[$i]}" -ge 4000 ] ||
	    fail "aging:$i replaced after ${changed_at[$i]} ms (< max_uptime)"
done
grep "max_uptime" "$CLM_HOME/clmd.log" | sed 's/^/  clmd.log| /' | head -n 6
# Staggered: each run draws its own jitter (the replacements themselves
# go one at a time, on clmd's 1 s check, so their times prove less).
drawn=$(grep -o 'aging:[0-9]*: this run is recycled after [0-9]* ms' \
    "$CLM_HOME/clmd.log" | head -n "$want" | awk '{print $7}' | sort -u |
    wc -l)
[ "$want" -lt 2 ] || [ "$drawn" -ge 2 ] ||
    fail "every worker drew the same run time"
ok "run times drawn for the first runs differ ($drawn distinct)"
wait_until 15 all_online aging "$want"

clm delete all >/dev/null || fail "clm delete all"
echo "PASS: $TEST_NAME"
