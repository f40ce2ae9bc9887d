#!/bin/bash
# An app that sets SO_REUSEPORT on its socket itself: it gets the shared
# socket like any other, sees its own SO_REUSEPORT (and SO_ACCEPTCONN 0
# before listen(), 1 after), and clearing SO_REUSEPORT changes only what it
# sees, not clmd's SO_REUSEPORT group: both workers keep serving.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

sock_start reuseport r
for id in $(seq 0 $((WANT - 1))); do
	check "worker $id: what the app saw"
	assert_eq "$(info_of r "$id" reuseport_before_listen)" 1 \
	    "SO_REUSEPORT after bind"
	assert_eq "$(info_of r "$id" acceptconn_before_listen)" 0 \
	    "SO_ACCEPTCONN before listen"
	assert_eq "$(info_of r "$id" reuseport)" 1 "SO_REUSEPORT after listen"
	assert_eq "$(info_of r "$id" acceptconn)" 1 "SO_ACCEPTCONN after listen"
	assert_eq "$(info_of r "$id" type)" True "SO_TYPE is SOCK_STREAM"
	assert_eq "$(info_of r "$id" reuseport_cleared)" 0 \
	    "SO_REUSEPORT after the app cleared it"
	assert_eq "$(info_of r "$id" sockname)" "127.0.0.1:$SOCK_PORT" \
	    "getsockname"
done
check "both workers serve; a reload still binds the slot sockets"
served_clean "$SOCK_PORT" 2 "after the app cleared SO_REUSEPORT"
capture clm reload r
show_capture
assert_eq "$RC" 0 "clm reload exit status"
for id in $(seq 0 $((WANT - 1))); do
	wait_until 20 grep -q '^info ready=1' "$CLM_HOME/logs/r-$id-out.log"
done
expect_pids_answer "$SOCK_PORT" "$WANT" "after the reload"
no_preload_errors r
