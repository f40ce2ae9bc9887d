#!/bin/bash
# Compatibility matrix row: an app that runs Node's own cluster module (a
# primary and two children) inside each clm worker; replies carry the
# primary's pid first. A reload may fail a request here (1 of ~3,100
# measured), as for the runtimes without a drain: the default allowance.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd node
compat_row node-cluster "$(free_port)" -- "$COMPAT/node_cluster.js"
