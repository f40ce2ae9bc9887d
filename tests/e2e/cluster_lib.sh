# Helpers for the cluster-mode tests (shared sockets, reload, scale, load).
# Sourced after lib.sh:
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/cluster_lib.sh"

# http_get_at HOST PORT [PATH]: the body of GET http://HOST:PORT/PATH, on a
# new connection. HOST may be an IPv6 address without brackets.
http_get_at() {
	"$PY" -c '
import sys, urllib.request
h = sys.argv[1]
if ":" in h:
    h = "[" + h + "]"
url = "http://%s:%s%s" % (h, sys.argv[2], sys.argv[3])
with urllib.request.urlopen(url, timeout=5) as r:
    if r.status != 200:
        sys.exit(1)
    sys.stdout.write(r.read().decode())
' "$1" "$2" "${3:-/}"
}

# answers PORT [HOST]: one GET answers 200 with a pid.
answers() {
	local b
	b=$(http_get_at "${2:-127.0.0.1}" "$1") || return 1
	[[ $b =~ ^[0-9]+$ ]]
}

# pids_seen PORT WANT DEADLINE_S [HOST]: GET on new connections, as fast as
# one client can, until WANT distinct pids answered or DEADLINE_S passed.
# Prints the distinct pids (sorted, one a line), then "requests=N
# errors=M" on the last line. Exit 0 when WANT were seen.
pids_seen() {
	"$PY" - "$1" "$2" "$3" "${4:-127.0.0.1}" <<'EOF'
import socket, sys, time
port, want, deadline = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
host = sys.argv[4]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
req = ("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").encode()
seen, n, errs = {}, 0, 0
end = time.monotonic() + deadline
while time.monotonic() < end and len(seen) < want:
    n += 1
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((host, port))
        s.sendall(req)
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.") or b" 200 " not in head[:16]:
            errs += 1
            continue
        pid = (body.split() or [b""])[0].decode()	# the first line
        if pid.isdigit():
            seen[pid] = seen.get(pid, 0) + 1
        else:
            errs += 1
    except OSError:
        errs += 1
        time.sleep(0.02)
for p in sorted(seen, key=int):
    print(p)
print("requests=%d errors=%d spread=%s" % (n, errs,
      "/".join(str(seen[p]) for p in sorted(seen, key=int))))
sys.exit(0 if len(seen) >= want else 1)
EOF
}

# expect_pids_answer PORT N WHAT [HOST]: fail unless N distinct pids answer
# on PORT within 30 s; set SEEN_PIDS to them (space separated).
expect_pids_answer() {
	local out rc
	out=$(pids_seen "$1" "$2" 30 "${4:-127.0.0.1}")
	rc=$?
	SEEN_PIDS=$(printf '%s\n' "$out" | grep -E '^[0-9]+$' | tr '\n' ' ')
	SEEN_PIDS=${SEEN_PIDS% }
	echo "  $3: pids [$SEEN_PIDS], $(printf '%s\n' "$out" | tail -n1)"
	[ "$rc" = 0 ] || fail "$3: expected $2 distinct pids to answer on" \
	    "${4:-127.0.0.1}:$1, saw [$SEEN_PIDS]"
	ok "$3: $2 distinct pids answered"
}

# same_set "A B" "B A": the two space separated lists hold the same items.
same_set() {
	[ "$(printf '%s\n' $1 | sort -u)" = "$(printf '%s\n' $2 | sort -u)" ]
}

# disjoint "A B" "C D": no item in both lists.
disjoint() {
	local x y
	for x in $1; do
		for y in $2; do
			[ "$x" = "$y" ] && return 1
		done
	done
	return 0
}

# have_ipv6_loopback: ::1 can be bound here.
have_ipv6_loopback() {
	"$PY" -c '
import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))
s.close()' 2>/dev/null
}

# tcp_connects PORT [HOST]: a TCP connect() to HOST:PORT succeeds within
# 2 s (the kernel accepted it into a listening socket's backlog).
tcp_connects() {
	"$PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[2], int(sys.argv[1])), timeout=2)
s.close()' "$1" "${2:-127.0.0.1}" 2>/dev/null
}

# tcp_refused PORT [HOST]: connect() to HOST:PORT is refused.
tcp_refused() {
	"$PY" -c '
import socket, sys
try:
    s = socket.create_connection((sys.argv[2], int(sys.argv[1])), timeout=2)
except ConnectionRefusedError:
    sys.exit(0)
s.close()
sys.exit(1)' "$1" "${2:-127.0.0.1}" 2>/dev/null
}

# new_pid_online APP ID OLDPID: slot ID runs a pid other than OLDPID, online.
new_pid_online() {
	local p
	p=$(pid_of "$1" "$2")
	[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$3" ] &&
	    status_is "$1" "$2" online
}

# --- wrk -------------------------------------------------------------------

# wrk_start OUTFILE WRK_ARGS...: run wrk in the background (tracked), its
# output to OUTFILE; sets WRK_PID. Always give -d.
wrk_start() {
	local out=$1
	shift
	wrk "$@" >"$out" 2>&1 &
	WRK_PID=$!
	track_pid "$WRK_PID"
}

# wrk_wait: wait for the background wrk; fail if it does not end in time.
wrk_wait() {
	local deadline=$(($(now_ms) + ${1:-60} * 1000))
	while kill -0 "$WRK_PID" 2>/dev/null; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			kill -KILL "$WRK_PID" 2>/dev/null
			fail "wrk (pid $WRK_PID) did not end in time"
		fi
		sleep 0.1
	done
	wait "$WRK_PID" 2>/dev/null
	WRK_RC=$?
}

# wrk_parse FILE: set WRK_REQUESTS, WRK_CONNECT, WRK_READ, WRK_WRITE,
# WRK_TIMEOUT, WRK_NON2XX, WRK_RPS and WRK_SOCKET_LINE / WRK_NON2XX_LINE (1
# when wrk printed a "Socket errors" / "Non-2xx" line). Fails the test when
# the output has no request count (wrk did not run).
wrk_parse() {
	local vars
	vars=$("$PY" - "$1" <<'EOF'
import re, sys
t = open(sys.argv[1], errors="replace").read()
v = {"REQUESTS": None, "CONNECT": 0, "READ": 0, "WRITE": 0, "TIMEOUT": 0,
     "NON2XX": 0, "RPS": 0, "SOCKET_LINE": 0, "NON2XX_LINE": 0}
m = re.search(r"^\s*(\d+) requests in ", t, re.M)
if m:
    v["REQUESTS"] = int(m.group(1))
m = re.search(r"Socket errors:\s*connect (\d+),\s*read (\d+),\s*write (\d+),"
              r"\s*timeout (\d+)", t)
if m:
    v["SOCKET_LINE"] = 1
    v["CONNECT"], v["READ"], v["WRITE"], v["TIMEOUT"] = map(int, m.groups())
m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", t)
if m:
    v["NON2XX_LINE"] = 1
    v["NON2XX"] = int(m.group(1))
m = re.search(r"Requests/sec:\s*([0-9.]+)", t)
if m:
    v["RPS"] = m.group(1)
if v["REQUESTS"] is None:
    sys.exit(1)
for k, x in v.items():
    print("WRK_%s=%s" % (k, x))
EOF
) || {
		sed 's/^/  wrk| /' "$1"
		fail "no request count in wrk's output ($1)"
	}
	eval "$vars"
}

# wrk_show FILE: wrk's output, indented, for the log.
wrk_show() {
	sed 's/^/  wrk| /' "$1"
}

# wrk_summary: one line from the parsed numbers.
wrk_summary() {
	echo "  wrk: requests=$WRK_REQUESTS rps=$WRK_RPS connect=$WRK_CONNECT" \
	    "read=$WRK_READ write=$WRK_WRITE timeout=$WRK_TIMEOUT" \
	    "non2xx=$WRK_NON2XX"
}

# --- logs ----------------------------------------------------------------

# no_eaddrinuse APP: no EADDRINUSE in APP's err logs nor in clmd.log.
no_eaddrinuse() {
	local f hits=
	for f in "$CLM_HOME/logs/$1"-*-err.log "$CLM_HOME/clmd.log"; do
		[ -f "$f" ] || continue
		if grep -q EADDRINUSE "$f"; then
			hits="$hits $f"
			sed 's/^/  log| /' "$f" | head -n 20
		fi
	done
	[ -z "$hits" ] || fail "EADDRINUSE in:$hits"
	ok "$1: no EADDRINUSE in its err logs nor clmd.log"
}

# clmd_log_tail [N]: the last N (20) lines of clmd.log, indented.
clmd_log_tail() {
	tail -n "${1:-20}" "$CLM_HOME/clmd.log" 2>/dev/null |
	    sed 's/^/  clmd.log| /'
}

# pids_line APP: the running pids of APP by slot, space separated.
pids_line() {
	pids_of "$1" | tr '\n' ' ' | sed 's/ $//'
}

# --- reload under load -------------------------------------------------

# reload_under_load APP PORT SECONDS WRK_ARGS...: with APP's workers online
# and serving PORT, run wrk WRK_ARGS -d SECONDS against it and, while it
# runs, `clm reload APP` twice. Fails unless both reloads exit 0 while wrk
# still runs, every pid is new after each, and wrk reports no socket error
# and no non-2xx response.
reload_under_load() {
	local app=$1 port=$2 secs=$3 before mid after n r t0 t1
	shift 3
	n=$(count_workers "$app")
	before=$(pids_line "$app")
	echo "  pids before: $before"
	wrk_start "$TEST_TMP/wrk.out" "$@" -d "${secs}s" --timeout 5s \
	    "http://127.0.0.1:$port/"
	echo "  wrk $* -d ${secs}s (pid $WRK_PID)"
	# Let the load reach full speed before the first reload.
	wait_until 10 answers "$port"
	sleep 1
	kill -0 "$WRK_PID" 2>/dev/null ||
	    { wrk_show "$TEST_TMP/wrk.out"; fail "wrk ended early"; }
	for r in 1 2; do
		t0=$(now_ms)
		capture clm reload "$app"
		t1=$(now_ms)
		echo "  reload $r took $((t1 - t0)) ms"
		show_capture
		assert_eq "$RC" 0 "clm reload $app (#$r) exit status"
		mid=$(pids_line "$app")
		echo "  pids after reload $r: $mid"
		[ "$(printf '%s\n' $mid | sort -u | wc -l)" = "$n" ] ||
		    fail "after reload $r: expected $n distinct pids, got [$mid]"
		disjoint "$before" "$mid" ||
		    fail "after reload $r: pids [$mid] not all new (before:" \
		    "[$before])"
		ok "reload $r: all $n pids are new"
		all_online "$app" "$n" ||
		    fail "after reload $r: not all $n workers online"
		before=$mid
	done
	kill -0 "$WRK_PID" 2>/dev/null ||
	    fail "wrk had ended before the reloads were done: the reloads" \
	    "were not under load (machine too slow?)"
	ok "both reloads ran while wrk was running"
	wrk_wait $((secs + 30))
	wrk_show "$TEST_TMP/wrk.out"
	wrk_parse "$TEST_TMP/wrk.out"
	wrk_summary
	assert_eq "$WRK_RC" 0 "wrk exit status"
	assert_eq "$WRK_SOCKET_LINE" 0 "wrk printed a 'Socket errors' line (1 = yes)"
	assert_eq "$WRK_NON2XX_LINE" 0 "wrk printed a 'Non-2xx' line (1 = yes)"
	assert_ge "$WRK_REQUESTS" 1000 "requests served during the reloads"
	for after in $(pids_of "$app"); do
		pid_alive "$after" || fail "worker $after is not running"
	done
}
