#!/bin/bash
# Compatibility matrix row: Python http.server.ThreadingHTTPServer.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

compat_row py-http "$(free_port)" -- --interpreter "$PY" "$FIXTURES/http_pid.py"
