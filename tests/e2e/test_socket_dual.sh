#!/bin/bash
# An app that binds 0.0.0.0 and :: on one port: with IPV6_V6ONLY the two
# sockets serve IPv4 and IPv6; without it (a dual-stack ::, which the
# kernel alone would refuse with EADDRINUSE) clm hands out both sockets of
# one SO_REUSEPORT group, and both families are served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

have_ipv6_loopback || skip_row "no IPv6 loopback here"

for mode in dual dual_any; do
	sock_start "$mode" "$mode"
	for id in $(seq 0 $((WANT - 1))); do
		assert_eq "$(info_of "$mode" "$id" v6_bind)" ok \
		    "worker $id: bind of :: after 0.0.0.0 ($mode)"
	done
	served_clean "$SOCK_PORT" 2 "$mode, IPv4"
	served_clean "$SOCK_PORT" 2 "$mode, IPv6" ::1
	no_preload_errors "$mode"
	clm delete "$mode" >/dev/null || fail "clm delete $mode"
done
