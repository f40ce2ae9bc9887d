#!/bin/bash
# Compatibility matrix row: Node http.createServer(h).listen(PORT), unmodified.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd node
compat_row node-http "$(free_port)" --reload-failures 0 -- "$FIXTURES/http_pid.js"
