#!/bin/bash
# --listen 127.0.0.1:PORT: clmd binds the port up front and hands it to a
# socket-activated app (LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES, fd 3) that
# never binds anything itself; -i 2 serves from two pids. While a person
# stopped the app its port refuses connections; across a restart they
# wait in the backlog and are served; clm delete closes the port.
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

check "clm stop act: the port refuses connections at once (a person stopped it)"
capture clm stop act
show_capture
assert_eq "$RC" 0 "clm stop exit status"
for p in $listed; do
	wait_until 10 pid_dead "$p"
done
ok "old workers are gone"
assert_eq "$(count_workers act online)" 0 "online workers of act"
tcp_refused "$port" || fail "connect to 127.0.0.1:$port not refused after clm stop"
ok "connect to 127.0.0.1:$port is refused with the app stopped"

check "clm start act: it listens again; during clm restart nothing is refused"
capture clm start act
show_capture
assert_eq "$RC" 0 "clm start act exit status"
wait_until 20 all_online act "$want"
"$PY" - "$port" >"$TEST_TMP/during" <<'PYEOF' &
import socket, sys, time
port = int(sys.argv[1])
end = time.time() + 5
n = bad = 0
while time.time() < end:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        s.settimeout(15)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
    except ConnectionRefusedError:
        bad += 1    # what a stop does; a restart must not
    except OSError:
        pass        # reset by a dying worker's own exit: the app's
    n += 1
    time.sleep(0.02)
print(n, bad)
PYEOF
probe=$!
track_pid "$probe"
sleep 0.5
capture clm restart act
show_capture
assert_eq "$RC" 0 "clm restart act exit status"
wait "$probe"
read -r n bad <"$TEST_TMP/during"
note "$n requests during the restart"
assert_eq "$bad" 0 "requests refused during clm restart"

check "clm delete act: the port is closed"
capture clm delete act
show_capture
assert_eq "$RC" 0 "clm delete exit status"
wait_until 10 app_absent act
wait_until 10 tcp_refused "$port"
ok "connect to 127.0.0.1:$port is refused after clm delete"
