#!/bin/bash
# clmd's teardown under valgrind: start apps (one reloaded, one scaled: it
# has a --listen socket per worker, so its scale down steers the kernel's
# choice around the draining one with a SO_REUSEPORT program), SIGTERM,
# and valgrind must see no error (an invalid read or write; bytes passed
# to the kernel uninitialised, as the program's padding was). ASan cannot see
# this class of bug: when a struct embedding several libuv handles is freed
# in the close callback of one of them, libuv itself (not instrumented)
# writes into the freed block while it closes the others.
#
# Then a start that fails once the loop runs (the metrics port is taken):
# the same teardown, clean too.
#
# Skips (loudly, exit 0) when valgrind is not installed, and under an
# ASan build (the two do not mix).
. "$(dirname "$0")/lib.sh"

need_valgrind "the close-callback order"

VG_LOG=$TEST_TMP/valgrind.log
# Slow under valgrind: every clm call gets more time.
CLM_CMD_TIMEOUT=90

check "clmd --foreground under valgrind, two apps"
valgrind --error-exitcode=99 --leak-check=no --track-origins=no \
    --log-file="$VG_LOG" "$CLM_BIN_DIR/clmd" --foreground \
    >"$TEST_TMP/clmd.out" 2>&1 &
VG_PID=$!
track_pid "$VG_PID"
daemon_up() { clm ping; }
wait_until 120 daemon_up
ok "clmd answers under valgrind (pid $VG_PID)"

capture clm start "$FIXTURES/sleeper.sh" --name vga -i 2 \
    --listen "127.0.0.1:$(free_port)"
show_capture
assert_eq "$RC" 0 "clm start vga"
capture clm start "$FIXTURES/sleeper.sh" --name vgb
assert_eq "$RC" 0 "clm start vgb"
wait_until 60 all_online vga 2
wait_until 60 all_online vgb 1
capture clm reload vgb
show_capture
assert_eq "$RC" 0 "clm reload vgb"
capture clm scale vga 1
show_capture
assert_eq "$RC" 0 "clm scale vga 1"
wait_until 60 all_online vga 1

check "SIGTERM: every app stops, clmd exits, valgrind saw no error"
vg_term "$VG_PID"
rc=$VG_RC
if [ "$rc" -ne 0 ] || grep -q "Invalid \(read\|write\)" "$VG_LOG"; then
	sed 's/^/  valgrind| /' "$VG_LOG" | head -n 80
	fail "clmd's teardown under valgrind: exit status $rc (99: valgrind" \
	    "found errors)"
fi
assert_eq "$rc" 0 "clmd's exit status under valgrind"
grep -q "ERROR SUMMARY: 0 errors" "$VG_LOG" ||
    fail "valgrind's summary: $(grep 'ERROR SUMMARY' "$VG_LOG")"
ok "$(grep -o 'ERROR SUMMARY: .*' "$VG_LOG")"

check "a start that fails with the loop open: clean teardown, exit 1"
new_home
mkdir -p "$CLM_HOME" && chmod 700 "$CLM_HOME"
busy=$(free_port)
"$PY" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
time.sleep(120)' "$busy" &
HOLDER=$!
track_pid "$HOLDER"
port_taken() { "$PY" -c '
import socket, sys
s = socket.socket()
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$busy"; }
wait_until 20 port_taken
printf '[daemon]\nmetrics_listen = 127.0.0.1:%s\n' "$busy" >"$CLM_HOME/clm.ini"
timeout -k 5 120 valgrind --error-exitcode=99 --leak-check=no \
    --log-file="$VG_LOG.2" "$CLM_BIN_DIR/clmd" --foreground \
    >"$TEST_TMP/clmd2.out" 2>&1
rc=$?
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
if [ "$rc" -ne 1 ] || grep -q "Invalid \(read\|write\)" "$VG_LOG.2"; then
	sed 's/^/  valgrind| /' "$VG_LOG.2" | head -n 60
	sed 's/^/  clmd| /' "$TEST_TMP/clmd2.out"
	fail "failed start under valgrind: exit status $rc (want 1; 99:" \
	    "valgrind found errors)"
fi
assert_contains "$(cat "$TEST_TMP/clmd2.out")" "$busy" "clmd's message"
ok "$(grep -o 'ERROR SUMMARY: .*' "$VG_LOG.2")"
