#!/bin/bash
# Drain of a Ruby TCPServer app: reload, scale down, stop of one worker under
# new connections lose nothing; the old worker gets no new connection once
# it drains; a reload under keep-alive load (drain_row, compat_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd ruby
drain_row ruby "$(free_port)" -- \
    --interpreter "$(command -v ruby)" "$COMPAT/rb_tcpserver.rb"
