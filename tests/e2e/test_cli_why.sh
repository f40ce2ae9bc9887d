#!/bin/bash
# Telling why (tracker 22, item 15) and the table's width (item 17): the
# table says why a worker is errored or stopped and since when; the JSON
# has null for no pid, and no stale exit code or signal on a worker that
# runs; on a narrow terminal long names are cut with a marker, piped the
# table keeps its whole width.
. "$(dirname "$0")/lib.sh"

printf '#!/bin/sh\nexit 3\n' >"$TEST_TMP/crash.sh"

check "an errored worker: the table says exit 3 and when"
clm start "$TEST_TMP/crash.sh" --name crash --max-restarts 1 >/dev/null
wait_until 20 status_is crash 0 errored
capture clm list
show_capture
assert_contains "$OUT" "errored (exit 3, " "clm list"
assert_contains "$OUT" " ago)" "clm list"
j=$(list_json)
assert_eq "$(printf '%s' "$j" | jpy 'next(w["pid"] for w in d if w["name"] == "crash")')" null "crash's pid in JSON"
assert_eq "$(printf '%s' "$j" | jpy 'next(w["reason"] for w in d if w["name"] == "crash")')" "exit 3" "crash's reason"
ended=$(printf '%s' "$j" | jpy 'next(w["ended_at"] for w in d if w["name"] == "crash")')
[ "$ended" != null ] || fail "no ended_at"
ok "ended_at $ended"
capture clm describe crash
assert_contains "$OUT" "errored (exit 3, " "clm describe"

check "a stopped worker: stopped by clm stop"
clm start "$FIXTURES/sleeper.sh" --name sl >/dev/null || fail "clm start sl"
clm stop sl >/dev/null || fail "clm stop sl"
capture clm list
assert_contains "$OUT" "stopped (clm stop, " "clm list"

check "a worker killed by SIGKILL, restarted: online, no stale signal"
clm restart sl >/dev/null || fail "clm restart sl"
p=$(pid_of sl 0)
kill -KILL "$p"
restarted() { local q; q=$(pid_of sl 0); [ "$q" != 0 ] && [ "$q" != "$p" ] &&
    status_is sl 0 online; }
wait_until 20 restarted
assert_eq "$(field_of sl 0 signal)" null "signal of the online worker"
assert_eq "$(field_of sl 0 exit_code)" null "exit_code of the online worker"
assert_eq "$(field_of sl 0 reason)" null "reason of the online worker"

check "width: a long name is cut on a 60-column terminal, whole when piped"
long=a-very-long-application-name-that-goes-on-and-on-and-on
clm start "$FIXTURES/sleeper.sh" --name "$long" >/dev/null || fail "start long"
capture clm list
assert_contains "$OUT" "$long" "clm list | cat"
"$PY" - "$CLM_BIN_DIR/clm" >"$TEST_TMP/tty" <<'PYEOF'
import fcntl, os, pty, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "list"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
out = b""
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
os.waitpid(pid, 0)
sys.stdout.write(out.decode())
PYEOF
sed -i 's/\r$//; s/\x1b\[[0-9;]*m//g' "$TEST_TMP/tty"
sed 's/^/  tty| /' "$TEST_TMP/tty"
widest=$(awk '{ if (length($0) > w) w = length($0) } END { print w }' "$TEST_TMP/tty")
assert_lt "$widest" 61 "the widest line on a 60-column terminal"
assert_contains "$(cat "$TEST_TMP/tty")" "a-ver~" "the cut name"
clm delete all >/dev/null || fail "clm delete all"
echo "PASS: $TEST_NAME"
