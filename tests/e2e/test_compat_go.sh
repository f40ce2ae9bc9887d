#!/bin/bash
# Compatibility matrix row: a static Go net/http server (Debian golang-go,
# CGO_ENABLED=0, built in the test) through --listen: no preload can reach
# a static binary, so clm binds up front and passes the socket as
# LISTEN_FDS.
# (compat_row in compat_lib.sh: -i 2, both answer, reload, SIGKILL).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd go
mkdir -p "$TEST_TMP/go"
cp "$COMPAT/go_server.go" "$TEST_TMP/go/"
check "go build (CGO_ENABLED=0)"
t0=$(now_ms)
(cd "$TEST_TMP/go" && GOCACHE=$TEST_TMP/go/cache GOPATH=$TEST_TMP/go/path \
    GO111MODULE=off GOFLAGS= CGO_ENABLED=0 go build -o go_server \
    go_server.go) || fail "go build failed"
echo "  built in $(($(now_ms) - t0)) ms"
# A dynamic executable asks for its loader (an INTERP program header).
! readelf -l "$TEST_TMP/go/go_server" | grep -q INTERP ||
    fail "go_server is not static: it has an INTERP program header"
ok "go_server is a static binary"
port=$(free_port)
compat_row go "$port" -- --interpreter none "$TEST_TMP/go/go_server" \
    --listen "127.0.0.1:$port"
