#!/bin/bash
# Compatibility matrix row: PHP built-in web server, php -S (Debian php-cli).
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd php
compat_row php "$(free_port)" -- "$COMPAT/php_server.sh"
