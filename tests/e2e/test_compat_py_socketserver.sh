#!/bin/bash
# Compatibility matrix row: Python socketserver.TCPServer, one request at a time, blocking accept().
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

compat_row py-socketserver "$(free_port)" -- --interpreter "$PY" "$COMPAT/py_socketserver.py"
