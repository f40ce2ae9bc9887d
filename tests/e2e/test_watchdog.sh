#!/bin/bash
# --watchdog: a Node worker whose event loop blocks (clm-node.js stops
# saying WATCHDOG=1) is replaced gracefully within about two watchdog
# periods: its slot gets a new pid, its restart count rises, the old
# process is SIGKILLed when its kill signal does nothing, and the other
# worker serves meanwhile. A healthy worker under load for 30 s is never
# replaced.
. "$(dirname "$0")/lib.sh"

port=$(free_port)

# get PATH [TIMEOUT]: the pid that answered GET PATH within TIMEOUT s (1),
# or nothing.
get() {
	"$PY" -c '
import sys, urllib.request
try:
    with urllib.request.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1],
            sys.argv[2]), timeout=float(sys.argv[3])) as r:
        print(r.read().decode().strip())
except Exception:
    pass
' "$port" "$1" "${2:-1}"
}
pid_changed() { [ "$(pid_of w "$1")" != "$2" ] && [ "$(pid_of w "$1")" != 0 ]; }

check "start two workers with --watchdog 2s"
capture env PORT="$port" clm start "$FIXTURES/w_hang.js" --name w -i 2 \
    --watchdog 2s
show_capture
assert_eq "$RC" 0 "clm start exit status"
capture clm describe w
assert_contains "$OUT" "watchdog" "describe shows the watchdog"
p0=$(pid_of w 0)
p1=$(pid_of w 1)

check "GET /hang blocks one worker's loop: it is replaced, the other serves"
hung=""
for _ in $(seq 1 40); do
	hung=$(get /hang)
	[ -n "$hung" ] && break
done
[ -n "$hung" ] || fail "GET /hang got no answer"
t0=$(now_ms)
if [ "$hung" = "$p0" ]; then slot=0; other=$p1; else slot=1; other=$p0; fi
assert_eq "$hung" "$([ $slot = 0 ] && echo "$p0" || echo "$p1")" "the hung pid is a worker"
served_other=0
while ! pid_changed "$slot" "$hung"; do
	# Short waits: a connection the kernel gives the hung one times out.
	[ "$(get / 0.2)" = "$other" ] && served_other=$((served_other + 1))
	[ $(($(now_ms) - t0)) -lt 30000 ] || fail "slot $slot never replaced"
done
took=$(($(now_ms) - t0))
note "slot $slot (pid $hung) replaced by pid $(pid_of w "$slot") after $took ms"
assert_lt "$took" 8000 "replaced within about 2 watchdog periods (ms)"
assert_ge "$served_other" 1 "answers from the other worker meanwhile"
assert_eq "$(pid_of w $((1 - slot)))" "$other" "the other worker kept its pid"
assert_eq "$(restarts_of w "$slot")" 1 "restarts of the hung slot"
assert_eq "$(restarts_of w $((1 - slot)))" 0 "restarts of the other slot"
wait_until 20 pid_dead "$hung"
wait_until 20 all_online w 2
ok "replaced; the other worker answered $served_other times meanwhile"
grep -q "has not said WATCHDOG=1" "$CLM_HOME/clmd.log" ||
    fail "clmd.log does not say why"

check "healthy workers under load for 30 s: no replacement"
capture clm restart w
wait_until 20 all_online w 2
q0=$(pid_of w 0)
q1=$(pid_of w 1)
r0=$(restarts_of w 0)
r1=$(restarts_of w 1)
res=$(timeout 60 node "$CLM_SRC_DIR/bench/httpc.js" load "$port" 30 8 2000)
note "load: $res"
printf '%s\n' "$res" | jpy 'd["failed"] == 0 and d["ok"] > 100' |
    grep -qx true || fail "load: $res"
assert_eq "$(pid_of w 0)" "$q0" "worker 0 pid"
assert_eq "$(pid_of w 1)" "$q1" "worker 1 pid"
assert_eq "$(restarts_of w 0)" "$r0" "worker 0 restarts"
assert_eq "$(restarts_of w 1)" "$r1" "worker 1 restarts"
ok "no replacement"
