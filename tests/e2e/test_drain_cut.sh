#!/bin/bash
# A drain that hits kill_timeout: a client holds a request half sent on an
# old worker, so that worker stays busy. clm list shows it "draining"
# meanwhile; after kill_timeout its kill signal cuts the connection and
# clmd.log says so with the count; the reload ends, every pid new.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

port=$(free_port)
check "clm start http_pid.py -i $WANT --kill-timeout 3s on port $port"
PORT=$port capture clm start --name cut -i "$WANT" --kill-timeout 3s \
    --interpreter "$PY" "$FIXTURES/http_pid.py"
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online cut "$WANT"

check "a request half sent on each worker: both stay busy"
"$PY" - "$port" "$TEST_TMP/held" <<'PYEOF' >"$TEST_TMP/holder.out" 2>&1 &
import socket, sys, time
held = []
for _ in range(16):	# enough that each worker holds one
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")	# no end of head
    held.append(s)
open(sys.argv[2], "w").close()
time.sleep(60)
PYEOF
holder=$!
track_pid "$holder"
wait_until 10 test -e "$TEST_TMP/held"
ok "16 connections hold half a request"

check "clm reload: the old worker is listed as draining, then cut at kill_timeout"
(clm reload cut >"$TEST_TMP/reload.out" 2>&1; echo $? >"$TEST_TMP/reload.rc") &
track_pid $!
seen_draining() {
	list_json >"$TEST_TMP/list.json" || return 1
	jpy 'any(w["name"] == "cut" and w["status"] == "draining"
	    for w in d)' <"$TEST_TMP/list.json" | grep -qx true
}
wait_until 20 seen_draining
ok "clm list shows a worker of cut as draining"
wait_until 60 test -e "$TEST_TMP/reload.rc"
cat "$TEST_TMP/reload.out" | sed 's/^/  reload| /'
assert_eq "$(cat "$TEST_TMP/reload.rc")" 0 "clm reload exit status"
grep -E "cut:[0-9]+: pid [0-9]+ drain hit kill_timeout \(3000 ms\): it still serves [0-9]+ connections?, cut by its kill signal" \
    "$CLM_HOME/clmd.log" | sed 's/^/  clmd.log| /' | grep -q . ||
    fail "clmd.log does not say that a drain hit kill_timeout"
ok "clmd.log says the drain hit kill_timeout, with the count it cut"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null
capture clm delete cut
assert_eq "$RC" 0 "clm delete cut"
