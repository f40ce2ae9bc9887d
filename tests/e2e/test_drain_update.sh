#!/bin/bash
# After clm update (clmd re-executed, sockets taken over), the drain still
# steers: the new clmd knows each SO_REUSEPORT group's order again (the
# sockets are handed over in it), so a reload and a scale down under new
# connections lose nothing and the old worker gets no new connection once
# it drains.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

[ "$WANT" = 2 ] || skip_row "one core here: no other worker to drain to"
DRAIN_NAME=py-http
DRAIN_PORT=$(free_port)
check "clm start http_pid.py -i 2, then clm update"
PORT=$DRAIN_PORT capture clm start --name py-http -i 2 --interpreter "$PY" \
    "$FIXTURES/http_pid.py"
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online py-http 2
d0=$(daemon_pid)
capture clm update
show_capture
assert_eq "$RC" 0 "clm update exit status"
assert_eq "$(daemon_pid)" "$d0" "clmd pid after clm update"
wait_until 20 all_online py-http 2

old0=$(pid_of py-http 0)
mark=$TEST_TMP/mark
mark_when_logged "pid $old0 draining" "$mark"
LOAD_ARGS="--mark $mark" drain_event "reload after clm update" 0 \
    clm reload py-http
grep -q "pid $old0 draining (new connections go to the other workers)" \
    "$CLM_HOME/clmd.log" || fail "pid $old0 was not steered around"
case " $LOAD_AFTER " in
*" $old0 "*) fail "old worker $old0 answered a connection opened after" \
    "it began to drain (pids after: $LOAD_AFTER)" ;;
esac
[ -n "$LOAD_AFTER" ] || fail "no reply after the drain began"
ok "after pid $old0 began to drain, only [$LOAD_AFTER] answered new connections"
wait_until 20 all_online py-http 2
capture clm update
assert_eq "$RC" 0 "clm update exit status (again)"
wait_until 20 all_online py-http 2
LOAD_ARGS= drain_event "scale 2 -> 1 after clm update" 0 clm scale py-http 1
capture clm delete py-http
assert_eq "$RC" 0 "clm delete py-http"
