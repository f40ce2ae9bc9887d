#!/bin/bash
# Who may control the daemon (issue 7): independently of file modes, clmd
# checks each client's credentials (SO_PEERCRED). With $CLM_HOME and the
# socket opened up to everyone (0777), another uid connects but gets an
# EPERM error and is disconnected, whatever it asks; clmd.log names the
# refused uid and pid; root is still served. With socket_group set in
# clm.ini, the group's members are served (socket 0660, that group) and
# other uids are still refused.
#
# Needs root (to be another uid); skipped otherwise.
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: test_peercred: needs root (to run a client as another uid)"
	exit 0
fi
. "$(dirname "$0")/lib.sh"
# What nobody runs (clm, the client below) must be readable by nobody: the
# clone may be in a 0700 folder such as /root/clm. sec_lib.sh copies clm's
# binaries to the test's temp dir (755) and puts them first on PATH.
. "$(dirname "$0")/sec_lib.sh"

# as_user USER GROUP CMD...: run CMD as USER:GROUP without supplementary
# groups (setpriv; su as a fallback, for a user with a passwd entry only).
if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
	AS=setpriv
elif su -s /bin/sh nobody -c true 2>/dev/null; then
	AS=su
else
	fail "cannot run a command as nobody (neither setpriv nor su works)"
fi
note "running clients as another uid with $AS"
as_user() {
	local u=$1 g=$2
	shift 2
	if [ "$AS" = setpriv ]; then
		setpriv --reuid="$u" --regid="$g" --clear-groups -- "$@"
	else
		su -s /bin/sh "$u" -c "$(printf '%q ' "$@")"
	fi
}

# The client: connect, send one line (or nothing), read until EOF; print
# one JSON object: pid, uid, connect, the reply lines, how it ended.
CLIENT=$TEST_TMP/client.py
cat >"$CLIENT" <<'PY'
import json, os, socket, sys, time
out = {"pid": os.getpid(), "uid": os.getuid(), "replies": []}
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as e:
    out["connect"] = e.__class__.__name__
    print(json.dumps(out))
    sys.exit(0)
out["connect"] = "ok"
s.settimeout(float(sys.argv[3]) if len(sys.argv) > 3 else 5)
if sys.argv[2]:
    try:
        s.sendall(sys.argv[2].encode() + b"\n")
    except OSError as e:
        out["send"] = e.__class__.__name__
buf = b""
t0 = time.monotonic()
try:
    while True:
        b = s.recv(65536)
        if not b:
            out["end"] = "closed"
            break
        buf += b
except socket.timeout:
    out["end"] = "open"
except ConnectionResetError:
    # Closed by the daemon with our request unread: the kernel reports
    # a reset, after the reply.
    out["end"] = "closed"
except OSError as e:
    out["end"] = e.__class__.__name__
out["ms"] = int((time.monotonic() - t0) * 1000)
for line in buf.split(b"\n"):
    if line:
        try:
            out["replies"].append(json.loads(line))
        except ValueError:
            out["replies"].append({"raw": line.decode(errors="replace")})
print(json.dumps(out))
PY
chmod 0644 "$CLIENT"

# ask_as USER GROUP LINE [TIMEOUT]: run the client as USER:GROUP; sets
# REPLY_JSON.
ask_as() {
	REPLY_JSON=$(as_user "$1" "$2" "$PY" "$CLIENT" "$CLM_HOME/clm.sock" \
	    "$3" "${4:-5}" 2>&1)
	echo "  $1 sends ${3:-(nothing)}: $REPLY_JSON"
}
reply_field() { printf '%s\n' "$REPLY_JSON" | jpy "$1"; }

# expect_refused USER GROUP LINE: EPERM reply, then the daemon closes the
# connection; clmd.log names the uid and the client's pid.
expect_refused() {
	local uid pid
	ask_as "$@"
	assert_eq "$(reply_field 'd["connect"]')" ok "$1: connect"
	assert_eq "$(reply_field 'len(d["replies"])')" 1 "$1: number of replies"
	assert_eq "$(reply_field 'd["replies"][0].get("ok")')" false "$1: ok"
	assert_eq "$(reply_field 'd["replies"][0]["error"]["code"]')" EPERM \
	    "$1: error code"
	assert_eq "$(reply_field 'd["end"]')" closed \
	    "$1: the daemon closed the connection"
	uid=$(reply_field 'd["uid"]')
	pid=$(reply_field 'd["pid"]')
	wait_until 5 grep -q "refused a client: uid $uid, pid $pid\$" \
	    "$CLM_HOME/clmd.log"
	ok "clmd.log: $(grep "uid $uid, pid $pid\$" "$CLM_HOME/clmd.log")"
}

# root_served: root's clm list works, app p online with the same pid.
root_served() {
	local t0 ms
	t0=$(now_ms)
	capture clm list --json
	ms=$(($(now_ms) - t0))
	assert_eq "$RC" 0 "root: clm list exit status"
	assert_lt "$ms" 1000 "root: clm list milliseconds"
	assert_eq "$(printf '%s\n' "$OUT" | jpy '" ".join("%s:%s" % (w["pid"],
	    w["status"]) for w in d if w["name"] == "p")')" "$APID:online" \
	    "root: app p"
}

check "a daemon with an app, CLM_HOME and socket opened up (0777)"
capture clm start "$FIXTURES/sleeper.js" --name p
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online p 1
APID=$(pid_of p 0)
DPID=$(daemon_pid)
track_pid "$APID" "$DPID"
chmod 0777 "$CLM_HOME" "$CLM_HOME/clm.sock"
ls -ld "$CLM_HOME" "$CLM_HOME/clm.sock" | sed 's/^/  /'

check "nobody is refused, whatever it asks"
expect_refused nobody nogroup '{"v":1,"cmd":"list"}'
expect_refused nobody nogroup '{"v":1,"cmd":"kill"}'
expect_refused nobody nogroup '{"v":1,"cmd":"stop","target":"all"}'
expect_refused nobody nogroup 'not even json'
expect_refused nobody nogroup ''
root_served

if [ "$AS" = setpriv ]; then
	check "a uid without a passwd entry is refused too"
	expect_refused 54321 54321 '{"v":1,"cmd":"ping"}'
fi

check "200 connections of nobody in a row: all refused, root still served"
out=$(as_user nobody nogroup "$PY" - "$CLM_HOME/clm.sock" <<'PY'
import json, socket, sys
codes = {}
for _ in range(200):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    buf = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            buf += b
    except OSError:
        pass
    s.close()
    try:
        c = json.loads(buf.split(b"\n")[0])["error"]["code"]
    except (ValueError, KeyError, TypeError):
        c = "bad: %r" % buf[:80]
    codes[c] = codes.get(c, 0) + 1
print(json.dumps(codes, sort_keys=True))
PY
)
assert_eq "$out" '{"EPERM": 200}' "codes of 200 refused connections"
root_served

check "the clm CLI run by nobody fails and starts no daemon"
for verb in "list" "ping" "kill" "start $SEC_FIX/sleeper.js --name q"; do
	# shellcheck disable=SC2086
	capture as_user nobody nogroup env CLM_HOME="$CLM_HOME" \
	    PATH="$SEC_BIN:/usr/bin:/bin" "$SEC_BIN/clm" $verb
	echo "  nobody: clm $verb -> exit $RC: $ERR"
	assert_eq "$RC" 1 "nobody: clm ${verb%% *} exit status"
	[ -n "$ERR" ] || fail "nobody: clm ${verb%% *}: no error message"
done
assert_eq "$(clmd_pids_for_home | wc -l)" 1 "clmd processes for CLM_HOME"
pid_alive "$DPID" || fail "clmd (pid $DPID) is gone"
root_served
capture clm ping
assert_eq "$RC" 0 "root: clm ping exit status"

check "socket_group = nogroup: the group is served, other uids are not"
new_home
mkdir -m 0700 "$CLM_HOME"
printf '[daemon]\nsocket_group = nogroup\n' >"$CLM_HOME/clm.ini"
capture clm start "$FIXTURES/sleeper.js" --name g
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online g 1
track_pid "$(daemon_pid)" "$(pid_of g 0)"
assert_eq "$(stat -c '%a %G' "$CLM_HOME/clm.sock")" "660 nogroup" \
    "socket mode and group"
chmod 0711 "$CLM_HOME"	# let the group reach the socket
ask_as nobody nogroup '{"v":1,"cmd":"list"}' 2
assert_eq "$(reply_field 'd["replies"][0].get("ok")')" true "nobody: ok"
assert_eq "$(reply_field '[w["name"] for w in d["replies"][0]["workers"]]')" \
    g "nobody: the apps it sees"
if [ "$AS" = setpriv ]; then
	ask_as 54321 54321 '{"v":1,"cmd":"list"}'
	assert_eq "$(reply_field 'd["connect"]')" PermissionError \
	    "uid 54321, socket 0660: connect"
	chmod 0666 "$CLM_HOME/clm.sock"
	expect_refused 54321 54321 '{"v":1,"cmd":"list"}'
fi
capture clm list
assert_eq "$RC" 0 "root: clm list exit status"
