#!/bin/bash
# Compatibility matrix row: Python selectors by hand, non-blocking after bind, accept until EAGAIN.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

compat_row py-selectors "$(free_port)" -- --interpreter "$PY" "$COMPAT/py_selectors.py"
