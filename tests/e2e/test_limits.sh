#!/bin/bash
# The open-file limit: clmd raises its soft RLIMIT_NOFILE to the hard limit
# when it starts (clm-logd, its child, inherits it), and a start that would
# need more open files than that (3 a worker) is refused before anything of
# it starts, with the count and the fix, instead of failing halfway.
. "$(dirname "$0")/lib.sh"

# Low limits for everything this shell starts, the daemon included:
# room for (400 - 96) / 3 = 101 workers.
ulimit -Sn 200 && ulimit -Hn 400 || fail "cannot lower the open file limit"

# children: clmd's child processes other than clm-logd.
children() { pgrep -l -P "$(daemon_pid)" | grep -vcE ' clm-(logd|keeper)$'; }

check "clmd raises its soft limit on open files to the hard limit"
capture clm start /bin/sleep --name first --listen-timeout 0 -- 100000
show_capture
assert_eq "$RC" 0 "clm start first"
D=$(daemon_pid)
track_pid "$D"
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$D/limits")
assert_eq "$soft" 400 "clmd's soft limit on open files"
L=$(pgrep -P "$D" -x clm-logd)
[ -n "$L" ] || fail "no clm-logd under clmd $D"
assert_eq "$(awk '/^Max open files/ { print $4 }' "/proc/$L/limits")" 400 \
    "clm-logd's soft limit on open files"

check "120 more workers (459 files) are refused, none of them started"
apps_file "$TEST_TMP/many.ini" 120 m
capture clm start "$TEST_TMP/many.ini"
show_capture
assert_eq "$RC" 1 "clm start many.ini exit status"
assert_contains "$ERR" "121 workers need about 459 open files" "stderr"
assert_contains "$ERR" "limit of 400" "stderr"
assert_contains "$ERR" "nothing was started" "stderr"
assert_contains "$ERR" "ulimit -Hn 1024" "stderr"
assert_eq "$(count_workers m0)" 0 "workers of m0"
assert_eq "$(count_workers m119)" 0 "workers of m119"
assert_eq "$(children)" 1 "clmd's children (first only)"

check "60 workers fit: all run, all logged, and all go with delete all"
apps_file "$TEST_TMP/some.ini" 60 s
capture clm start "$TEST_TMP/some.ini"
[ "$RC" = 0 ] || show_capture
assert_eq "$RC" 0 "clm start some.ini exit status"
wait_until 30 eval '[ "$(children)" = 61 ]'
ok "61 processes under clmd"
# sleep writes nothing: no log file (one is made at the first line), but
# clm-logd reads every worker's two pipes (as it takes the streams, maybe
# after the start).
L=$(pgrep -P "$D" -x clm-logd)
logd_pipes() { ls -l "/proc/$L/fd" | grep -c 'pipe:'; }
wait_until 10 eval '[ "$(logd_pipes)" -ge 122 ]'
ok "clm-logd reads $(logd_pipes) pipes (2 a worker, 61 workers, and its own)"
capture clm delete all
assert_eq "$RC" 0 "clm delete all"
wait_until 30 eval '[ "$(children)" = 0 ]'
ok "no process left under clmd"
