#!/bin/bash
# An app that calls listen() twice to change its backlog: both calls
# succeed (the shared socket's backlog is clmd's), the worker is online
# once, and it serves.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

sock_start listen2 l2
for id in $(seq 0 $((WANT - 1))); do
	assert_eq "$(info_of l2 "$id" listen2)" ok "worker $id: listen(16) then listen(256)"
	assert_eq "$(info_of l2 "$id" acceptconn)" 1 "worker $id: SO_ACCEPTCONN"
	assert_eq "$(restarts_of l2 "$id")" 0 "worker $id: restarts"
done
served_clean "$SOCK_PORT" 2 "after two listen() calls"
assert_eq "$(grep -c 'l2:0: pid .* online' "$CLM_HOME/clmd.log")" 1 \
    "online lines of l2:0 in clmd.log"
no_preload_errors l2
