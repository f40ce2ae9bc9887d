#!/bin/bash
# Regression (issue 12): a plain asyncio server (asyncio.start_server) under
# clm -i 2 answers from both workers, and under a strict client's load with
# no failed request. asyncio makes its socket non-blocking after bind(),
# with ioctl(FIONBIO), then accepts until EAGAIN: the preload used to fix
# the mode at bind() and turn that last accept() into a poll() forever.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

port=$(free_port)
check "clm start py_asyncio.py -i 2 (127.0.0.1:$port)"
PORT=$port capture clm start --interpreter /usr/bin/python3 \
    "$COMPAT/py_asyncio.py" -i 2 --name aio
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online aio "$WANT"
listed=$(pids_line aio)
expect_pids_answer "$port" "$WANT" "asyncio answers"
same_set "$SEEN_PIDS" "$listed" ||
    fail "pids that answered [$SEEN_PIDS] are not the listed [$listed]"
ok "the answering pids are the listed workers"

check "5 s of the strict client (8 connections): every request answered"
load_start "$port" 8
wait_until 10 load_running "$port"
deadline=$(($(now_ms) + 5000))
while [ "$(now_ms)" -lt "$deadline" ]; do
	kill -0 "$LOAD_PID" 2>/dev/null || fail "the load client ended early"
	sleep 0.2
done
load_stop
echo "matrix-figure: asyncio.start_server -i 2, 8 connections: $LOAD_LINE"
assert_eq "$LOAD_REFUSED" 0 "connections refused"
assert_eq "$LOAD_FAILED" 0 "failed requests"
assert_eq "$LOAD_NPIDS" "$WANT" "distinct pids that answered under load"
assert_ge "$LOAD_OK" 500 "good replies"
assert_eq "$(pids_line aio)" "$listed" "pids after the load (no restart)"
no_preload_errors aio
for f in "$CLM_HOME"/logs/aio-*-err.log; do
	[ -s "$f" ] && { sed 's/^/  err| /' "$f"; fail "$f is not empty"; }
done
ok "no worker wrote to stderr"
