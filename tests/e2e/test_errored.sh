#!/bin/bash
# A crash-looping app ends errored after --max-restarts, stays down, and
# `clm restart` makes it try again.
. "$(dirname "$0")/lib.sh"

runs_file=$TEST_TMP/runs
export CRASH_RUNS_FILE=$runs_file	# crash.js appends its pid per run
runs() { [ -f "$runs_file" ] && wc -l <"$runs_file" || echo 0; }

check "start a worker that exits with 3 at once, --max-restarts 3"
capture clm start "$FIXTURES/crash.js" --name loop --max-restarts 3 \
    --min-uptime 1000
show_capture
# The start itself may report that the worker did not stay up; what
# matters is what the daemon does next.
case "$RC" in 0|1) ;; *) fail "clm start exit status $RC (want 0 or 1)" ;; esac
[ "$(count_workers loop)" = 1 ] || fail "app loop is not in clm list"

check "it ends errored after 1 run + 3 restarts"
wait_until 20 status_is loop 0 errored
ok "status errored"
assert_eq "$(restarts_of loop 0)" 3 "restarts"
assert_eq "$(pid_of loop 0)" 0 "pid of an errored worker"
assert_eq "$(field_of loop 0 exit_code)" 3 "exit_code"
assert_eq "$(runs)" 4 "runs of crash.js"

check "an errored worker stays down"
# Nothing to poll for: we watch that nothing happens for 2.5 s.
end=$(($(now_ms) + 2500))
while [ "$(now_ms)" -lt "$end" ]; do
	s=$(status_of loop 0)
	[ "$s" = errored ] || fail "status went from errored to '$s' by itself"
	sleep 0.2
done
assert_eq "$(runs)" 4 "runs of crash.js after 2.5 s"
assert_eq "$(restarts_of loop 0)" 3 "restarts after 2.5 s"

check "clm restart makes it try again"
capture clm restart loop
show_capture
case "$RC" in 0|1) ;; *) fail "clm restart exit status $RC (want 0 or 1)" ;; esac
runs_gt_4() { [ "$(runs)" -gt 4 ]; }
wait_until 5 runs_gt_4
ok "crash.js ran again ($(runs) runs)"
wait_until 20 status_is loop 0 errored
ok "and ends errored again after $(runs) runs"
assert_ge "$(runs)" 8 "runs after the restart (4 + 1 + 3)"

check "--no-autorestart: an exit is not restarted"
rm -f "$runs_file"
capture clm start "$FIXTURES/crash.js" --name once --no-autorestart
show_capture
case "$RC" in 0|1) ;; *) fail "clm start exit status $RC (want 0 or 1)" ;; esac
runs_is_1() { [ "$(runs)" = 1 ]; }
wait_until 10 runs_is_1
exited() { [ "$(pid_of once 0)" = 0 ]; }
wait_until 10 exited
ok "it ran once and exited ($(status_of once 0))"
sleep 1.5	# nothing to poll: check that no restart comes
assert_eq "$(runs)" 1 "runs after 1.5 s"
assert_eq "$(restarts_of once 0)" 0 "restarts"
assert_eq "$(field_of once 0 exit_code)" 3 "exit_code"

check "stop during the restart backoff: no more runs"
rm -f "$runs_file"
capture clm start "$FIXTURES/crash.js" --name back --max-restarts 100
show_capture
runs_ge() { [ "$(runs)" -ge "$1" ]; }
wait_until 20 runs_ge 5		# the next backoff is 1.6 s
wait_until 10 status_is back 0 waiting-restart
ok "back is waiting-restart after $(runs) runs"
capture clm stop back
show_capture
assert_eq "$RC" 0 "clm stop exit status"
wait_until 5 status_is back 0 stopped
n=$(runs)
sleep 3.5	# nothing to poll: longer than the pending backoff
assert_eq "$(runs)" "$n" "runs 3.5 s after the stop"
assert_eq "$(status_of back 0)" stopped "status 3.5 s after the stop"

check "delete during the restart backoff: no more runs"
rm -f "$runs_file"
capture clm restart back
show_capture
wait_until 20 runs_ge 5
wait_until 10 status_is back 0 waiting-restart
capture clm delete back
show_capture
assert_eq "$RC" 0 "clm delete exit status"
wait_until 5 app_absent back
n=$(runs)
sleep 3.5
assert_eq "$(runs)" "$n" "runs 3.5 s after the delete"
assert_eq "$(count_workers back)" 0 "workers of back"
