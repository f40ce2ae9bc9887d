#!/bin/bash
# Drain of a Python http.server app (ThreadingHTTPServer): reload, scale
# down, stop of one worker under new connections lose nothing; the old
# worker gets no new connection once it drains (drain_row, compat_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

drain_row py-http "$(free_port)" -- \
    --interpreter "$PY" "$FIXTURES/http_pid.py"

# The same server speaking HTTP/1.1 keep-alive: while its worker drains,
# the preload makes each reply say Connection: close, so the client opens
# its next request elsewhere and nothing is cut: 0 failed.
HTTP11=1 keepalive_row py-http11 "$(free_port)" 0 -- --interpreter "$PY" \
    "$FIXTURES/http_pid.py"
