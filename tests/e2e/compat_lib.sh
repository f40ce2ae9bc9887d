# Helpers for the compatibility tests (test_compat_*.sh, test_socket_*.sh):
# a strict client's load in the background, and one row of the matrix.
# Sourced after lib.sh and cluster_lib.sh.

COMPAT=$FIXTURES/compat
WANT=$(( $(nproc) < 2 ? 1 : 2 ))

# skip_row WHY: skip the test, loudly: exit 77, which ctest reports as
# skipped (SKIP_RETURN_CODE), never as passed.
skip_row() {
	echo "SKIP: $TEST_NAME: $*; this row did NOT run" >&2
	trap - EXIT
	rm -rf "$TEST_TMP"
	exit 77
}

# need_cmd CMD...: skip when a runtime is missing here. (CI installs every
# package of .ci/packages.txt: there the row runs.)
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
		    skip_row "'$c' is not installed here (see .ci/packages.txt)"
	done
}

# load_start PORT [CONNS] [HOST]: the strict client (tests/fixtures/compat/
# strict_load.py) in the background, new connections, CONNS threads (4);
# LOAD_ARGS: more of its options (--keepalive, --mark FILE).
load_start() {
	LOAD_OUT=$TEST_TMP/load.json
	LOAD_STOP=$TEST_TMP/load.stop
	rm -f "$LOAD_OUT" "$LOAD_STOP"
	"$PY" "$COMPAT/strict_load.py" --port "$1" --conns "${2:-4}" \
	    --host "${3:-127.0.0.1}" --duration 120 --stop "$LOAD_STOP" \
	    --out "$LOAD_OUT" ${LOAD_ARGS:-} &
	LOAD_PID=$!
	track_pid "$LOAD_PID"
}

# load_stop: stop the client and read its counts: LOAD_REQUESTS, LOAD_OK,
# LOAD_REFUSED, LOAD_FAILED, LOAD_NPIDS (distinct pids that answered),
# LOAD_AFTER (the pids that answered connections opened after --mark's
# file appeared), LOAD_LINE (one line for the log).
load_stop() {
	local deadline=$(($(now_ms) + 30000)) vars
	touch "$LOAD_STOP"
	while kill -0 "$LOAD_PID" 2>/dev/null; do
		[ "$(now_ms)" -lt "$deadline" ] || {
			kill -KILL "$LOAD_PID"
			fail "the load client (pid $LOAD_PID) did not stop"
		}
		sleep 0.05
	done
	wait "$LOAD_PID" 2>/dev/null
	[ -s "$LOAD_OUT" ] || fail "the load client wrote no result"
	vars=$(jpy '"LOAD_REQUESTS=%d LOAD_OK=%d LOAD_REFUSED=%d LOAD_FAILED=%d LOAD_NPIDS=%d LOAD_SECS=%s LOAD_AFTER=\"%s\"" % (d["requests"], d["ok"], d["refused"], d["failed"], len(d["pids"]), d["seconds"], " ".join(sorted(d.get("pids_after", {}))))' <"$LOAD_OUT") ||
	    fail "cannot read $LOAD_OUT"
	eval "$vars"
	LOAD_LINE="requests=$LOAD_REQUESTS ok=$LOAD_OK refused=$LOAD_REFUSED failed=$LOAD_FAILED pids=$LOAD_NPIDS in ${LOAD_SECS}s"
	echo "  load: $LOAD_LINE"
	if [ "$LOAD_REFUSED" != 0 ] || [ "$LOAD_FAILED" != 0 ]; then
		jpy '[k + "=" + str(v) for k, v in d["errors"].items()] + d["first_errors"]' \
		    <"$LOAD_OUT" | sed 's/^/  load error| /'
	fi
}

# load_running PORT [HOST]: the client runs and PORT takes connections
# (the client only writes at the end): the load is under way.
load_running() {
	kill -0 "$LOAD_PID" 2>/dev/null && tcp_connects "$1" "${2:-127.0.0.1}"
}

# no_preload_errors APP: APP's err logs hold no "clm:" line from the preload.
no_preload_errors() {
	local f
	for f in "$CLM_HOME"/logs/"$1"-*-err.log; do
		[ -f "$f" ] || continue
		if grep -q '^clm: ' "$f"; then
			sed 's/^/  err| /' "$f" | head -n 20
			fail "the preload complained in $f"
		fi
	done
	ok "$1: no complaint of the preload in its err logs"
}

# compat_row NAME PORT [--reload-failures N] -- CLM_START_ARGS...
# One row of the matrix: `clm start CLM_START_ARGS --name NAME -i 2` of an
# unmodified server on PORT, then
#  1. both workers answer (two distinct pids, the listed ones);
#  2. `clm reload NAME` under the strict client's load: exit 0, every pid
#     new, no connection refused, at most N failed requests (default 0:
#     every old worker drains, new connections go to the others and its
#     kill signal waits for what it accepted);
#  3. SIGKILL of worker 0 under load: replaced by a new pid, no connection
#     refused, at most CONNS failed (those the killed process held);
#  4. both workers answer again.
# Prints a "matrix:" line with the figures.
compat_row() {
	local name=$1 port=$2 conns=4 rfail=0 before after old t0 row
	shift 2
	if [ "${1:-}" = --reload-failures ]; then
		rfail=$2
		shift 2
	fi
	[ "${1:-}" = -- ] && shift
	check "$name: clm start $* -i 2 on port $port"
	PORT=$port capture clm start --name "$name" -i 2 "$@"
	show_capture
	assert_eq "$RC" 0 "clm start exit status"
	wait_until 20 all_online "$name" "$WANT"
	before=$(pids_line "$name")
	expect_pids_answer "$port" "$WANT" "$name answers"
	same_set "$SEEN_PIDS" "$before" ||
	    fail "pids that answered [$SEEN_PIDS] are not the listed [$before]"
	ok "$name: the listed workers answer"

	check "$name: clm reload under the strict client's load ($conns connections)"
	load_start "$port" "$conns"
	wait_until 10 load_running "$port"
	t0=$(now_ms)
	capture clm reload "$name"
	echo "  reload took $(($(now_ms) - t0)) ms"
	show_capture
	assert_eq "$RC" 0 "clm reload exit status"
	after=$(pids_line "$name")
	echo "  pids: [$before] -> [$after]"
	[ "$(printf '%s\n' $after | sort -u | wc -l)" = "$WANT" ] ||
	    fail "after the reload: expected $WANT distinct pids, got [$after]"
	disjoint "$before" "$after" || fail "after the reload: not all pids new"
	ok "every pid is new"
	expect_pids_answer "$port" "$WANT" "$name answers after the reload"
	load_stop
	ROW_RELOAD=$LOAD_LINE
	assert_eq "$LOAD_REFUSED" 0 "connections refused during the reload"
	assert_lt "$LOAD_FAILED" $((rfail + 1)) \
	    "failed requests during the reload (allowed: $rfail)"
	assert_ge "$LOAD_OK" 20 "good replies during the reload"

	check "$name: SIGKILL worker 0 under load: replaced, the port never refuses"
	old=$(pid_of "$name" 0)
	load_start "$port" "$conns"
	wait_until 10 load_running "$port"
	kill -KILL "$old" || fail "kill -KILL $old"
	t0=$(now_ms)
	wait_until 20 new_pid_online "$name" 0 "$old"
	echo "  $name/0: pid $old -> $(pid_of "$name" 0) online after" \
	    "$(($(now_ms) - t0)) ms"
	expect_pids_answer "$port" "$WANT" "$name answers after the kill"
	load_stop
	ROW_KILL=$LOAD_LINE
	assert_eq "$LOAD_REFUSED" 0 "connections refused around the SIGKILL"
	assert_lt "$LOAD_FAILED" $((conns + 1)) \
	    "failed requests around the SIGKILL (those in the killed worker, <= $conns)"
	no_eaddrinuse "$name"
	no_preload_errors "$name"
	row="matrix: $name: answer=$WANT pids; reload: $ROW_RELOAD; sigkill: $ROW_KILL"
	echo "$row"
	[ -z "${CLM_MATRIX_OUT:-}" ] || echo "$row" >>"$CLM_MATRIX_OUT"
	capture clm delete "$name"
	assert_eq "$RC" 0 "clm delete $name"
}

# sock_start MODE NAME: tests/fixtures/compat/sock_app.py in MODE, -i 2,
# on a free port (SOCK_PORT); waits until every worker is online and has
# printed "info ready=1".
sock_start() {
	local id
	SOCK_PORT=$(free_port)
	check "$2: sock_app.py MODE=$1 -i 2 on port $SOCK_PORT"
	MODE=$1 PORT=$SOCK_PORT capture clm start --interpreter "$PY" \
	    "$COMPAT/sock_app.py" -i 2 --name "$2"
	show_capture
	assert_eq "$RC" 0 "clm start exit status"
	wait_until 20 all_online "$2" "$WANT"
	for id in $(seq 0 $((WANT - 1))); do
		wait_until 20 grep -q '^info ready=1' \
		    "$CLM_HOME/logs/$2-$id-out.log"
	done
}

# info_of NAME ID KEY: the value of the first "info KEY=..." line worker
# ID of NAME printed.
info_of() {
	sed -n "s/^info $3=//p" "$CLM_HOME/logs/$1-$2-out.log" 2>/dev/null |
	    head -n1
}

# load_for PORT SECONDS [CONNS] [HOST]: the strict client for SECONDS;
# then load_stop's variables are set.
load_for() {
	local end
	load_start "$1" "${3:-4}" "${4:-127.0.0.1}"
	wait_until 10 load_running "$1" "${4:-127.0.0.1}"
	end=$(($(now_ms) + $2 * 1000))
	while [ "$(now_ms)" -lt "$end" ]; do
		kill -0 "$LOAD_PID" 2>/dev/null || break
		sleep 0.1
	done
	load_stop
}

# served_clean PORT SECONDS WHAT [HOST]: under the strict client for SECONDS,
# every request answered, by WANT distinct pids.
served_clean() {
	load_for "$1" "$2" 4 "${4:-127.0.0.1}"
	assert_eq "$LOAD_REFUSED/$LOAD_FAILED" 0/0 "$3: refused/failed requests"
	assert_eq "$LOAD_NPIDS" "$WANT" "$3: distinct pids that answered"
	assert_ge "$LOAD_OK" 100 "$3: good replies"
}

# mark_when_logged PATTERN FILE: in the background, touch FILE as soon as
# clmd.log holds PATTERN (a --mark for the strict client).
mark_when_logged() {
	(
		end=$(($(now_ms) + 60000))
		while [ "$(now_ms)" -lt "$end" ]; do
			if grep -q -- "$1" "$CLM_HOME/clmd.log" 2>/dev/null; then
				touch "$2"
				exit 0
			fi
			sleep 0.01
		done
	) &
	track_pid $!
}

# drain_event WHAT MAXFAIL CMD...: CMD under the strict client's load
# (LOAD_ARGS as load_start): exit 0, nothing refused, at most MAXFAIL
# failed requests. Prints a "drain:" line.
drain_event() {
	local what=$1 max=$2 t0
	shift 2
	check "$what under load${LOAD_ARGS:+ ($LOAD_ARGS)}: at most $max failed"
	load_start "$DRAIN_PORT" 4
	wait_until 10 load_running "$DRAIN_PORT"
	t0=$(now_ms)
	capture "$@"
	echo "  $* took $(($(now_ms) - t0)) ms"
	show_capture
	assert_eq "$RC" 0 "$* exit status"
	load_stop
	assert_eq "$LOAD_REFUSED" 0 "connections refused ($what)"
	assert_lt "$LOAD_FAILED" $((max + 1)) "failed requests ($what)"
	assert_ge "$LOAD_OK" 20 "good replies ($what)"
	echo "drain: $DRAIN_NAME: $what: $LOAD_LINE"
	[ -z "${CLM_MATRIX_OUT:-}" ] ||
	    echo "drain: $DRAIN_NAME: $what: $LOAD_LINE" >>"$CLM_MATRIX_OUT"
}

# drain_row NAME PORT [--keepalive-failures N] -- CLM_START_ARGS...
# The drain of one runtime: `clm start ... -i 2`, then under new
# connections a reload, a scale down to 1 and a stop of worker 1 lose no
# request, and the old worker answers no connection opened after it began
# to drain; then a reload under keep-alive load, at most N failed (0).
drain_row() {
	local kafail=0 old0 old1 mark
	DRAIN_NAME=$1
	DRAIN_PORT=$2
	shift 2
	if [ "${1:-}" = --keepalive-failures ]; then
		kafail=$2
		shift 2
	fi
	[ "${1:-}" = -- ] && shift
	[ "$WANT" = 2 ] || skip_row "one core here: no other worker to drain to"
	check "$DRAIN_NAME: clm start $* -i 2 on port $DRAIN_PORT"
	PORT=$DRAIN_PORT capture clm start --name "$DRAIN_NAME" -i 2 "$@"
	show_capture
	assert_eq "$RC" 0 "clm start exit status"
	wait_until 20 all_online "$DRAIN_NAME" 2
	expect_pids_answer "$DRAIN_PORT" 2 "$DRAIN_NAME answers"

	old0=$(pid_of "$DRAIN_NAME" 0)
	old1=$(pid_of "$DRAIN_NAME" 1)
	mark=$TEST_TMP/mark.reload
	rm -f "$mark"
	mark_when_logged "pid $old0 draining" "$mark"
	LOAD_ARGS="--mark $mark" drain_event reload 0 clm reload "$DRAIN_NAME"
	[ -e "$mark" ] || fail "clmd.log never said pid $old0 was draining"
	case " $LOAD_AFTER " in
	*" $old0 "*) fail "old worker $old0 answered a connection opened" \
	    "after it began to drain (pids after: $LOAD_AFTER)" ;;
	esac
	[ -n "$LOAD_AFTER" ] || fail "no reply after the drain began"
	ok "after pid $old0 began to drain, only [$LOAD_AFTER] answered new connections"
	grep -q "pid $old0 drained in" "$CLM_HOME/clmd.log" ||
	    fail "pid $old0 did not drain before its kill signal"
	grep -q "pid $old1 drained in" "$CLM_HOME/clmd.log" ||
	    fail "pid $old1 did not drain before its kill signal"
	ok "both old workers drained before their kill signal"
	wait_until 20 all_online "$DRAIN_NAME" 2

	LOAD_ARGS= drain_event "scale 2 -> 1" 0 clm scale "$DRAIN_NAME" 1
	assert_eq "$(count_workers "$DRAIN_NAME")" 1 "workers after scale 1"
	capture clm scale "$DRAIN_NAME" 2
	assert_eq "$RC" 0 "clm scale $DRAIN_NAME 2"
	wait_until 20 all_online "$DRAIN_NAME" 2

	LOAD_ARGS= drain_event "stop of worker 1" 0 clm stop "$DRAIN_NAME:1"
	status_is "$DRAIN_NAME" 1 stopped || fail "worker 1 is not stopped"
	capture clm restart "$DRAIN_NAME:1"
	assert_eq "$RC" 0 "clm restart $DRAIN_NAME:1"
	wait_until 20 all_online "$DRAIN_NAME" 2
	expect_pids_answer "$DRAIN_PORT" 2 "$DRAIN_NAME answers from 2 pids"

	LOAD_ARGS=--keepalive drain_event "reload, keep-alive" "$kafail" \
	    clm reload "$DRAIN_NAME"
	no_preload_errors "$DRAIN_NAME"
	capture clm delete "$DRAIN_NAME"
	assert_eq "$RC" 0 "clm delete $DRAIN_NAME"
}

# keepalive_row NAME PORT MAX -- CLM_START_ARGS...: `clm start ... -i 2` of
# an app that keeps connections open, then a reload under the strict
# client's keep-alive load: at most MAX failed. With the preload, a
# draining worker's replies say Connection: close: MAX 0, and no idle
# connection is left to its kill signal. Without (a static binary), the
# idle connections it still holds are cut: at most one failure per
# connection and old worker.
keepalive_row() {
	local max=$3
	DRAIN_NAME=$1
	DRAIN_PORT=$2
	shift 3
	[ "${1:-}" = -- ] && shift
	check "$DRAIN_NAME: clm start $* -i $WANT on port $DRAIN_PORT"
	PORT=$DRAIN_PORT capture clm start --name "$DRAIN_NAME" -i "$WANT" "$@"
	show_capture
	assert_eq "$RC" 0 "clm start exit status"
	wait_until 20 all_online "$DRAIN_NAME" "$WANT"
	LOAD_ARGS=--keepalive drain_event "reload, keep-alive" "$max" \
	    clm reload "$DRAIN_NAME"
	if [ "$max" = 0 ]; then
		# Told Connection: close, the clients closed every connection
		# before the kill signal: none was left to cut.
		grep "$DRAIN_NAME:[0-9]*: pid [0-9]* drained in" \
		    "$CLM_HOME/clmd.log" | grep -v "(0 idle connections" &&
		    fail "an old worker still held idle connections"
		ok "the old workers' clients closed every connection first"
	fi
	no_preload_errors "$DRAIN_NAME"
	capture clm delete "$DRAIN_NAME"
	assert_eq "$RC" 0 "clm delete $DRAIN_NAME"
}
