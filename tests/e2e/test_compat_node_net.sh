#!/bin/bash
# Compatibility matrix row: Node net.createServer, raw HTTP replies.
# clm-node.js drains HTTP servers; a net server gets the kill signal as it
# is, so a reload may fail a request: the default allowance.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd node
compat_row node-net "$(free_port)" -- "$COMPAT/node_net.js"
