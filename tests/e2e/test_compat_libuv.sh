#!/bin/bash
# Compatibility matrix row: a C server on libuv (Debian libuv1-dev), built
# in the test.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd cc pkg-config
pkg-config --exists libuv || skip_row "libuv1-dev is not installed here"
# shellcheck disable=SC2046
cc -O2 -o "$TEST_TMP/uv_server" "$COMPAT/uv_server.c" \
    $(pkg-config --cflags --libs libuv) || fail "cannot build uv_server.c"
compat_row libuv "$(free_port)" -- --interpreter none "$TEST_TMP/uv_server"
