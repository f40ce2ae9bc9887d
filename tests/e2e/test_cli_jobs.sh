#!/bin/bash
# One-shot jobs (tracker 22, item 8): a script that prints and exits 0.
# With --no-autorestart `clm start` succeeds once it has run; under
# autorestart the failure gives a hint (--no-autorestart) and names the
# out log too, where the output is.
. "$(dirname "$0")/lib.sh"

job=$TEST_TMP/job.sh
printf '#!/bin/sh\necho job-ran\n' >"$job"

check "clm start job.sh --no-autorestart: exit 0, the job ran and stays stopped"
capture clm start "$job" --no-autorestart
show_capture
assert_eq "$RC" 0 "exit status"
assert_contains "$OUT" "job:0 ran to its end (exit code 0)" "stdout"
assert_eq "$(status_of job 0)" stopped "status"
assert_eq "$(field_of job 0 exit_code)" 0 "exit_code"
has_line() { grep -q job-ran "$CLM_HOME/logs/job-0-out.log"; }
wait_until 10 has_line
ok "its output is in job-0-out.log"

check "clm restart job: runs it again, exit 0"
capture clm restart job
show_capture
assert_eq "$RC" 0 "exit status"
two_lines() { [ "$(grep -c job-ran "$CLM_HOME/logs/job-0-out.log")" = 2 ]; }
wait_until 10 two_lines
ok "it ran a second time"

check "a job that exits 1 with --no-autorestart still fails"
printf '#!/bin/sh\necho bad >&2\nexit 1\n' >"$TEST_TMP/bad.sh"
capture clm start "$TEST_TMP/bad.sh" --no-autorestart
show_capture
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "exited with code 1 and autorestart is off" "stderr"

check "under autorestart, a job that exits 0 gets the hint, and the out log is named"
capture clm start "$job" --name loopjob --max-restarts 2
show_capture
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "--no-autorestart" "stderr"
assert_contains "$ERR" "loopjob-0-out.log" "stderr"
assert_contains "$ERR" "stop_exit_codes" "stderr"
clm delete all >/dev/null || fail "clm delete all"
echo "PASS: $TEST_NAME"
