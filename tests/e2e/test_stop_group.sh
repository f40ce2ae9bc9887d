#!/bin/bash
# Stop takes a worker's grandchildren with it: the whole process group goes.
# So do delete and a crash of the worker's main process.
. "$(dirname "$0")/lib.sh"

export GRANDCHILD_PID_FILE=$PIDS_DIR/grandchildren	# tracked by lib.sh
ngc() { [ -f "$GRANDCHILD_PID_FILE" ] && wc -l <"$GRANDCHILD_PID_FILE" || echo 0; }
ngc_is() { [ "$(ngc)" = "$1" ]; }
last_gc() { tail -n1 "$GRANDCHILD_PID_FILE"; }

check "start a worker that spawns a grandchild (sleep 1000)"
capture clm start "$FIXTURES/grandchild.js" --name gc
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online gc 1
wait_until 10 ngc_is 1
gc=$(last_gc)
worker=$(pid_of gc 0)
pid_alive "$gc" || fail "grandchild $gc is not running"
ok "worker $worker, grandchild $gc"

check "clm stop gc: worker and grandchild are gone"
capture clm stop gc
show_capture
assert_eq "$RC" 0 "clm stop exit status"
wait_until 5 pid_dead "$worker"
ok "worker $worker gone"
wait_until 5 pid_dead "$gc"
ok "grandchild $gc gone"
wait_until 5 status_is gc 0 stopped
ok "status stopped"

check "clm start gc (by name) starts it again, with a new grandchild"
capture clm start gc
show_capture
assert_eq "$RC" 0 "clm start gc exit status"
wait_until 20 all_online gc 1
wait_until 10 ngc_is 2
gc=$(last_gc)
worker=$(pid_of gc 0)
pid_alive "$gc" || fail "grandchild $gc is not running"
ok "worker $worker, grandchild $gc"

check "SIGKILL of the worker takes its grandchild too, and it is restarted"
kill -KILL "$worker"
wait_until 5 pid_dead "$gc"
ok "grandchild $gc of the killed worker is gone"
wait_until 10 ngc_is 3
gc=$(last_gc)
wait_until 20 all_online gc 1
worker=$(pid_of gc 0)
ok "restarted: worker $worker, grandchild $gc"

check "clm delete gc: worker and grandchild are gone"
capture clm delete gc
show_capture
assert_eq "$RC" 0 "clm delete exit status"
wait_until 5 pid_dead "$worker"
wait_until 5 pid_dead "$gc"
ok "worker $worker and grandchild $gc gone"
wait_until 5 app_absent gc
ok "gc is not listed"

check "a grandchild that ignores SIGINT is killed when the worker exits"
# --kill-timeout 5000: the worker obeys SIGINT at once; what is left of its
# group must get SIGKILL then, not 5 s later.
rm -f "$GRANDCHILD_PID_FILE"
capture env GRANDCHILD_IGNORE_INT=1 "$CLM_BIN_DIR/clm" start \
    "$FIXTURES/grandchild.js" --name deafgc --kill-timeout 5000
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online deafgc 1
wait_until 10 ngc_is 1
gc=$(last_gc)
execd() { grep -q sleep "/proc/$gc/cmdline"; }	# its trap is set
wait_until 10 execd
worker=$(pid_of deafgc 0)
t0=$(now_ms)
capture clm stop deafgc
show_capture
assert_eq "$RC" 0 "clm stop exit status"
wait_until 10 pid_dead "$gc"
ms=$(($(now_ms) - t0))
ok "grandchild $gc gone"
assert_lt "$ms" 3000 "ms until the grandchild is gone (kill timeout 5000)"
pid_dead "$worker" || fail "worker $worker still runs"
