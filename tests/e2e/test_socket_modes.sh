#!/bin/bash
# The app's blocking mode, whatever way it sets it, is its own: fcntl
# F_SETFL, ioctl FIONBIO, a dup; F_GETFL reports it, while the shared
# socket itself (seen in /proc/PID/fdinfo) stays non-blocking for clmd and
# the other workers; socket(SOCK_NONBLOCK) is non-blocking from the start.
# Non-blocking: accept() says EAGAIN at once; blocking
# with SO_RCVTIMEO: EAGAIN after the timeout; blocking: it waits, and
# serves. getsockname and SO_ACCEPTCONN answer as without clm.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

sock_start modes m
for id in $(seq 0 $((WANT - 1))); do
	check "worker $id: what the app saw"
	assert_eq "$(info_of m "$id" seen)" bl,nb,bl,nb,bl \
	    "F_GETFL after bind, FIONBIO 1, F_SETFL ~O_NONBLOCK, F_SETFL O_NONBLOCK, FIONBIO 0"
	assert_eq "$(info_of m "$id" real)" nb,nb,nb,nb \
	    "the shared socket's own O_NONBLOCK (fdinfo) all along"
	assert_eq "$(info_of m "$id" dup_shares_mode)" True \
	    "FIONBIO through a dup shows through the original"
	assert_eq "$(info_of m "$id" dup2_dup3_mode)" bl,bl \
	    "F_GETFL through a dup2 and a dup3 of the blocking socket"
	assert_eq "$(info_of m "$id" nb_accept)" EAGAIN \
	    "accept() in non-blocking mode, nothing queued"
	assert_eq "$(info_of m "$id" rcvtimeo_accept)" EAGAIN \
	    "blocking accept() with SO_RCVTIMEO 200 ms, nothing queued"
	assert_eq "$(info_of m "$id" acceptconn)" 1 "SO_ACCEPTCONN after listen"
	assert_eq "$(info_of m "$id" sockname)" "127.0.0.1:$SOCK_PORT" \
	    "getsockname"
done
check "the blocking accept() loops serve, from both workers"
served_clean "$SOCK_PORT" 2 "blocking accept"
no_preload_errors m
clm delete m >/dev/null || fail "clm delete m"

sock_start sock_nonblock nb
for id in $(seq 0 $((WANT - 1))); do
	assert_eq "$(info_of nb "$id" nonblock_after_bind)" True \
	    "worker $id: F_GETFL O_NONBLOCK after bind of a SOCK_NONBLOCK socket"
	assert_eq "$(info_of nb "$id" accept)" EAGAIN \
	    "worker $id: accept() with nothing queued"
done
served_clean "$SOCK_PORT" 2 "SOCK_NONBLOCK socket, selector loop"
no_preload_errors nb
