#!/bin/bash
# The control socket speaks one JSON object per line: a request of another
# protocol version, bad JSON, a wrong type or an unknown command each get an
# error reply with a stable code, and the daemon keeps answering.
. "$(dirname "$0")/lib.sh"

check "start an app"
capture clm start "$FIXTURES/sleeper.js" --name p
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online p 1

# ask LINE: send LINE (and a newline) on the socket, print the first reply
# line's ok, error.code and error.message, tab-separated.
ask() {
	"$PY" - "$CLM_HOME/clm.sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while b"\n" not in buf:
    b = s.recv(65536)
    if not b:
        break
    buf += b
r = json.loads(buf.split(b"\n")[0])
e = r.get("error") or {}
print("%s\t%s\t%s" % (json.dumps(r.get("ok")), e.get("code"), e.get("message")))
PY
}

# expect_error LINE CODE: LINE gets ok=false with CODE.
expect_error() {
	local r
	r=$(ask "$1") || fail "no reply to: $1"
	echo "  $1 -> $r"
	assert_eq "$(cut -f1,2 <<<"$r")" "false	$2" "reply to $1"
}

check "a request of another protocol version"
expect_error '{"v":999,"cmd":"list"}' EPROTO
assert_contains "$(ask '{"v":999,"cmd":"list"}')" 999 "the message names the version"

check "bad requests"
expect_error 'this is not json' EBADREQ
expect_error '[1,2,3]' EBADREQ
expect_error '{"v":1}' EBADREQ
expect_error '{"v":"one","cmd":"list"}' EBADREQ
expect_error '{"v":1,"cmd":42}' EBADREQ
expect_error '{"v":1,"cmd":"frobnicate"}' EUNKNOWN
expect_error '{"v":1,"cmd":"stop","target":"nosuch"}' ENOAPP

check "a well-formed request works on the same socket"
r=$(ask '{"v":1,"cmd":"list"}')
assert_eq "$(cut -f1 <<<"$r")" true "reply to list"

check "the daemon is unharmed"
assert_eq "$(count_workers p online)" 1 "p online"
capture clm ping
assert_eq "$RC" 0 "clm ping exit status"
capture clm kill
assert_eq "$RC" 0 "clm kill exit status"

# A fake daemon of protocol version 2 on a fresh CLM_HOME: it answers every
# connection with REPLY. The CLI must say that the versions differ, and not
# misread the reply.
fake_daemon() {
	"$PY" - "$CLM_HOME/clm.sock" "$1" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(16)
while True:
    c, _ = s.accept()
    f = c.makefile("rb")
    f.readline()
    c.sendall(sys.argv[2].encode() + b"\n")
    c.close()
PY
	FAKE=$!
	track_pid "$FAKE"
	wait_until 10 test -S "$CLM_HOME/clm.sock"
}
stop_fake() {
	kill "$FAKE"
	wait "$FAKE" 2>/dev/null
	rm -f "$CLM_HOME/clm.sock"
}

check "a CLI talking to a daemon of another version says so"
new_home
mkdir -m 700 "$CLM_HOME"
fake_daemon '{"v":2,"ok":false,"error":{"code":"EPROTO","message":"protocol version mismatch: client speaks 1, clmd speaks 2"}}'
capture clm list
show_capture
assert_eq "$RC" 1 "clm list exit status"
assert_contains "$ERR" "version" "clm list stderr"
stop_fake

check "a reply of another version that looks fine is not misread"
fake_daemon '{"v":2,"ok":true,"workers":[],"notes":["from the future"]}'
for v in list ping; do
	capture clm "$v"
	show_capture
	assert_eq "$RC" 1 "clm $v exit status"
	assert_contains "$ERR" "version" "clm $v stderr"
	assert_not_contains "$OUT" "from the future" "clm $v stdout"
done
stop_fake
