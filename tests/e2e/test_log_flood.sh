#!/bin/bash
# A worker that prints a lot never blocks the daemon: clm answers promptly
# while it prints as fast as it can for 3 s (at most 50 MB), all of it
# lands in the log, and stop works.
. "$(dirname "$0")/lib.sh"

export SPEW_MS=3000 SPEW_MB=50
log=$CLM_HOME/logs/spew-0-out.log

check "start a worker that prints for $SPEW_MS ms"
capture clm start "$FIXTURES/spew.js" --max-log-size 0
show_capture
assert_eq "$RC" 0 "clm start exit status"

check "clm list answers promptly while it prints"
worst=0
done_spewing() { tail -c 100 "$log" 2>/dev/null | grep -q "spew done"; }
i=0
while ! done_spewing && [ "$i" -lt 200 ]; do
	t0=$(now_ms)
	list_json >/dev/null || fail "clm list --json failed while the worker prints"
	ms=$(($(now_ms) - t0))
	[ "$ms" -gt "$worst" ] && worst=$ms
	i=$((i + 1))
done
echo "  $i calls of clm list --json, slowest $worst ms"
assert_lt "$worst" 1000 "slowest clm list --json (ms)"
wait_until 60 done_spewing
size=$(stat -c %s "$log")
want=$(grep -a -o 'spew done: [0-9]*' "$log" | tail -n1 | cut -d' ' -f3)
echo "  the worker wrote $want bytes, the log has $size"
assert_ge "$size" "$want" "bytes in $(basename "$log")"
assert_eq "$(count_workers spew online)" 1 "spew online"
assert_eq "$(restarts_of spew 0)" 0 "spew restarts"

check "stop works after the flood"
pid=$(pid_of spew 0)
capture clm stop spew
assert_eq "$RC" 0 "clm stop exit status"
wait_until 5 pid_dead "$pid"
ok "worker $pid gone"
