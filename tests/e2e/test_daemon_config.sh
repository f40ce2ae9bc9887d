#!/bin/bash
# The daemon's configuration (clm.ini): `clmd -n` checks a file (the repo's
# config/clm.ini is OK; unknown keys and bad values are FILE:LINE errors,
# every one of them, exit 1); $CLM_HOME/clm.ini [defaults] apply to the
# options an app leaves unset (kill_timeout, max_restarts), not to the ones
# it sets; a worker ignoring SIGINT is killed after the configured
# kill_timeout; a daemon whose clm.ini has an error refuses to start.
. "$(dirname "$0")/lib.sh"

clmd_cmd() { timeout -k 5 30 "$CLM_BIN_DIR/clmd" "$@"; }
log_has() { grep -q "$2" "$CLM_HOME/logs/$1-0-out.log" 2>/dev/null; }

# no_daemon: nothing answers on this CLM_HOME and no clmd runs for it.
no_daemon() {
	local rc
	clm ping >/dev/null 2>&1
	rc=$?
	[ "$rc" = 1 ] || fail "clm ping exit $rc: a daemon answers on $CLM_HOME"
	[ -z "$(clmd_pids_for_home)" ] ||
	    fail "a clmd runs for $CLM_HOME: $(clmd_pids_for_home)"
	[ ! -e "$CLM_HOME/clm.sock" ] || fail "socket $CLM_HOME/clm.sock left"
	ok "no daemon for $CLM_HOME (ping exit 1, no clmd, no socket)"
}

# spec_of APP KEY: one option of APP from `clm describe APP --json`.
spec_of() {
	clm describe "$1" --json | jpy 'd["spec"][A[0]]' "$2"
}

check "clmd -n -f config/clm.ini: configuration OK"
capture clmd_cmd -n -f "$CLM_SRC_DIR/config/clm.ini"
show_capture
assert_eq "$RC" 0 "clmd -n -f config/clm.ini exit status"
assert_contains "$OUT" "configuration OK" "stdout"
assert_eq "$ERR" "" "stderr"
no_daemon

check "a file with an unknown key and a bad value: both errors, exit 1"
bad=$TEST_TMP/bad.ini
cat >"$bad" <<'EOF'
; line 1
[daemon]
socket_mode = 0600

[defaults]
kill_timout = 300ms
min_uptime = 1s
max_restarts = lots
EOF
capture clmd_cmd -n -f "$bad"
show_capture
assert_eq "$RC" 1 "clmd -n -f bad.ini exit status"
all="$OUT
$ERR"
assert_contains "$all" "$bad:6:" "output"
assert_contains "$all" "kill_timout" "output"
assert_contains "$all" "$bad:8:" "output"
assert_contains "$all" "lots" "output"
assert_not_contains "$all" "configuration OK" "output"
no_daemon

check "an unknown section and a bad duration"
printf '[deamon]\nsocket_mode = 0600\n[defaults]\nkill_timeout = 3 parsecs\n' \
    >"$TEST_TMP/bad2.ini"
capture clmd_cmd -n -f "$TEST_TMP/bad2.ini"
show_capture
assert_eq "$RC" 1 "clmd -n -f bad2.ini exit status"
all="$OUT
$ERR"
assert_contains "$all" "bad2.ini:1:" "output"
assert_contains "$all" "bad2.ini:4:" "output"

check "\$CLM_HOME/clm.ini with kill_timeout = 300ms and max_restarts = 2"
mkdir -p "$CLM_HOME"
cat >"$CLM_HOME/clm.ini" <<'EOF'
[defaults]
kill_timeout = 300ms
max_restarts = 2
EOF
capture clmd_cmd -n
show_capture
assert_eq "$RC" 0 "clmd -n (\$CLM_HOME/clm.ini) exit status"
assert_contains "$OUT" "configuration OK" "stdout"
no_daemon

check "an app started without those flags gets the configured defaults"
capture clm start "$FIXTURES/ignore_sigint.js" --name deaf
show_capture
assert_eq "$RC" 0 "clm start deaf exit status"
wait_until 20 all_online deaf 1
assert_eq "$(spec_of deaf kill_timeout_ms)" 300 "deaf: kill_timeout_ms"
assert_eq "$(spec_of deaf max_restarts)" 2 "deaf: max_restarts"
assert_eq "$(spec_of deaf min_uptime_ms)" 1000 "deaf: min_uptime_ms (built-in)"
capture clm describe deaf
show_capture
assert_contains "$OUT" "300" "clm describe deaf"

check "an app started with --kill-timeout 900 keeps 900"
capture clm start "$FIXTURES/sleeper.js" --name k9 --kill-timeout 900
show_capture
assert_eq "$RC" 0 "clm start k9 exit status"
wait_until 20 all_online k9 1
assert_eq "$(spec_of k9 kill_timeout_ms)" 900 "k9: kill_timeout_ms"
assert_eq "$(spec_of k9 max_restarts)" 2 "k9: max_restarts (from clm.ini)"

check "an app started with --max-restarts 5 keeps 5"
capture clm start "$FIXTURES/sleeper.js" --name m5 --max-restarts 5
show_capture
assert_eq "$RC" 0 "clm start m5 exit status"
assert_eq "$(spec_of m5 max_restarts)" 5 "m5: max_restarts"
assert_eq "$(spec_of m5 kill_timeout_ms)" 300 \
    "m5: kill_timeout_ms (from clm.ini)"

check "a worker ignoring SIGINT is stopped in about 300 ms"
wait_until 10 log_has deaf ready	# its SIGINT handler is installed
pid=$(pid_of deaf 0)
t0=$(now_ms)
capture clm stop deaf
ms=$(($(now_ms) - t0))
show_capture
echo "  clm stop deaf took $ms ms"
assert_eq "$RC" 0 "clm stop deaf exit status"
assert_ge "$ms" 250 "ms for clm stop (kill_timeout 300ms)"
assert_lt "$ms" 1500 "ms for clm stop"
wait_until 3 pid_dead "$pid"
assert_eq "$(field_of deaf 0 signal)" SIGKILL "signal of the last run"

check "max_restarts = 2 from clm.ini: a crash loop is errored after 2 restarts"
capture clm start "$FIXTURES/crash.js" --name loop
show_capture
case "$RC" in 0|1) ;; *) fail "clm start loop exit status $RC" ;; esac
wait_until 20 status_is loop 0 errored
assert_eq "$(restarts_of loop 0)" 2 "restarts of loop"

check "clm kill"
track_pid "$(daemon_pid)"
capture clm kill
assert_eq "$RC" 0 "clm kill exit status"

check "a daemon whose \$CLM_HOME/clm.ini has an error refuses to start"
new_home
mkdir -p "$CLM_HOME"
cp "$bad" "$CLM_HOME/clm.ini"
capture clmd_cmd
show_capture
assert_eq "$RC" 1 "clmd exit status"
assert_contains "$ERR" "$CLM_HOME/clm.ini:6:" "stderr"
assert_contains "$ERR" "kill_timout" "stderr"
assert_contains "$ERR" "$CLM_HOME/clm.ini:8:" "stderr"
no_daemon

check "... in the foreground too"
capture clmd_cmd --foreground
show_capture
assert_eq "$RC" 1 "clmd --foreground exit status"
assert_contains "$ERR" "$CLM_HOME/clm.ini:6:" "stderr"
no_daemon

check "... and with -f FILE"
new_home
capture clmd_cmd -f "$bad"
show_capture
assert_eq "$RC" 1 "clmd -f bad.ini exit status"
assert_contains "$ERR" "$bad:6:" "stderr"
assert_contains "$ERR" "$bad:8:" "stderr"
no_daemon

check "clm start with that \$CLM_HOME/clm.ini: the error, nothing started"
CLM_HOME=${CLM_HOMES[-2]}
capture clm start "$FIXTURES/sleeper.js" --name never
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_contains "$ERR" "clm.ini:6:" "stderr"
no_daemon
