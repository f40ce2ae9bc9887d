#!/bin/bash
# What one worker can make clmd do over its channel is bounded (issue 21,
# finding 5): a zero-length message does not stop clmd reading the
# channel; millions of READY=1 cost clmd little CPU; BINDs with escape
# bytes neither grow clmd.log nor put raw escapes in it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

# cpu_ticks PID: utime + stime of PID, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

check "a zero-length message: clmd still answers the next BIND"
P=$(free_port)
capture clm start "$SEC_FIX/sec_channel.py" --name empty --user nobody -- empty "$P"
show_capture
wait_until 20 out_has empty "after empty"
out=$(out_log empty)
echo "  $out"
assert_contains "$out" "after empty: OK" "reply to the BIND after an empty message"
capture clm delete empty

check "READY=1 flood: clmd's CPU stays low"
dpid=$(daemon_pid)
t0=$(cpu_ticks "$dpid")
capture clm start "$SEC_FIX/sec_channel.py" --name flood --user nobody -- ready-flood 5
wait_until 30 out_has flood "^sent"
t1=$(cpu_ticks "$dpid")
note "$(out_log flood); clmd used $((t1 - t0)) ticks ($(getconf CLK_TCK)/s) in ~5 s"
# 5 s of flood: under 10% of a core (old: 20-85%, as busy as the sender).
assert_lt "$((t1 - t0))" "$(($(getconf CLK_TCK) * 5 / 10))" "clmd CPU ticks during the flood"
capture clm delete flood

check "BINDs with escape bytes: clmd.log stays small and escape-free"
s0=$(stat -c %s "$CLM_HOME/clmd.log")
capture clm start "$SEC_FIX/sec_channel.py" --name esc --user nobody -- bad-binds 5000
wait_until 60 out_has esc "^sent"
s1=$(stat -c %s "$CLM_HOME/clmd.log")
note "clmd.log grew by $((s1 - s0)) bytes for 5000 bad BINDs"
assert_lt "$((s1 - s0))" 20000 "clmd.log growth"
if LC_ALL=C grep -q $'\x1b' "$CLM_HOME/clmd.log"; then
	fail "raw escape bytes in clmd.log"
fi
ok "no escape bytes in clmd.log"
capture clm delete esc
sec_done
