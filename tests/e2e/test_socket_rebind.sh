#!/bin/bash
# An app that binds, listens, closes its socket and binds the address again
# gets the shared socket again and serves; the closed fd number, reused by
# a pipe, behaves as that pipe (the preload forgot it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

sock_start rebind rb
for id in $(seq 0 $((WANT - 1))); do
	assert_eq "$(info_of rb "$id" rebind)" ok "worker $id: bind after close"
	assert_eq "$(info_of rb "$id" reused_fd_nonblock)" True,True \
	    "worker $id: the fd number reused by a pipe: F_GETFL, fdinfo"
done
served_clean "$SOCK_PORT" 2 "after close and bind again"
no_preload_errors rb
