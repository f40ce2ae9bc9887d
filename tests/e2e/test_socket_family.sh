#!/bin/bash
# An AF_INET app that binds 0.0.0.0 while clmd holds a dual-stack [::]
# socket from systemd (socket activation: ListenStream=PORT): it gets that
# AF_INET6 socket, and reads AF_INET addresses as without clm --
# getsockname 0.0.0.0:PORT, accept()'s and getpeername's peer 127.0.0.1
# (not ::ffff:127.0.0.1 in a truncated sockaddr_in6).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd systemd-socket-activate
port=$(free_port)
systemd-socket-activate -l "$port" \
    env CLM_HOME="$CLM_HOME" "$CLM_BIN_DIR/clmd" --foreground \
    >"$TEST_TMP/sa.log" 2>&1 &
track_pid $!
wait_until 10 grep -q "Listening on \[::\]:$port" "$TEST_TMP/sa.log"
# clmd starts at the first connection, which waits for an app.
"$PY" - "$port" >"$TEST_TMP/first.txt" 2>&1 <<'PY' &
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1],
                             timeout=30).read().decode().strip())
PY
first=$!
wait_until 15 clm ping
check "sock_app.py MODE=inet_any (AF_INET, 0.0.0.0:$port) -i 2"
MODE=inet_any PORT=$port capture clm start --interpreter "$PY" \
    "$COMPAT/sock_app.py" -i 2 --name fam
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online fam "$WANT"
wait "$first" || fail "the first request failed: $(cat "$TEST_TMP/first.txt")"
ok "the request made before clmd ran was answered"
served_clean "$port" 2 "IPv4 clients of the [::] socket"
for id in $(seq 0 $((WANT - 1))); do
	check "worker $id: the addresses it read"
	assert_eq "$(info_of fam "$id" sockname)" "0.0.0.0:$port" "getsockname"
	assert_eq "$(info_of fam "$id" peer)" "127.0.0.1,2" \
	    "accept()'s peer (host, length of the address tuple)"
	assert_eq "$(info_of fam "$id" conn_peername)" 127.0.0.1 \
	    "getpeername of the accepted socket"
	assert_eq "$(info_of fam "$id" conn_sockname)" "127.0.0.1:$port" \
	    "getsockname of the accepted socket"
done
no_preload_errors fam
