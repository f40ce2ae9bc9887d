#!/bin/bash
# kill -9 of clmd and clm-keeper together: the workers they leave have
# lost their channels and log pipes. The next clmd (started by clm list,
# or by clm resurrect) stops them gracefully (each app's kill signal to
# its group), says so in clmd.log, and only then starts what it was asked
# to: no process of the home runs unmanaged, and no app has more workers
# than it should. The state file of a graceful exit does not outlive it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

port=$(free_port)
check "web (-i 2) and a sleeper, saved"
capture env PORT="$port" clm start "$FIXTURES/http_pid.js" -i 2 --name web
assert_eq "$RC" 0 "clm start web"
capture clm start "$FIXTURES/sleeper.js" --name s
assert_eq "$RC" 0 "clm start s"
wait_until 20 all_online web 2
capture clm save
assert_eq "$RC" 0 "clm save"
old=$(list_json | jpy '[w["pid"] for w in d if w.get("pid")]' | tr '\n' ' ')
d=$(daemon_pid)
keeper=$(pgrep -f "clm-keeper $CLM_HOME/keeper.sock" | head -n1)
[ -n "$keeper" ] || fail "no clm-keeper for $CLM_HOME"
track_pid "$d" "$keeper" $old
state_written() { [ -s "$CLM_HOME/clmd.state" ]; }
wait_until 5 state_written
ok "workers [$old], clmd $d, clm-keeper $keeper; clmd.state written"

check "kill -9 of clmd and clm-keeper together"
# Stopped first: between two kills the keeper would start a new clmd
# (and with the keeper killed first, clmd would start a new keeper).
kill -STOP "$keeper"
kill -9 "$d" "$keeper"
wait_until 5 pid_dead "$d"
wait_until 5 pid_dead "$keeper"
for p in $old; do
	pid_alive "$p" || fail "worker $p died with clmd"
done
ok "the workers [$old] run on, unmanaged"

check "clm list starts a clmd that stops them, then clm resurrect"
capture clm list
assert_eq "$RC" 0 "clm list"
assert_contains "$OUT" "no apps" "the new clmd starts with no app"
for p in $old; do
	wait_until 10 pid_dead "$p"
done
ok "the orphans [$old] are stopped"
for p in $old; do
	grep -q "pid $p was left running by a clmd that died with its" \
	    "$CLM_HOME/clmd.log" || fail "clmd.log does not name $p"
done
ok "clmd.log names each of them"
capture clm resurrect
assert_eq "$RC" 0 "clm resurrect"
wait_until 20 all_online web 2
assert_eq "$(count_workers web)" 2 "web workers"
assert_eq "$(count_workers s)" 1 "s workers"
new=$(list_json | jpy '[w["pid"] for w in d if w.get("pid")]' | tr '\n' ' ')
disjoint "$old" "$new" || fail "a pid of before is listed again: [$new]"
# Every process with our CLM_HOME in its environment is a listed worker,
# clmd, its clm-keeper or its clm-logd.
mine=$(clmd_pids_for_home | tr '\n' ' ')
others=$("$PY" - "$CLM_HOME" $new <<'PYEOF'
import os, sys
want = b"CLM_HOME=" + sys.argv[1].encode()
listed = set(sys.argv[2:])
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) in (os.getpid(), os.getppid()):
        continue
    try:
        env = open(f"/proc/{p}/environ", "rb").read().split(b"\0")
        comm = open(f"/proc/{p}/comm").read().strip()
        st = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if want not in env or st[0] in ("Z", "X") or p in listed:
        continue
    if comm in ("clmd", "clm-keeper", "clm-logd", "clm"):
        continue
    print(p, comm)
PYEOF
)
[ -z "$others" ] || fail "processes of this home nobody lists: $others"
ok "no unmanaged process: only the listed workers and clm's own ($mine)"

check "a graceful exit leaves no state for a next clmd to act on"
capture clm kill
assert_eq "$RC" 0 "clm kill"
[ ! -e "$CLM_HOME/clmd.state" ] || fail "clmd.state outlived clm kill"
ok "no clmd.state after clm kill"
