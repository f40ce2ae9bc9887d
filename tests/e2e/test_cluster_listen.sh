#!/bin/bash
# --listen 127.0.0.1:PORT: clmd binds the port up front and hands it to a
# socket-activated app (LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES, fd 3) that
# never binds anything itself; -i 2 serves from two pids. The port stays
# open while the app is stopped (connections wait in the backlog and are
# served once it starts again) and is closed by clm delete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

want=$(( $(nproc) < 2 ? 1 : 2 ))
port=$(free_port)

check "clm start c_activated.py --listen 127.0.0.1:$port -i 2"
capture clm start "$FIXTURES/c_activated.py" --listen "127.0.0.1:$port" \
    -i 2 --name act
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online act "$want"
ok "act: $want workers online"
listed=$(pids_line act)
echo "  listed pids: $listed"

check "each worker was socket-activated (LISTEN_PID = its pid)"
for id in $(seq 0 $((want - 1))); do
	f=$CLM_HOME/logs/act-$id-out.log
	wait_until 10 grep -q '^activated: LISTEN_FDS=1 ' "$f"
	sed 's/^/  out| /' "$f"
	assert_contains "$(cat "$f")" "127.0.0.1', $port)" "act/$id's fd 3"
done
for f in "$CLM_HOME"/logs/act-*-err.log; do
	[ -s "$f" ] && { sed 's/^/  err| /' "$f"; fail "$f is not empty"; }
done
ok "no worker wrote to stderr"

check "127.0.0.1:$port answers from $want distinct pids, the listed ones"
expect_pids_answer "$port" "$want" "127.0.0.1"
same_set "$SEEN_PIDS" "$listed" ||
    fail "pids that answered [$SEEN_PIDS] are not the listed [$listed]"
ok "the answering pids are the listed workers"

check "clm stop act: the port still accepts connections (backlog kept)"
capture clm stop act
show_capture
assert_eq "$RC" 0 "clm stop exit status"
for p in $listed; do
	wait_until 10 pid_dead "$p"
done
ok "old workers are gone"
assert_eq "$(count_workers act online)" 0 "online workers of act"
tcp_connects "$port" || fail "connect to 127.0.0.1:$port refused after clm stop"
ok "connect to 127.0.0.1:$port succeeds with the app stopped"

check "a request sent while stopped is answered once the app starts again"
"$PY" - "$port" "$TEST_TMP/sent" >"$TEST_TMP/waiting.out" 2>&1 <<'PYEOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.settimeout(30)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
open(sys.argv[2], "w").close()
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), body.decode().strip())
PYEOF
waiter=$!
track_pid "$waiter"
wait_until 10 test -e "$TEST_TMP/sent"
kill -0 "$waiter" 2>/dev/null ||
    { cat "$TEST_TMP/waiting.out"; fail "the waiting client ended early"; }
ok "a client connected and sent its request while the app is stopped"
capture clm start act
show_capture
assert_eq "$RC" 0 "clm start act exit status"
wait_until 20 all_online act "$want"
wait "$waiter"
wrc=$?
got=$(cat "$TEST_TMP/waiting.out")
echo "  waiting client got: $got"
assert_eq "$wrc" 0 "waiting client exit status"
assert_contains "$got" " 200 OK " "waiting client's response"
newpids=$(pids_line act)
pid=${got##* }
case " $newpids " in
*" $pid "*) ok "answered by a new worker ($pid in [$newpids])" ;;
*) fail "answered by pid '$pid', not one of the new workers [$newpids]" ;;
esac

check "clm delete act: the port is closed"
capture clm delete act
show_capture
assert_eq "$RC" 0 "clm delete exit status"
wait_until 10 app_absent act
wait_until 10 tcp_refused "$port"
ok "connect to 127.0.0.1:$port is refused after clm delete"
