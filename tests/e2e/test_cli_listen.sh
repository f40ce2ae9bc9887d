#!/bin/bash
# --listen and an app that binds the address itself (tracker 22, item 6):
# --listen PORT is [::]:PORT; an app that binds 127.0.0.1:PORT got
# EADDRINUSE ("another process listens on it") and crash-looped. Its bind
# now gets the app's --listen socket.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
check "clm start http_pid.py -i 2 --listen $port; the app binds 127.0.0.1:$port"
PORT=$port capture clm start "$FIXTURES/http_pid.py" --interpreter "$PY" \
    --name lw -i 2 --listen "$port"
show_capture
assert_eq "$RC" 0 "exit status"
wait_until 20 all_online lw 2
body=$(http_get "$port") || fail "no answer on $port"
ok "answers: pid $body"
sleep 1.5	# nothing to poll: no restart may come
assert_eq "$(restarts_of lw 0)" 0 "restarts of lw:0"
assert_eq "$(restarts_of lw 1)" 0 "restarts of lw:1"
assert_eq "$(status_of lw 0)" online "lw:0"
clm delete lw >/dev/null || fail "clm delete"
echo "PASS: $TEST_NAME"
