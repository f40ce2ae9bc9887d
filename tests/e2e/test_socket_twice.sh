#!/bin/bash
# An app that binds the same address twice in one process: without
# SO_REUSEPORT the second bind() is EADDRINUSE, as without clm, with a line
# saying why in the worker's error log (and the app serves on the first);
# with SO_REUSEPORT on both, both sockets are bound and serve.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

sock_start twice t
for id in $(seq 0 $((WANT - 1))); do
	assert_eq "$(info_of t "$id" second_bind)" EADDRINUSE \
	    "worker $id: second bind() without SO_REUSEPORT"
	assert_contains "$(cat "$CLM_HOME/logs/t-$id-err.log")" \
	    "this process holds that address already on fd" \
	    "worker $id's error log"
done
served_clean "$SOCK_PORT" 2 "one socket, after the refused second bind"
clm delete t >/dev/null || fail "clm delete t"

sock_start twice_reuseport tr
for id in $(seq 0 $((WANT - 1))); do
	assert_eq "$(info_of tr "$id" second_bind)" ok \
	    "worker $id: second bind() with SO_REUSEPORT on both"
done
served_clean "$SOCK_PORT" 2 "two sockets with SO_REUSEPORT"
no_preload_errors tr
