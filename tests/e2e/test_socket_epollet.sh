#!/bin/bash
# An app that waits with epoll, edge-triggered, and accepts until EAGAIN:
# every accept() that finds the queue empty returns EAGAIN at once (no hang)
# and no connection is left waiting for a wake-up that never comes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

sock_start epollet et
served_clean "$SOCK_PORT" 3 "epoll edge-triggered"
load_for "$SOCK_PORT" 2 16
assert_eq "$LOAD_REFUSED/$LOAD_FAILED" 0/0 "16 connections at once: refused/failed"
no_preload_errors et
