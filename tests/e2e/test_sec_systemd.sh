#!/bin/bash
# The systemd socket mapping (issue 21, finding 1): a socket handed to
# clmd with a LISTEN_FDNAMES name that is an app's belongs to that app:
# another app (here nobody's) asking for its address is refused with
# EADDRINUSE naming the owner, and gets none of its traffic; a privileged
# port mapped to a nobody app is the operator's grant.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

command -v systemd-socket-activate >/dev/null ||
	{ echo "SKIP: $TEST_NAME: no systemd-socket-activate"; exit 0; }

P=$(free_port)
priv=$(free_priv_port)
systemd-socket-activate -l "127.0.0.1:$P" -l "127.0.0.1:$priv" \
    --fdname=web:low env CLM_HOME="$CLM_HOME" "$SEC_BIN/clmd" --foreground \
    >"$TEST_TMP/sa.log" 2>&1 &
activator=$!
track_pid "$activator"
wait_until 10 grep -q "Listening on 127.0.0.1:$priv" "$TEST_TMP/sa.log"
# The first connection starts clmd; it waits in the backlog meanwhile.
"$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.close()' "$P" || fail "cannot connect to the activator"
wait_until 15 clm ping
assert_contains "$(cat "$CLM_HOME/clmd.log")" "127.0.0.1:$P, for app web" "clmd.log names the mapping"

check "an app that is not the mapped one is refused the mapped address"
capture clm start "$SEC_FIX/sec_binds.py" --name thief --user nobody -- \
    "127.0.0.1,$P,0" "0.0.0.0,$P,0" "::,$P,0"
show_capture
wait_until 20 out_has thief "^done"
out=$(out_log thief)
echo "$out" | sed 's/^/  thief| /'
assert_contains "$out" "done 0" "sockets the thief got"
assert_contains "$(err_log thief)" "belongs to app web" "the thief's error log names the owner"

check "the mapped app gets it and answers every request"
PORT=$P capture clm start "$SEC_FIX/http_pid.py" --name web
show_capture
assert_eq "$RC" 0 "clm start web"
wpid=$(pid_of web 0)
got=$(answers "$P" 30)
assert_eq "$(echo "$got" | grep -c "^$wpid\$")" 30 "answers from web pid $wpid"

check "a privileged port mapped to a nobody app is granted"
capture clm start "$SEC_FIX/sec_binds.py" --name low --user nobody -- "127.0.0.1,$priv,0"
wait_until 20 out_has low "^done"
assert_contains "$(out_log low)" "127.0.0.1,$priv,0 ok" "the mapped privileged port"
capture clm kill
kill "$activator" 2>/dev/null
sec_done
