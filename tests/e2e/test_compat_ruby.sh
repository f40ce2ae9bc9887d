#!/bin/bash
# Compatibility matrix row: Ruby TCPServer (Debian ruby).
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd ruby
compat_row ruby "$(free_port)" -- --interpreter "$(command -v ruby)" "$COMPAT/rb_tcpserver.rb"
