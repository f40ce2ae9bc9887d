#!/bin/bash
# An unmodified Python ThreadingHTTPServer(('127.0.0.1', PORT)) run with
# -i 2 serves its port from two workers, without EADDRINUSE.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

[ "$(nproc)" -ge 2 ] || note "one logical core: -i 2 is clamped to 1"
want=$(( $(nproc) < 2 ? 1 : 2 ))

port=$(free_port)
check "clm start http_pid.py -i 2 (127.0.0.1:$port)"
PORT=$port capture clm start "$FIXTURES/http_pid.py" -i 2 --name py
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online py "$want"
ok "py: $want workers online"
listed=$(pids_line py)
echo "  listed pids: $listed"

check "127.0.0.1:$port answers from $want distinct pids, the listed ones"
expect_pids_answer "$port" "$want" "127.0.0.1"
same_set "$SEEN_PIDS" "$listed" ||
    fail "pids that answered [$SEEN_PIDS] are not the listed [$listed]"
ok "the answering pids are the listed workers"

check "no EADDRINUSE, every worker still online with its first pid"
no_eaddrinuse py
assert_eq "$(pids_line py)" "$listed" "pids after the requests"
for id in $(seq 0 $((want - 1))); do
	assert_eq "$(status_of py "$id")" online "status of py/$id"
	assert_eq "$(restarts_of py "$id")" 0 "restarts of py/$id"
done
for f in "$CLM_HOME"/logs/py-*-err.log; do
	[ -s "$f" ] && { sed 's/^/  err| /' "$f"; fail "$f is not empty"; }
done
ok "no worker wrote to stderr"
