#!/bin/bash
# Slow starters (tracker 22, item 9): an app that needs 4 s to listen.
# clm restart says it was late and names --listen-timeout, as clm reload's
# failure does; clm restart NAME --listen-timeout 10s applies the option,
# after which both verbs wait for it.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
cat >"$TEST_TMP/slow.py" <<'PY'
import os, socket, time
time.sleep(4)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"hi\n")
    c.close()
PY
answers() { "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
sys.exit(0 if s.recv(3) == b"hi\n" else 1)' "$1"; }

check "start it; it listens after 4 s"
PORT=$port clm start "$TEST_TMP/slow.py" --name slow --interpreter "$PY" \
    >/dev/null ||
    fail "clm start"
wait_until 20 answers "$port"

check "clm restart slow: late, says so, names --listen-timeout"
capture clm restart slow
show_capture
assert_eq "$RC" 0 "exit status"
assert_contains "$OUT" "--listen-timeout" "stdout"
assert_contains "$OUT" "taken as online" "stdout"

check "clm reload slow: fails, names --listen-timeout"
wait_until 20 answers "$port"
capture clm reload slow
show_capture
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "--listen-timeout" "stderr"

check "clm restart slow --listen-timeout 10s: applied, no warning"
capture clm restart slow --listen-timeout 10s
show_capture
assert_eq "$RC" 0 "exit status"
assert_not_contains "$OUT" "warning" "stdout"
capture clm describe slow
assert_contains "$OUT" "10000 ms" "clm describe"
capture clm reload slow
show_capture
assert_eq "$RC" 0 "clm reload now: exit status"
clm delete slow >/dev/null || fail "clm delete"
echo "PASS: $TEST_NAME"
