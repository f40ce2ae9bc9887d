#!/bin/bash
# kill -9 of clmd costs nothing: under new-connection and keep-alive load
# (Node and Python workers, strict clients that read every reply) no
# request fails; clm-keeper starts a new clmd that takes the dead one's
# state over, as after clm update: within 2 s a new daemon pid answers
# (nobody ran a command), the same worker pids are online with their
# restart counts, and no log line is lost. A worker that exits while no
# clmd runs is restarted by the next one. Afterwards a killed worker is
# a normal crash restart, clm reload works, clm kill leaves nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

HTTPC=$(dirname "$0")/../../bench/httpc.js
KA=$FIXTURES/ka_strict.js
p1=$(free_port)
p2=$(free_port)

check "Node and Python apps of 2 workers each, and a logger"
capture env PORT="$p1" clm start "$FIXTURES/http_pid.js" -i 2 --name web
assert_eq "$RC" 0 "clm start web"
capture env PORT="$p2" HTTP11=1 clm start "$FIXTURES/http_pid.py" -i 2 --name py \
    --interpreter "$PY"
assert_eq "$RC" 0 "clm start py"
capture env L_COUNT=700 L_CHUNK=1 L_PAUSE_MS=20 clm start \
    "$FIXTURES/l_lines.js" --name lines
assert_eq "$RC" 0 "clm start lines"
wait_until 20 all_online web 2
wait_until 20 all_online py 2
wait_until 10 answers "$p1"
wait_until 10 answers "$p2"
web=$(pids_line web)
py=$(pids_line py)
lines=$(pid_of lines 0)
old=$(daemon_pid)
keeper=$(pgrep -f "clm-keeper $CLM_HOME/keeper.sock" | head -n1)
[ -n "$keeper" ] || fail "no clm-keeper for $CLM_HOME"
ok "web [$web] py [$py] lines $lines; clmd $old, clm-keeper $keeper"

check "kill -9 of clmd under new-connection and keep-alive load"
for p in "$p1" "$p2"; do
	node "$HTTPC" load "$p" 8 4 400 >"$TEST_TMP/new-$p.json" \
	    2>"$TEST_TMP/new-$p.err" &
	track_pid $!
	node "$KA" "$p" 8 4 >"$TEST_TMP/ka-$p.json" 2>"$TEST_TMP/ka-$p.err" &
	track_pid $!
done
sleep 2
t0=$(now_ms)
kill -9 "$old"
# Nobody runs a command: the pid file names a new, live clmd.
new_daemon() { local d; d=$(daemon_pid); [ -n "$d" ] && [ "$d" != "$old" ] &&
    pid_alive "$d"; }
wait_until 10 new_daemon
t1=$(now_ms)
new=$(daemon_pid)
capture clm ping
assert_contains "$OUT" "clmd pid $new" "clm ping answers from the new clmd"
echo "  a new clmd ($new) $((t1 - t0)) ms after kill -9 of $old"
assert_lt "$((t1 - t0))" 2000 "ms until a new clmd runs"
assert_eq "$(pids_line web)" "$web" "web pids"
assert_eq "$(pids_line py)" "$py" "py pids"
assert_eq "$(pid_of lines 0)" "$lines" "lines pid"
for s in 0 1; do
	assert_eq "$(status_of web $s)" online "web:$s status"
	assert_eq "$(restarts_of web $s)" 0 "web:$s restarts"
	assert_eq "$(status_of py $s)" online "py:$s status"
done
wait
for p in "$p1" "$p2"; do
	for k in new ka; do
		echo "  $k-connection load on $p: $(cat "$TEST_TMP/$k-$p.json")"
		head -n 5 "$TEST_TMP/$k-$p.err" | sed 's/^/  | /'
		f=$(sed -n 's/.*"failed":\([0-9]*\).*/\1/p' "$TEST_TMP/$k-$p.json")
		n=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' "$TEST_TMP/$k-$p.json")
		assert_eq "$f" 0 "failed requests ($k connections, port $p)"
		assert_ge "${n:-0}" 200 "requests answered ($k connections, port $p)"
	done
done
grep -q "clmd (pid $old) died" "$CLM_HOME/clmd.log" ||
    fail "clmd.log does not say that clmd $old died"
grep -q "after a crash of clmd: clmd .* took over 3 apps, 5 workers" \
    "$CLM_HOME/clmd.log" || fail "clmd.log does not say what was taken over"
ok "clmd.log says who died and what was taken over"

check "while no clmd runs, a worker exits and another writes a line"
old=$(daemon_pid)
kill -STOP "$keeper"
kill -9 "$old"
wait_until 5 pid_dead "$old"
w1=$(echo "$web" | cut -d' ' -f2)
kill -9 "$w1"
kill -USR2 "$lines"	# it writes "tick 1" to its log now
wait_until 5 pid_dead "$w1"
# Meanwhile someone runs clm start and clmd by hand: they must not race
# the recovery into a second daemon (the keeper holds the lock and the
# control socket; clm start's request waits in the socket's backlog).
clm start "$FIXTURES/sleeper.js" --name late >"$TEST_TMP/late.out" 2>&1 &
late=$!
clmd >"$TEST_TMP/byhand.out" 2>&1 &
byhand=$!
track_pid "$late" "$byhand"
sleep 0.5
kill -CONT "$keeper"
wait_until 10 new_daemon
wait "$late"
assert_eq "$?" 0 "clm start late, run while no clmd ran"
wait "$byhand"
echo "  clmd by hand: exit $?: $(head -n 1 "$TEST_TMP/byhand.out")"
one_clmd() { [ "$(clmd_pids_for_home | wc -l)" = 1 ]; }
wait_until 10 one_clmd
assert_eq "$(clmd_pids_for_home)" "$(daemon_pid)" "the one clmd of the home"
assert_eq "$(count_workers late)" 1 "workers of late"
wait_until 10 new_pid_online web 1 "$w1"
ok "web:1 ($w1, killed while no clmd ran) was restarted: $(pid_of web 1)"
assert_eq "$(restarts_of web 1)" 1 "web:1 restarts"
assert_eq "$(pid_of web 0)" "$(echo "$web" | cut -d' ' -f1)" "web:0 pid"
assert_eq "$(pids_line py)" "$py" "py pids"
has_tick() { grep -q "^tick 1$" "$CLM_HOME/logs/lines-0-out.log"; }
wait_until 10 has_tick
ok "the line written while no clmd ran is in lines-0-out.log"

check "no line of the logger is lost across both crashes"
logger_done() { grep -q "^done 0 700 " "$CLM_HOME/logs/lines-0-out.log"; }
wait_until 30 logger_done
grep -v '^tick' "$CLM_HOME/logs/lines-0-out.log" >"$TEST_TMP/lines.log"
capture "$PY" "$FIXTURES/l_check.py" --count 700 "$TEST_TMP/lines.log"
show_capture
assert_eq "$RC" 0 "l_check.py: every line, in order, once"

check "afterwards: a worker crash, a reload, clm kill"
w0=$(pid_of web 0)
kill -9 "$w0"
wait_until 10 new_pid_online web 0 "$w0"
assert_eq "$(restarts_of web 0)" 1 "web:0 restarts after its crash"
before=$(pids_line py)
capture clm reload py
assert_eq "$RC" 0 "clm reload py"
disjoint "$before" "$(pids_line py)" || fail "clm reload py kept a pid"
ok "py reloaded: [$before] -> [$(pids_line py)]"
capture clm kill
assert_eq "$RC" 0 "clm kill"
wait_until 10 pid_dead "$keeper"
ok "clm-keeper $keeper exited with clmd"
[ ! -e "$CLM_HOME/clmd.state" ] || fail "clmd.state left after clm kill"
