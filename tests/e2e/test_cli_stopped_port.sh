#!/bin/bash
# A stopped app (tracker 22, item 13): while a person stopped it, its port
# refuses connections at once (a health check does not hang), and
# clm_app_workers_desired says 0. A restart keeps connections queueing;
# a start listens again; the address stays the app's until delete.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
# connect_result PORT: "refused", "accepted" or "timeout" within 2 s.
connect_result() {
	"$PY" -c '
import socket, sys
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    print("accepted" if s.recv(100) else "closed")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, ConnectionResetError) as e:
    print("timeout" if isinstance(e, socket.timeout) else "reset")
' "$1"
}
desired() {
	clm metrics | sed -n "s/^clm_app_workers_desired{app=\"web\"} //p"
}

check "two workers of a python HTTP app on port $port"
PORT=$port clm start "$FIXTURES/http_pid.py" --name web -i 2 >/dev/null ||
    fail "clm start"
wait_until 20 all_online web 2
assert_eq "$(connect_result "$port")" accepted "a connection"
assert_eq "$(desired)" 2 "clm_app_workers_desired"

check "clm stop web: the port refuses at once, desired is 0"
clm stop web >/dev/null || fail "clm stop"
t0=$(now_ms)
assert_eq "$(connect_result "$port")" refused "a connection to the stopped app"
assert_lt $(($(now_ms) - t0)) 1500 "ms to be refused"
assert_eq "$(desired)" 0 "clm_app_workers_desired"

check "another app cannot take the address meanwhile"
capture clm start "$FIXTURES/http_pid.py" --name thief --listen "127.0.0.1:$port"
show_capture
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "belongs to app web" "stderr"

check "clm start web: it listens again"
clm start web >/dev/null || fail "clm start web"
wait_until 20 all_online web 2
assert_eq "$(connect_result "$port")" accepted "a connection"
assert_eq "$(desired)" 2 "clm_app_workers_desired"

check "a restart keeps connections queueing (no refusal during it)"
"$PY" - "$port" >"$TEST_TMP/during" <<'PYEOF' &
import socket, sys, time
port = int(sys.argv[1])
end = time.time() + 4
bad = 0
n = 0
while time.time() < end:
    s = socket.socket()
    s.settimeout(10)
    # A refusal is what a stop does; a connection the dying worker had
    # accepted may be reset by its own exit (the app's), not counted.
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.recv(100)
    except ConnectionRefusedError:
        bad += 1
    except OSError:
        pass
    n += 1
    s.close()
    time.sleep(0.02)
print(n, bad)
PYEOF
probe=$!
track_pid "$probe"
sleep 0.5
clm restart web >/dev/null || fail "clm restart"
wait "$probe"
read -r n bad <"$TEST_TMP/during"
note "$n connections during the restart"
assert_eq "$bad" 0 "connections refused during a restart"
clm delete web >/dev/null || fail "clm delete"
echo "PASS: $TEST_NAME"
