#!/bin/bash
# A pre-forking app: each worker binds, listens and forks two children that
# accept on the inherited socket, one in blocking accept(), one that makes
# the socket non-blocking (its own view: the parent's stays blocking) and
# polls. Both workers' children answer; a stop takes the children too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

sock_start fork fk
listed=$(pids_line fk)
for id in $(seq 0 $((WANT - 1))); do
	assert_eq "$(info_of fk "$id" parent_mode)" bl \
	    "worker $id: the parent's mode after a child set non-blocking"
done
check "the children answer (first line of a reply: their worker's pid)"
served_clean "$SOCK_PORT" 3 "children of both workers"
kids=$(for id in $(seq 0 $((WANT - 1))); do info_of fk "$id" children; done |
    tr ',' ' ')
echo "  children: $kids"
check "every child answers: the blocking one and the polling one"
got=$("$PY" - "$SOCK_PORT" <<'PYEOF'
import socket, sys
seen = set()
for _ in range(400):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    d = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        d += b
    s.close()
    seen.add(d.partition(b"\r\n\r\n")[2].split()[1].decode())
print(" ".join(sorted(seen)))
PYEOF
)
echo "  children that answered: $got"
same_set "$got" "$kids" || fail "children that answered [$got], expected [$kids]"
ok "all $(echo $kids | wc -w) children answered"
clm stop fk >/dev/null || fail "clm stop fk"
for k in $kids; do
	wait_until 10 pid_dead "$k"
done
ok "the children are gone with their workers"
no_preload_errors fk
