#!/bin/bash
# Address ownership (issue 21, findings 1, 3 and 5's BIND flood): clmd runs
# as root, apps as nobody. An address belongs to the first app that asked
# for it: another app asking for it, in any spelling (0.0.0.0, ::, 0::,
# ::ffff:127.0.0.1...), is refused with EADDRINUSE and told the owner, and
# gets none of the owner's traffic; two apps on one port: the second clm
# start fails naming the first; an address a process outside clm listens
# on is refused; a nobody app's sockets are nobody's (the kernel keeps
# SO_REUSEPORT groups per user); privileged ports only through --listen;
# at most 64 addresses per app, so 1,300 BINDs cannot take clmd's fds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

P=$(free_port)
export PORT=$P
check "a root app owns 127.0.0.1:$P"
capture clm start "$SEC_FIX/http_pid.py" --name victim
show_capture
assert_eq "$RC" 0 "clm start victim"
vpid=$(pid_of victim 0)
wait_until 10 http_get "$P"

check "a nobody app asking for it in any spelling gets EADDRINUSE, naming the owner"
specs=()
for h in 127.0.0.1 0.0.0.0 :: 0:: 00:: 0:0::0 0000:0000:0000:0000:0000:0000:0000:0000 \
    ::ffff:127.0.0.1 ::ffff:0.0.0.0 ::FFFF:7f00:1; do
	specs+=("$h,$P,0")
done
specs+=("::,$P,1" "127.0.0.1,$P,1")
capture clm start "$SEC_FIX/sec_binds.py" --name thief --user nobody -- "${specs[@]}"
show_capture
wait_until 20 out_has thief "^done"
out=$(out_log thief)
echo "$out" | sed 's/^/  thief| /'
for s in "${specs[@]}"; do
	case $s in
	::,$P,1) ;;	# IPv6 only: not the IPv4 owner's address
	*) assert_contains "$out" "$s err EADDRINUSE" "$s refused" ;;
	esac
done
assert_contains "$(err_log thief)" "belongs to app victim" "thief's error log names the owner"

check "the owner answers every request"
got=$(answers "$P" 60)
assert_eq "$(echo "$got" | grep -c "^$vpid\$")" 60 "answers from victim pid $vpid"

check "after clm stop thief, the owner still answers every request"
capture clm stop thief
assert_eq "$RC" 0 "clm stop thief"
got=$(answers "$P" 30)
assert_eq "$(echo "$got" | grep -c "^$vpid\$")" 30 "answers from victim"

check "two apps on one port: the second clm start fails, naming the owner"
S=$(free_port)
PORT=$S capture clm start "$SEC_FIX/http_pid.py" --name blue
assert_eq "$RC" 0 "clm start blue"
PORT=$S capture clm start "$SEC_FIX/http_pid.py" --name green --max-restarts 2
show_capture
assert_eq "$RC" 1 "clm start green exit status"
assert_contains "$ERR" "belongs to app blue" "clm start green names the owner"
capture clm delete green

check "an address a process outside clm listens on (SO_REUSEPORT, root) is refused"
Q=$(free_port)
"$PY" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("listening", flush=True)
time.sleep(120)' "$Q" >"$TEST_TMP/outside.log" 2>&1 &
outside=$!
track_pid "$outside"
wait_until 10 grep -q listening "$TEST_TMP/outside.log"
capture clm start "$SEC_FIX/sec_binds.py" --name insider -- "127.0.0.1,$Q,0"
wait_until 20 out_has insider "^done"
assert_contains "$(out_log insider)" "127.0.0.1,$Q,0 err EADDRINUSE" "insider refused"
assert_contains "$(err_log insider)" "another process" "insider's error log says why"
kill "$outside"
capture clm delete insider

check "a nobody app's socket is owned by nobody (SO_REUSEPORT groups per user)"
R=$(free_port)
capture clm start "$SEC_FIX/sec_binds.py" --name mine --user nobody -- "127.0.0.1,$R,0"
wait_until 20 out_has mine "^done"
assert_contains "$(out_log mine)" "127.0.0.1,$R,0 ok" "nobody got a free port"
hex=$(printf '%04X' "$R")
uid=$(awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { print $8; exit }' /proc/net/tcp)
assert_eq "$uid" "$(id -u nobody)" "owner of the listening socket on $R"
capture clm delete mine

check "privileged ports: refused to a nobody app that asks, given by --listen"
priv=$(free_priv_port)
capture clm start "$SEC_FIX/sec_binds.py" --name lowly --user nobody -- \
    "127.0.0.1,$priv,0" "0.0.0.0,$priv,0" "::,$priv,0"
wait_until 20 out_has lowly "^done"
out=$(out_log lowly)
echo "$out" | sed 's/^/  lowly| /'
assert_contains "$out" "done 0" "no privileged socket for a nobody app"
assert_contains "$(err_log lowly)" "privileged" "its error log says why"
capture clm delete lowly
capture clm start "$SEC_FIX/sec_binds.py" --name granted --user nobody \
    --listen "127.0.0.1:$priv" -- "127.0.0.1,$priv,0"
show_capture
wait_until 20 out_has granted "^done"
assert_contains "$(out_log granted)" "127.0.0.1,$priv,0 ok" "the operator's --listen grants it"
capture clm delete granted

check "1,300 BINDs: at most 64 addresses, clmd's fds stay bounded"
base=$((20000 + RANDOM % 20000))
many=()
for ((i = 0; i < 1300; i++)); do many+=("127.0.0.1,$((base + i)),0"); done
capture clm start "$SEC_FIX/sec_binds.py" --name greedy --user nobody -- "${many[@]}"
wait_until 60 out_has greedy "^done"
n=$(out_log greedy | grep -c " ok$")
note "greedy got $n sockets"
assert_lt "$n" 65 "sockets of one app"
assert_contains "$(out_log greedy)" "err EMFILE" "the 65th is refused"
dpid=$(daemon_pid)
nfd=$(ls /proc/"$dpid"/fd | wc -l)
note "clmd has $nfd fds"
assert_lt "$nfd" 200 "clmd's fds"
assert_lt "$(grep -c 'greedy' "$CLM_HOME/clmd.log")" 40 "clmd.log lines about greedy (rate-limited)"
capture clm delete greedy
sec_done
