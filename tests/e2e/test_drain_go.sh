#!/bin/bash
# Drain of a static Go net/http server under --listen (no preload: clmd's
# steering and connection counting only; built here with CGO_ENABLED=0):
# reload, scale down, stop of one worker under new connections lose
# nothing; the old worker gets no new connection once it drains.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
. "$(dirname "$0")/compat_lib.sh"

need_cmd go
mkdir -p "$TEST_TMP/go"
cp "$COMPAT/go_server.go" "$TEST_TMP/go/"
check "go build (CGO_ENABLED=0)"
(cd "$TEST_TMP/go" && GOCACHE=$TEST_TMP/go/cache GOPATH=$TEST_TMP/go/path \
    GO111MODULE=off GOFLAGS= CGO_ENABLED=0 go build -o go_server \
    go_server.go) || fail "go build failed"
! readelf -l "$TEST_TMP/go/go_server" | grep -q INTERP ||
    fail "go_server is not static: it has an INTERP program header"
ok "go_server is a static binary"
port=$(free_port)
drain_row go "$port" --keepalive-failures 8 -- --interpreter none \
    "$TEST_TMP/go/go_server" --listen "127.0.0.1:$port"
