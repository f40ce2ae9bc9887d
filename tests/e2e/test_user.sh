#!/bin/bash
# Apps as other users: --user drops the workers to that user (uid, gid,
# supplementary groups, HOME and USER) when clmd runs as root; an unknown
# user or group is refused before anything starts.
. "$(dirname "$0")/lib.sh"
# Needs root (clmd must run as root to switch users). What nobody runs
# (the fixture, clm-exec, the preload) is copied where nobody can read it:
# the clone may be in a 0700 folder such as /root/clm.
. "$(dirname "$0")/sec_lib.sh"
dir=$SEC_FIX
cp "$FIXTURES/u_whoami.sh" "$dir/whoami.sh"
chmod 755 "$dir/whoami.sh"

out_has() { grep -q "$2" "$CLM_HOME/logs/$1-0-out.log" 2>/dev/null; }

check "an app run as nobody has nobody's uid, gid, groups, HOME and USER"
capture clm start "$dir/whoami.sh" --name asnobody --user nobody --cwd "$dir"
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 out_has asnobody "uid="
line=$(cat "$CLM_HOME/logs/asnobody-0-out.log")
echo "  $line"
uid=$(id -u nobody)
gid=$(id -g nobody)
assert_contains "$line" "uid=$uid " "worker uid"
assert_contains "$line" "gid=$gid " "worker gid"
assert_contains "$line" "groups=$(id -G nobody) " "worker groups"
assert_contains "$line" "user=nobody" "USER"
assert_contains "$line" "home=$(getent passwd nobody | cut -d: -f6)" "HOME"
pid=$(pid_of asnobody 0)
assert_eq "$(stat -c %u /proc/"$pid")" "$uid" "owner of the worker process"

check "--group sets the group"
capture clm start "$dir/whoami.sh" --name asgroup --user nobody \
    --group nogroup --cwd "$dir"
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 out_has asgroup "uid="
line=$(cat "$CLM_HOME/logs/asgroup-0-out.log")
assert_contains "$line" "gid=$(getent group nogroup | cut -d: -f3) " \
    "worker gid"

check "an unknown user is refused before anything starts"
capture clm start "$dir/whoami.sh" --name ghost --user no-such-user-clm
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_contains "$ERR" "no user named 'no-such-user-clm'" "error"
assert_eq "$(count_workers ghost)" 0 "workers of ghost"

check "an unknown group is refused too"
capture clm start "$dir/whoami.sh" --name ghost2 --user nobody \
    --group no-such-group-clm
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_contains "$ERR" "no group named 'no-such-group-clm'" "error"

check "stop takes the other user's worker down"
capture clm stop asnobody
assert_eq "$RC" 0 "clm stop exit status"
wait_until 5 pid_dead "$pid"
ok "worker $pid gone"
