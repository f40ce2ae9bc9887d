#!/bin/bash
# An unmodified Node app (http.createServer().listen(PORT), no host: Node's
# dual-stack '::') run with -i 2 serves its port from two workers, on
# 127.0.0.1 and on [::1] when the machine has IPv6 loopback, without
# EADDRINUSE.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

[ "$(nproc)" -ge 2 ] || note "one logical core: -i 2 is clamped to 1"
want=$(( $(nproc) < 2 ? 1 : 2 ))

port=$(free_port)
check "clm start http_pid.js -i 2 (listen($port), no host)"
PORT=$port capture clm start "$FIXTURES/http_pid.js" -i 2 --name web
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online web "$want"
ok "web: $want workers online"
listed=$(pids_line web)
echo "  listed pids: $listed"

check "127.0.0.1:$port answers from $want distinct pids, the listed ones"
expect_pids_answer "$port" "$want" "127.0.0.1"
same_set "$SEEN_PIDS" "$listed" ||
    fail "pids that answered [$SEEN_PIDS] are not the listed [$listed]"
ok "the answering pids are the listed workers"

if have_ipv6_loopback; then
	check "[::1]:$port answers too (dual-stack '::' socket)"
	expect_pids_answer "$port" "$want" "::1" ::1
	same_set "$SEEN_PIDS" "$listed" ||
	    fail "pids on [::1] [$SEEN_PIDS] are not the listed [$listed]"
	ok "[::1] served by the listed workers"
else
	note "no IPv6 loopback here: [::1] not checked"
fi

check "no EADDRINUSE, every worker still online"
no_eaddrinuse web
for id in $(seq 0 $((want - 1))); do
	assert_eq "$(status_of web "$id")" online "status of web/$id"
done

check "the workers' err logs are empty"
for f in "$CLM_HOME"/logs/web-*-err.log; do
	[ -s "$f" ] && { sed 's/^/  err| /' "$f"; fail "$f is not empty"; }
done
ok "no worker wrote to stderr"
