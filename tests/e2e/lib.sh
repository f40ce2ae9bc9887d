# Sourced by every tests/e2e/test_*.sh.
#
# Gives the test a private CLM_HOME under a short temp dir, puts
# $CLM_BIN_DIR first on PATH, and on exit: runs `clm kill`, fails the test
# if anything it started is still alive (daemon, workers, grandchildren),
# kills what is left and removes the temp dir.
#
# CLM_BIN_DIR (the build dir with clm and clmd) and CLM_SRC_DIR (the repo
# root) come from ctest; by hand they default to /work/main/build and the
# repo this file is in:  CLM_BIN_DIR=/tmp/build bash tests/e2e/test_kill.sh

set -u
set -o pipefail

CLM_SRC_DIR=${CLM_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CLM_BIN_DIR=${CLM_BIN_DIR:-/work/main/build}
CLM_BIN_DIR=$(cd "$CLM_BIN_DIR" 2>/dev/null && pwd || echo "$CLM_BIN_DIR")
FIXTURES=$CLM_SRC_DIR/tests/fixtures
export CLM_SRC_DIR CLM_BIN_DIR FIXTURES
export PATH="$CLM_BIN_DIR:$PATH"
export LC_ALL=C

# python3 for the helpers: the system one when there is one (a pyenv shim
# costs ~70 ms a call, and we poll).
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi

TEST_NAME=$(basename "$0" .sh)

if [ ! -x "$CLM_BIN_DIR/clm" ] || [ ! -x "$CLM_BIN_DIR/clmd" ]; then
	echo "FAIL: $TEST_NAME: no clm/clmd in CLM_BIN_DIR=$CLM_BIN_DIR" >&2
	exit 1
fi

# Socket paths are limited to 108 bytes: keep the temp dir short.
TEST_TMP=$(mktemp -d /tmp/clmt.XXXXXX) || exit 1
PIDS_DIR=$TEST_TMP/pids		# every file here: one pid per line, tracked
mkdir -p "$PIDS_DIR"
CLM_HOMES=()

# new_home: switch to a fresh CLM_HOME (not created yet: the product
# creates it). The first one is made below; tests that need several call it.
new_home() {
	CLM_HOME=$TEST_TMP/h${#CLM_HOMES[@]}
	export CLM_HOME
	CLM_HOMES+=("$CLM_HOME")
}
new_home

# Sanitizer reports (tests/run.sh's ASan/UBSan build) go to files that the
# cleanup checks: a detached clmd's stderr is /dev/null.
SAN_DIR=$TEST_TMP/san
mkdir -p "$SAN_DIR"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SAN_DIR/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$SAN_DIR/ubsan"

# --- output and assertions -------------------------------------------------

check() { echo "check: $*"; }
ok() { echo "  ok: $*"; }
note() { echo "  note: $*"; }

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

assert_eq() {	# assert_eq GOT WANT WHAT
	if [ "$1" != "$2" ]; then
		fail "$3: expected '$2', got '$1'"
	fi
	ok "$3 = '$2'"
}

assert_contains() {	# assert_contains HAYSTACK NEEDLE WHAT
	case "$1" in
	*"$2"*) ok "$3 contains '$2'" ;;
	*) fail "$3: expected it to contain '$2', got: '$1'" ;;
	esac
}

assert_not_contains() {	# assert_not_contains HAYSTACK NEEDLE WHAT
	case "$1" in
	*"$2"*) fail "$3: expected no '$2', got: '$1'" ;;
	*) ok "$3 has no '$2'" ;;
	esac
}

assert_lt() {	# assert_lt A B WHAT: integers, A < B
	if ! [ "$1" -lt "$2" ]; then
		fail "$3: expected < $2, got $1"
	fi
	ok "$3 = $1 (< $2)"
}

assert_ge() {	# assert_ge A B WHAT: integers, A >= B
	if ! [ "$1" -ge "$2" ]; then
		fail "$3: expected >= $2, got $1"
	fi
	ok "$3 = $1 (>= $2)"
}

# now_ms: wall clock in milliseconds, without forking.
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# wait_until DEADLINE_S CMD...: run CMD every 50 ms until it succeeds; fail
# the test naming CMD when DEADLINE_S seconds pass first.
wait_until() {
	local deadline_ms=$(($(now_ms) + ${1%.*} * 1000)) what
	shift
	while :; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if [ "$(now_ms)" -ge "$deadline_ms" ]; then
			what="$*"
			"$@" >/dev/null 2>&1 && return 0	# last chance
			fail "timed out waiting for: $what"
		fi
		sleep 0.05
	done
}

# capture CMD...: run CMD, set OUT (stdout), ERR (stderr) and RC.
capture() {
	local o=$TEST_TMP/.out e=$TEST_TMP/.err
	"$@" >"$o" 2>"$e"
	RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# show_capture: print what capture saw (for the log).
show_capture() {
	echo "  rc=$RC"
	[ -n "$OUT" ] && printf '%s\n' "$OUT" | sed 's/^/  stdout| /'
	[ -n "$ERR" ] && printf '%s\n' "$ERR" | sed 's/^/  stderr| /'
	return 0
}

# --- clm and its JSON ----------------------------------------------------

# Every clm call has a time limit, so a hung CLI fails the test instead of
# hanging ctest.
CLM_CMD_TIMEOUT=${CLM_CMD_TIMEOUT:-30}
clm() {
	timeout -k 5 "$CLM_CMD_TIMEOUT" "$CLM_BIN_DIR/clm" "$@"
}

# jpy EXPR [ARGS...]: read JSON from stdin as d, evaluate the python
# expression EXPR (A = ARGS) and print it: lists one item per line, None as
# null, booleans as true/false. Exit 1 when stdin is not JSON.
jpy() {
	"$PY" -c '
import json, sys
A = sys.argv[2:]
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
r = eval("(" + sys.argv[1] + "\n)")
def s(v):
    if v is None: return "null"
    if v is True: return "true"
    if v is False: return "false"
    if isinstance(v, (dict, list)): return json.dumps(v)
    return str(v)
if isinstance(r, (list, tuple)):
    for v in r: print(s(v))
else:
    print(s(r))
' "$@"
}

# list_json: `clm list --json`; also records every worker pid it sees,
# unless CLM_PIDS_FOREIGN is set (a daemon in another PID namespace: its
# pids mean other processes here).
list_json() {
	local j
	j=$(clm list --json) || return 1
	[ -n "${CLM_PIDS_FOREIGN:-}" ] ||
	    printf '%s\n' "$j" | jpy '[w["pid"] for w in d if w.get("pid")]' \
	    >>"$PIDS_DIR/workers" 2>/dev/null
	printf '%s\n' "$j"
}

# pids_of APP: the running workers' pids of APP, by slot, one per line.
pids_of() {
	list_json | jpy '[w["pid"] for w in sorted(d, key=lambda w: w["id"])
	    if w["name"] == A[0] and w.get("pid")]' "$1"
}

# field_of APP ID KEY: one key of one worker ("" when there is no such one).
field_of() {
	list_json | jpy 'next((w.get(A[2]) for w in d
	    if w["name"] == A[0] and str(w["id"]) == A[1]), "")' "$1" "$2" "$3"
}

status_of() { field_of "$1" "$2" status; }
restarts_of() { field_of "$1" "$2" restarts; }
pid_of() {	# 0 when it has none (the JSON says null)
	local p
	p=$(field_of "$1" "$2" pid)
	[ "$p" = null ] && p=0
	echo "$p"
}

# count_workers APP [STATUS]: how many workers APP has (in STATUS).
count_workers() {
	list_json | jpy 'len([w for w in d if w["name"] == A[0]
	    and (len(A) < 2 or w["status"] == A[1])])' "$@"
}

# all_online APP N: APP has exactly N workers, all online with a pid.
all_online() {
	list_json | jpy 'len([w for w in d if w["name"] == A[0]]) == int(A[1])
	    and all(w["status"] == "online" and w["pid"] > 0
	            for w in d if w["name"] == A[0])' "$1" "$2" | grep -qx true
}

# status_is APP ID STATUS
status_is() { [ "$(status_of "$1" "$2")" = "$3" ]; }

# app_absent APP: APP is not in `clm list`.
app_absent() { [ "$(count_workers "$1")" = 0 ]; }

# daemon_pid: the pid in $CLM_HOME/clmd.pid (first line), or nothing.
daemon_pid() {
	[ -f "$CLM_HOME/clmd.pid" ] && head -n1 "$CLM_HOME/clmd.pid"
}

# apps_file FILE N PREFIX: an app file of N /bin/sleep apps, PREFIX0...,
# one worker each.
apps_file() {
	local i
	for ((i = 0; i < $2; i++)); do
		printf '[%s%d]\nscript = /bin/sleep\nargs = 100000\nlisten_timeout = 0\n' \
		    "$3" "$i"
	done >"$1"
}

# track_pid PID...: check and kill these at exit too.
track_pid() {
	local p
	for p in "$@"; do echo "$p" >>"$PIDS_DIR/tracked"; done
}

# pid_alive PID: PID exists and is not a zombie. (PID 1 of some machines,
# this one included, never reaps orphans: a killed orphan stays a zombie
# there, which is not clm's doing.)
pid_alive() {
	local st
	[ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null || return 1
	st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | awk '{print $1}')
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
pid_dead() { ! pid_alive "$1"; }

# zombies_of PID: the pids of PID's zombie children, one a line.
zombies_of() {
	"$PY" - "$1" <<'EOF'
import os, sys
for p in os.listdir("/proc"):
    try:
        with open(f"/proc/{p}/stat", "rb") as f:
            st = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        continue
    if st[0] == b"Z" and st[1].decode() == sys.argv[1]:
        print(p)
EOF
}

# clmd_pids_for_home [HOME]: pids of clmd processes whose environment has
# CLM_HOME=HOME (default: the current one).
clmd_pids_for_home() {
	"$PY" - "${1:-$CLM_HOME}" <<'EOF'
import os, sys
want = b"CLM_HOME=" + sys.argv[1].encode()
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) == os.getpid():
        continue
    try:
        with open(f"/proc/{p}/comm", "rb") as f:
            comm = f.read().strip()
        with open(f"/proc/{p}/environ", "rb") as f:
            env = f.read().split(b"\0")
        with open(f"/proc/{p}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        continue
    if comm == b"clmd" and want in env and state not in (b"Z", b"X"):
        print(p)
EOF
}

# --- network ---------------------------------------------------------------

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$PY" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# http_get PORT [PATH]: the body of GET http://127.0.0.1:PORT/PATH.
http_get() {
	"$PY" -c '
import sys, urllib.request
url = "http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2])
with urllib.request.urlopen(url, timeout=5) as r:
    sys.stdout.write(r.read().decode())
' "$1" "${2:-/}"
}

# http_status PORT PATH: "CODE BODY" of GET http://127.0.0.1:PORT/PATH, an
# error status too (a probe's 503).
http_status() {
	"$PY" -c '
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1],
            sys.argv[2]), timeout=5) as r:
        print(r.status, r.read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
' "$1" "$2"
}

# --- valgrind --------------------------------------------------------------

# need_valgrind WHAT: exit 0 saying SKIP (loudly: WHAT is NOT checked) when
# valgrind is not installed or clmd is an ASan build (the two do not mix).
need_valgrind() {
	if ! command -v valgrind >/dev/null 2>&1 ||
	    ! command -v vgdb >/dev/null 2>&1; then
		echo "SKIP: $TEST_NAME: valgrind is not installed (apt-get" \
		    "install valgrind); $1 is NOT checked" >&2
		exit 0
	fi
	if nm -D "$CLM_BIN_DIR/clmd" 2>/dev/null | grep -q __asan_init ||
	    ldd "$CLM_BIN_DIR/clmd" 2>/dev/null | grep -q libasan; then
		echo "SKIP: $TEST_NAME: $CLM_BIN_DIR/clmd is an ASan build," \
		    "which valgrind cannot run; $1 is NOT checked" >&2
		exit 0
	fi
}

# vg_term PID: SIGTERM the clmd that runs under valgrind as PID, wait up to
# 120 s for it (fails when it still runs) and set VG_RC to its exit status.
vg_term() {
	local deadline=$(($(now_ms) + 120000))
	kill -TERM "$1"
	while pid_alive "$1" && [ "$(now_ms)" -lt "$deadline" ]; do
		sleep 0.1
	done
	pid_alive "$1" && fail "clmd under valgrind still runs 120 s after SIGTERM"
	wait "$1"
	VG_RC=$?
}

# --- cleanup -----------------------------------------------------------

# _leftovers: one line per process this test left alive: the tracked pids
# that still run with one of our CLM_HOMEs in their environment, and any
# process at all with one of our CLM_HOMEs in its environment.
_leftovers() {
	cat "$PIDS_DIR"/* 2>/dev/null | "$PY" -c '
import os, sys
homes = [b"CLM_HOME=" + h.encode() for h in sys.argv[1:]]
tracked = set()
for line in sys.stdin:
    line = line.strip()
    if line.isdigit() and int(line) > 1:
        tracked.add(int(line))
me = os.getpid()
def info(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            st = f.read().decode(errors="replace")
    except OSError:
        return None
    comm = st[st.index("(") + 1:st.rindex(")")]
    rest = st[st.rindex(")") + 2:].split()
    return comm, rest[0], int(rest[1]), int(rest[2])
def ours(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return None
    return any(h in env for h in homes)
cands = set(tracked)
cands.update(int(p) for p in os.listdir("/proc") if p.isdigit())
cands.discard(me)
cands.discard(os.getppid())
for pid in sorted(cands):
    i = info(pid)
    if i is None or i[1] in ("Z", "X"):
        continue
    o = ours(pid)
    if o or (o is None and pid in tracked):
        print(pid, i[3], i[0], "state=%s ppid=%d" % (i[1], i[2]))
' "${CLM_HOMES[@]}"
}

_cleanup() {
	local rc=$? h left p pg mypg deadline
	set +e
	trap - EXIT
	for h in "${CLM_HOMES[@]}"; do
		[ -d "$h" ] || continue
		if [ -S "$h/clm.sock" ] || [ -f "$h/clmd.pid" ]; then
			CLM_HOME=$h list_json >/dev/null 2>&1
			if [ "$rc" -ne 0 ]; then
				echo "--- diagnostics for CLM_HOME=$h"
				CLM_HOME=$h clm list 2>&1 | sed 's/^/  list| /'
				tail -n 30 "$h/clmd.log" 2>/dev/null |
				    sed 's/^/  clmd.log| /'
			fi
			[ -f "$h/clmd.pid" ] &&
			    head -n1 "$h/clmd.pid" >>"$PIDS_DIR/daemons"
			CLM_HOME=$h CLM_CMD_TIMEOUT=20 clm kill >/dev/null 2>&1
		fi
	done
	# Processes may take a moment to be gone after their SIGKILL.
	deadline=$(($(now_ms) + 5000))
	while :; do
		left=$(_leftovers)
		[ -z "$left" ] && break
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.05
	done
	if [ -n "$left" ]; then
		echo "FAIL: $TEST_NAME: left running after clm kill" \
		    "(pid pgid comm state):" >&2
		printf '%s\n' "$left" | sed 's/^/  /' >&2
		rc=1
		mypg=$(ps -o pgid= -p $$ | tr -d ' ')
		while read -r p pg _; do
			if [ -n "$pg" ] && [ "$pg" -gt 1 ] &&
			    [ "$pg" != "$mypg" ]; then
				kill -KILL -- "-$pg" 2>/dev/null
			fi
			kill -KILL "$p" 2>/dev/null
		done <<<"$left"
	fi
	if [ -n "$(ls -A "$SAN_DIR" 2>/dev/null)" ]; then
		echo "FAIL: $TEST_NAME: sanitizer reports:" >&2
		for h in "$SAN_DIR"/*; do
			echo "--- $(basename "$h")" >&2
			head -n 60 "$h" >&2
		done
		rc=1
	fi
	rm -rf "$TEST_TMP"
	if [ "$rc" -eq 0 ]; then
		echo "PASS: $TEST_NAME"
	else
		echo "FAIL: $TEST_NAME (exit $rc)"
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "$TEST_NAME: CLM_HOME=$CLM_HOME CLM_BIN_DIR=$CLM_BIN_DIR"
