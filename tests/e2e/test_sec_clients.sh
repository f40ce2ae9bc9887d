#!/bin/bash
# Clients (issue 21, finding 6): the CLI finds the daemon's socket from
# clm.ini's `socket =` (or $CLM_SOCKET); a socket_group member's apps run
# as that member, never as root; a member may not ask for another user, a
# group, a privileged --listen, change the environment of an app that is
# not its own, or run clm update.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

pub=$TEST_TMP/pub
mkdir -p "$pub"
chmod 755 "$pub"
mkdir -p "$CLM_HOME"
chmod 700 "$CLM_HOME"
printf '[daemon]\nsocket = %s/clm.sock\nsocket_group = nogroup\n' "$pub" \
    >"$CLM_HOME/clm.ini"
# nobody's own CLM_HOME, for its CLI (and in case an old clm starts a
# daemon there: the cleanup stops it).
nh=$TEST_TMP/nh
mkdir -p "$nh"
chown nobody:nogroup "$nh"
chmod 700 "$nh"
CLM_HOMES+=("$nh")
# member CMD...: the clm CLI as nobody (primary group nogroup: a member).
member() { as_nobody env CLM_HOME="$nh" CLM_SOCKET="$pub/clm.sock" "$@"; }

check "root's clm finds the daemon on clm.ini's socket ="
capture clm start "$SEC_FIX/sleeper.sh" --name rootapp
show_capture
assert_eq "$RC" 0 "clm start exit status"
[ -S "$pub/clm.sock" ] || fail "no socket at $pub/clm.sock"
capture clm list
assert_eq "$RC" 0 "clm list exit status"
assert_contains "$OUT" "rootapp" "clm list shows the app"

check "a socket_group member reaches it with CLM_SOCKET"
capture member clm ping
show_capture
assert_eq "$RC" 0 "member: clm ping exit status"
assert_contains "$OUT" "clmd pid $(daemon_pid)" "member: root's daemon answers"

check "a member's app runs as the member, not as root"
capture member clm start "$SEC_FIX/u_whoami.sh" --name mine --cwd "$SEC_FIX"
show_capture
assert_eq "$RC" 0 "member: clm start exit status"
wait_until 20 out_has mine "uid="
assert_contains "$(out_log mine)" "uid=$(id -u nobody) " "the member's app's uid"

check "a member may not ask for root, a group or a privileged port"
capture member clm start "$SEC_FIX/u_whoami.sh" --name asroot --user root --cwd "$SEC_FIX"
show_capture
assert_eq "$RC" 1 "member: clm start --user root"
assert_contains "$ERR" "socket_group" "the message says why"
capture member clm start "$SEC_FIX/u_whoami.sh" --name grp --group root --cwd "$SEC_FIX"
assert_eq "$RC" 1 "member: clm start --group root"
capture member clm start "$SEC_FIX/u_whoami.sh" --name low --listen 127.0.0.1:999 --cwd "$SEC_FIX"
show_capture
assert_eq "$RC" 1 "member: clm start --listen 999"
assert_contains "$ERR" "privileged" "the message says why"
capture clm list --json
assert_not_contains "$OUT" '"asroot"' "no app asroot"

check "a member may not give its environment to root's app"
capture member env CLM_SEC_TOKEN=stolen clm restart rootapp --update-env
show_capture
assert_eq "$RC" 1 "member: clm restart rootapp --update-env"
assert_contains "$ERR" "does not run as you" "the message says why"

check "a member may not reload root's app with an app file of its own"
printf '[rootapp]\nscript = %s\n' "$SEC_FIX/u_whoami.sh" >"$TEST_TMP/take.ini"
chmod 644 "$TEST_TMP/take.ini"
capture member clm reload "$TEST_TMP/take.ini"
show_capture
assert_eq "$RC" 1 "member: clm reload take.ini"
assert_contains "$ERR" "does not run as you" "the message says why"
capture clm describe rootapp --json
assert_contains "$OUT" "sleeper.sh" "rootapp's script is still root's"

check "clm update: only root and the daemon's user"
capture member clm update
show_capture
assert_eq "$RC" 1 "member: clm update"
assert_contains "$ERR" "clm update is for root" "the message says why"
capture clm update
assert_eq "$RC" 0 "root: clm update"
capture clm kill
sec_done
