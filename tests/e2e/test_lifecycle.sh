#!/bin/bash
# stop, start NAME, restart, describe, delete, list (table and --json keys),
# ping; SIGTERM to clmd stops the workers, removes the socket, exits 0.
. "$(dirname "$0")/lib.sh"

check "start, list --json has every documented key with the right types"
capture clm start "$FIXTURES/sleeper.js" --name life
show_capture
assert_eq "$RC" 0 "clm start exit status"
assert_contains "$OUT" life "clm start prints the app's table"
wait_until 20 all_online life 1
j=$(list_json)
echo "  $j"
bad=$(printf '%s\n' "$j" | jpy '[k for k, t in [("name", str), ("id", int),
    ("pid", int), ("status", str), ("restarts", int), ("uptime_ms", int),
    ("cpu", (int, float)), ("memory", int), ("exit_code", (int, type(None))),
    ("signal", (str, type(None)))]
    if k not in d[0] or not isinstance(d[0][k], t)
    or isinstance(d[0][k], bool)]')
assert_eq "$bad" "" "keys missing or of the wrong type"
assert_eq "$(field_of life 0 signal)" null "signal before any exit"
uptime_grows() { [ "$(field_of life 0 uptime_ms)" -ge 300 ]; }
wait_until 10 uptime_grows
ok "uptime_ms grows"

check "CLM_HOME is private"
assert_eq "$(stat -c %a "$CLM_HOME")" 700 "mode of CLM_HOME"
[ -S "$CLM_HOME/clm.sock" ] || fail "no socket $CLM_HOME/clm.sock"
[ -d "$CLM_HOME/logs" ] || fail "no $CLM_HOME/logs"
[ -f "$CLM_HOME/clmd.log" ] || fail "no $CLM_HOME/clmd.log"
ok "clm.sock, clmd.pid, clmd.log and logs/ are there"

check "clm list / clm ls table"
capture clm list
show_capture
assert_eq "$RC" 0 "clm list exit status"
assert_contains "$OUT" life "clm list"
assert_contains "$OUT" online "clm list"
assert_contains "$OUT" "$(pid_of life 0)" "clm list"
assert_not_contains "$OUT" $'\033[' "clm list off a terminal (no colours)"
capture clm ls
assert_contains "$OUT" life "clm ls"

check "clm ping names the daemon's pid"
capture clm ping
show_capture
assert_eq "$RC" 0 "clm ping exit status"
assert_contains "$OUT" "pong" "clm ping"
assert_contains "$OUT" "pid $(daemon_pid)" "clm ping"
track_pid "$(daemon_pid)"

check "clm describe shows the script"
capture clm describe life
show_capture
assert_eq "$RC" 0 "clm describe exit status"
assert_contains "$OUT" "$FIXTURES/sleeper.js" "clm describe"
capture clm describe life --json
assert_eq "$RC" 0 "clm describe --json exit status"
assert_contains "$(printf '%s\n' "$OUT" | jpy 'json.dumps(d)')" \
    "$FIXTURES/sleeper.js" "clm describe --json"

check "clm stop -> stopped, pid gone"
p0=$(pid_of life 0)
capture clm stop life
show_capture
assert_eq "$RC" 0 "clm stop exit status"
wait_until 5 status_is life 0 stopped
wait_until 5 pid_dead "$p0"
assert_eq "$(pid_of life 0)" 0 "pid of a stopped worker"
capture clm stop life
show_capture
assert_eq "$RC" 0 "clm stop of a stopped app exit status"

check "clm start life (by name) starts the stopped app"
capture clm start life
show_capture
assert_eq "$RC" 0 "clm start life exit status"
wait_until 20 all_online life 1
p1=$(pid_of life 0)
[ "$p1" != "$p0" ] || fail "same pid $p0 after start"
ok "new pid $p1"

check "clm restart gives new pids"
capture clm restart life
show_capture
assert_eq "$RC" 0 "clm restart exit status"
wait_until 20 all_online life 1
p2=$(pid_of life 0)
[ "$p2" != "$p1" ] || fail "same pid $p1 after restart"
ok "new pid $p2"
wait_until 5 pid_dead "$p1"
ok "old pid $p1 gone"

check "stop all / restart all"
capture clm start "$FIXTURES/sleeper.js" --name other
assert_eq "$RC" 0 "clm start other exit status"
wait_until 20 all_online other 1
capture clm stop all
show_capture
assert_eq "$RC" 0 "clm stop all exit status"
wait_until 5 status_is life 0 stopped
wait_until 5 status_is other 0 stopped
capture clm restart all
show_capture
assert_eq "$RC" 0 "clm restart all exit status"
wait_until 20 all_online life 1
wait_until 20 all_online other 1

check "clm delete / del removes apps from the list"
p=$(pid_of life 0)
capture clm delete life
show_capture
assert_eq "$RC" 0 "clm delete exit status"
wait_until 5 app_absent life
wait_until 5 pid_dead "$p"
p=$(pid_of other 0)
capture clm del other
assert_eq "$RC" 0 "clm del exit status"
wait_until 5 app_absent other
wait_until 5 pid_dead "$p"
assert_eq "$(list_json | jpy 'len(d)')" 0 "apps left"
capture clm kill
assert_eq "$RC" 0 "clm kill exit status"

check "SIGTERM to a detached clmd: workers stopped, socket removed"
n=$(( $(nproc) < 2 ? 1 : 2 ))
capture clm start "$FIXTURES/sleeper.js" -i "$n" --name t
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online t "$n"
d=$(daemon_pid)
track_pid "$d"
ws=$(pids_of t)
kill -TERM "$d"
wait_until 10 pid_dead "$d"
ok "clmd $d exited"
for p in $ws; do pid_dead "$p" || fail "worker $p outlived clmd"; done
ok "workers gone"
[ -e "$CLM_HOME/clm.sock" ] && fail "socket left after SIGTERM"
ok "socket removed"

check "SIGTERM to clmd --foreground: exit status 0"
new_home
"$CLM_BIN_DIR/clmd" --foreground >"$TEST_TMP/fg.log" 2>&1 &
d=$!
track_pid "$d"
sock_up() { [ -S "$CLM_HOME/clm.sock" ]; }
wait_until 10 sock_up
capture clm ping
assert_eq "$RC" 0 "clm ping exit status"
assert_contains "$OUT" "pid $d" "clm ping"
capture clm start "$FIXTURES/sleeper.js" -i "$n" --name fg
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online fg "$n"
ws=$(pids_of fg)
kill -TERM "$d"
wait_until 10 pid_dead "$d"	# a zombie until we wait for it
wait "$d"
rc=$?
sed 's/^/  clmd| /' "$TEST_TMP/fg.log"
assert_eq "$rc" 0 "clmd --foreground exit status after SIGTERM"
for p in $ws; do pid_dead "$p" || fail "worker $p outlived clmd"; done
ok "workers gone"
[ -e "$CLM_HOME/clm.sock" ] && fail "socket left after SIGTERM"
ok "socket removed"
