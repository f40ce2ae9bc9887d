#!/bin/bash
# SIGKILL under load. The listening socket is clmd's, so it outlives the
# worker: connections wait in the backlog for a live or replacement worker.
# A SIGKILL can only break the requests its process had already accepted:
# at most one per wrk connection (the -c value). Nothing else may fail:
# no connect error, no timeout, no non-2xx.
#  1. -i 2, new-connection load: kill one worker.
#  2. -i 1, light load: kill the only worker.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

want=$(( $(nproc) < 2 ? 1 : 2 ))

# kill_under_load APP ID PORT SECONDS CONNS WRK_ARGS...: SIGKILL worker ID
# of APP one second into a wrk run, check it is replaced while wrk still
# runs, then check wrk's counts.
kill_under_load() {
	local app=$1 id=$2 port=$3 secs=$4 conns=$5 old new t0 t1 broken
	shift 5
	old=$(pid_of "$app" "$id")
	[ -n "$old" ] && [ "$old" -gt 0 ] || fail "no pid for $app/$id"
	wrk_start "$TEST_TMP/wrk.out" -c"$conns" "$@" -d "${secs}s" \
	    --timeout 10s -H 'Connection: close' "http://127.0.0.1:$port/"
	echo "  wrk -c$conns $* -d ${secs}s (pid $WRK_PID)"
	wait_until 10 answers "$port"
	sleep 1		# load at full speed
	kill -0 "$WRK_PID" 2>/dev/null ||
	    { wrk_show "$TEST_TMP/wrk.out"; fail "wrk ended early"; }
	t0=$(now_ms)
	kill -KILL "$old" || fail "kill -KILL $old failed"
	echo "  SIGKILL $app/$id (pid $old)"
	wait_until 20 new_pid_online "$app" "$id" "$old"
	t1=$(now_ms)
	new=$(pid_of "$app" "$id")
	echo "  $app/$id: pid $old -> $new, online after $((t1 - t0)) ms"
	ok "$app/$id replaced by a new pid"
	kill -0 "$WRK_PID" 2>/dev/null ||
	    fail "wrk had ended before the replacement was online: not under load"
	ok "replacement online while wrk still runs"
	wrk_wait $((secs + 30))
	wrk_show "$TEST_TMP/wrk.out"
	wrk_parse "$TEST_TMP/wrk.out"
	wrk_summary
	broken=$((WRK_READ + WRK_WRITE))
	echo "  measured: connect errors $WRK_CONNECT, read $WRK_READ," \
	    "write $WRK_WRITE, timeout $WRK_TIMEOUT, non-2xx $WRK_NON2XX," \
	    "of $WRK_REQUESTS requests"
	assert_eq "$WRK_CONNECT" 0 "connect errors"
	assert_eq "$WRK_TIMEOUT" 0 "timeouts (wrk --timeout 10s)"
	assert_eq "$WRK_NON2XX" 0 "non-2xx responses"
	assert_lt "$broken" $((conns + 1)) \
	    "read+write errors (in flight in the killed worker, <= -c $conns)"
	assert_ge "$WRK_REQUESTS" 100 "requests served"
}

port=$(free_port)
check "$want node workers on port $port; SIGKILL one under wrk -c16 new-connection load"
PORT=$port capture clm start "$FIXTURES/http_pid.js" -i 2 --name two
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online two "$want"
expect_pids_answer "$port" "$want" "before the kill"
other=
[ "$want" = 2 ] && other=$(pid_of two 1)
kill_under_load two 0 "$port" 8 16 -t2
if [ -n "$other" ]; then
	assert_eq "$(pid_of two 1)" "$other" "pid of the untouched two/1"
fi
expect_pids_answer "$port" "$want" "after the kill"
clm delete two >/dev/null || fail "clm delete two failed"

port=$(free_port)
check "one node worker on port $port; SIGKILL it under light wrk -c2 load"
PORT=$port capture clm start "$FIXTURES/http_pid.js" -i 1 --name one
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online one 1
kill_under_load one 0 "$port" 6 2 -t1
expect_pids_answer "$port" 1 "after the kill"
