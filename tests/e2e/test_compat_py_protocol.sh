#!/bin/bash
# Compatibility matrix row: Python asyncio loop.create_server with a Protocol.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

compat_row py-protocol "$(free_port)" -- --interpreter "$PY" "$COMPAT/py_protocol.py"
