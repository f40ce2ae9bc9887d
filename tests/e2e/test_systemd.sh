#!/bin/bash
# clmd under systemd, without systemd: the unit passes systemd-analyze
# verify; the notify protocol (READY=1, STATUS=, WATCHDOG=1, RELOADING=1,
# STOPPING=1) reaches a NOTIFY_SOCKET of the test's own; a socket handed
# over by systemd-socket-activate serves an app, and a connection made
# before any app existed is answered once one listens.
. "$(dirname "$0")/lib.sh"

check "clm startup --print gives a unit that systemd-analyze verify accepts"
capture clm startup --print
assert_eq "$RC" 0 "clm startup --print exit status"
unit_dir=$TEST_TMP/unit
mkdir -p "$unit_dir"
printf '%s\n' "$OUT" >"$unit_dir/clm.service"
assert_contains "$OUT" "Type=notify" "unit"
assert_contains "$OUT" "ExecStart=$CLM_BIN_DIR/clmd --foreground --resurrect" \
    "unit"
assert_contains "$OUT" "ExecReload=$CLM_BIN_DIR/clm reload all" "unit"
assert_contains "$OUT" "Environment=CLM_HOME=$CLM_HOME" "unit"
if command -v systemd-analyze >/dev/null; then
	capture systemd-analyze verify "$unit_dir/clm.service"
	show_capture
	assert_eq "$RC" 0 "systemd-analyze verify exit status"
else
	note "no systemd-analyze here: verify skipped"
fi
capture clm startup --user --print
assert_contains "$OUT" "WantedBy=default.target" "user unit"
assert_contains "$OUT" "Environment=CLM_HOME=$CLM_HOME" "user unit with CLM_HOME set"

check "notify protocol on a NOTIFY_SOCKET of our own"
nsock=$TEST_TMP/notify.sock
nlog=$TEST_TMP/notify.log
$PY "$FIXTURES/s_notify_listen.py" "$nsock" >"$nlog" 2>&1 &
listener=$!
track_pid "$listener"
wait_until 10 grep -q listening "$nlog"
NOTIFY_SOCKET=$nsock WATCHDOG_USEC=400000 clmd --foreground \
    >"$TEST_TMP/clmd.out" 2>&1 &
daemon=$!
track_pid "$daemon"
wait_until 10 grep -q "READY=1" "$nlog"
ok "READY=1: $(grep READY=1 "$nlog" | head -1)"
assert_contains "$(cat "$nlog")" "STATUS=0 apps" "STATUS with READY"
wait_until 5 sh -c "[ \$(grep -c WATCHDOG=1 '$nlog') -ge 3 ]"
ok "WATCHDOG=1 keeps coming ($(grep -c WATCHDOG=1 "$nlog") so far)"
capture clm start "$FIXTURES/sleeper.js" --name s
assert_eq "$RC" 0 "clm start exit status"
capture clm reload all
assert_eq "$RC" 0 "clm reload all exit status"
wait_until 5 grep -q "RELOADING=1" "$nlog"
ok "RELOADING=1 during the reload"
wait_until 5 sh -c "grep -A100 RELOADING=1 '$nlog' | grep -q 'READY=1|STATUS=1 app'"
ok "READY=1 again after it"
kill -TERM "$daemon"
wait_until 10 grep -q "STOPPING=1" "$nlog"
ok "STOPPING=1 on SIGTERM"
wait_until 10 pid_dead "$daemon"
wait "$daemon"
assert_eq "$?" 0 "clmd exit status after SIGTERM"
kill "$listener" 2>/dev/null

if ! command -v systemd-socket-activate >/dev/null; then
	note "no systemd-socket-activate here: socket activation skipped"
	exit 0
fi
check "socket activation: clmd gets the port from systemd-socket-activate"
new_home
port=$(free_port)
systemd-socket-activate -l "127.0.0.1:$port" \
    env CLM_HOME="$CLM_HOME" "$CLM_BIN_DIR/clmd" --foreground \
    >"$TEST_TMP/sa.log" 2>&1 &
activator=$!
track_pid "$activator"
wait_until 10 grep -q "Listening on 127.0.0.1:$port" "$TEST_TMP/sa.log"
# systemd-socket-activate runs clmd at the first connection: that one
# waits in the backlog until an app of clmd accepts it.
$PY - "$port" >"$TEST_TMP/first.txt" 2>&1 <<'PY' &
import sys, urllib.request
port = sys.argv[1]
print(urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read().decode().strip())
PY
first=$!
wait_until 15 clm ping
ok "clmd runs"
assert_contains "$(cat "$CLM_HOME/clmd.log")" "socket from systemd: fd 3, 127.0.0.1:$port" "clmd.log"
capture env PORT="$port" clm start "$FIXTURES/http_pid.js" -i 2 --name web
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait "$first"
assert_eq "$?" 0 "the request made before the app existed"
answer=$(cat "$TEST_TMP/first.txt")
assert_contains " $(pids_of web | tr "\n" " ") " " $answer " "it was answered by a worker"
body=$(http_get "$port")
assert_contains " $(pids_of web | tr "\n" " ") " " $body " "a new request is served too"
