#!/bin/bash
# Drain of a Node http server: reload, scale down, stop of one worker under
# new connections lose nothing; the old worker gets no new connection once
# it drains; a reload under keep-alive load (drain_row, compat_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd node
drain_row node-http "$(free_port)" -- \
    "$FIXTURES/http_pid.js"
