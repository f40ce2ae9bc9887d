#!/bin/bash
# SOCK_CLOEXEC: the app's socket keeps its close-on-exec flag through the
# preload's dup3 (and can clear it); an accepted socket has the flags the
# app asked accept4() for (Python: SOCK_CLOEXEC, blocking).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

sock_start cloexec ce
for id in $(seq 0 $((WANT - 1))); do
	assert_eq "$(info_of ce "$id" cloexec)" True \
	    "worker $id: FD_CLOEXEC after bind of a SOCK_CLOEXEC socket"
	assert_eq "$(info_of ce "$id" cloexec_cleared)" False \
	    "worker $id: FD_CLOEXEC after the app cleared it"
done
served_clean "$SOCK_PORT" 1 "SOCK_CLOEXEC socket"
for id in $(seq 0 $((WANT - 1))); do
	assert_eq "$(info_of ce "$id" accepted_cloexec)" \
	    "True accepted_nonblock=False" \
	    "worker $id: an accepted socket's FD_CLOEXEC and O_NONBLOCK"
done
no_preload_errors ce
