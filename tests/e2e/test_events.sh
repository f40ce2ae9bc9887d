#!/usr/bin/env bash
# clm events --json under a scripted sequence (start, SIGKILL of a worker,
# a crash loop to errored, reload, scale) shows every event in order with
# its fields; the human form says the same; a reader that never reads is
# told it is dropped, and clmd's memory stays flat while events go on.
. "$(dirname "$0")/lib.sh"

# ASan's quarantine keeps freed memory: the RSS check needs it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1"
EV=$TEST_TMP/events.jsonl
HUMAN=$TEST_TMP/events.txt

check "clm events follows from an idle daemon"
clm start "$FIXTURES/sleeper.sh" --name idle >/dev/null || fail "clm start idle"
"$CLM_BIN_DIR/clm" events --json >"$EV" 2>&1 &
track_pid $!
"$CLM_BIN_DIR/clm" events web >"$HUMAN" 2>&1 &
track_pid $!
# The stream is open once the daemon counts it: poll with an event of
# our own (a restart of idle) until the reader shows it.
wait_until 20 sh -c "'$CLM_BIN_DIR/clm' restart idle >/dev/null; grep -q . '$EV'"
: >"$EV.mark"
ok "streaming"

# events_of APP: "event id pid exit_code signal restarts" per line.
events_of() {
	"$PY" - "$EV" "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["app"] != sys.argv[2]:
        continue
    f = lambda k: "-" if e[k] is None else str(e[k])
    print(e["event"], f("id"), f("pid"), f("exit_code"), f("signal"), f("restarts"))
EOF
}
has_event() { events_of "$1" | grep -q "^$2\b"; }

check "start: launching, then online, with the pid"
clm start "$FIXTURES/sleeper.sh" --name web -i 2 >/dev/null || fail "clm start web"
wait_until 20 sh -c "[ \$(grep -c '\"online\",\"app\":\"web\"' '$EV') -ge 2 ]"
p0=$(pid_of web 0)
assert_contains "$(events_of web)" "launching 0 $p0 - - 0" "web:0 launching"
assert_contains "$(events_of web)" "online 0 $p0 - - 0" "web:0 online"

check "SIGKILL of a worker: exit (signal), restart scheduled, launching"
kill -KILL "$p0"
wait_until 20 sh -c "[ \$(grep -c '\"online\",\"app\":\"web\",\"id\":0' '$EV') -ge 2 ]"
p0b=$(pid_of web 0)
got=$(events_of web | grep " 0 " | tail -4)
want="exit 0 $p0 - SIGKILL 0
restart 0 - - - 0
launching 0 $p0b - - 1
online 0 $p0b - - 1"
assert_eq "$got" "$want" "web:0 after SIGKILL"

check "a crash loop ends errored: exit (code 3) each run, then errored"
clm start "$FIXTURES/crash.js" --name loop --max-restarts 2 \
    --min-uptime 10s --listen-timeout 20s >/dev/null 2>&1
wait_until 60 has_event loop errored
got=$(events_of loop | awk '{print $1, $4, $6}' | tr '\n' ';')
want="launching - 0;exit 3 0;restart - 0;launching - 1;exit 3 1;restart - 1;"
want+="launching - 2;exit 3 2;errored 3 2;"
assert_eq "$got" "$want" "loop's events"

check "reload: reload-begin, a new worker per slot, reload-end"
clm reload web >/dev/null || fail "clm reload web"
wait_until 20 has_event web reload-end
got=$(events_of web | sed -n '/^reload-begin/,$p' | awk '{print $1, $2}' |
    tr '\n' ';')
want="reload-begin -;launching 0;online 0;draining 0;stopping 0;exit 0;"
want+="stopped 0;launching 1;online 1;draining 1;stopping 1;exit 1;stopped 1;"
want+="reload-end -;"
assert_eq "$got" "$want" "web's reload"

check "scale: the event, then the workers stop"
clm scale web 1 >/dev/null || fail "clm scale web 1"
wait_until 20 sh -c "grep '\"app\":\"web\",\"id\":1' '$EV' | tail -1 |
    grep -q '\"stopped\"'"
assert_contains "$(grep '"scale"' "$EV" | grep '"web"')" \
    '"details":"from 2 to 1 workers"' "the scale event"

check "the human form, for one app (clm events web)"
wait_until 10 grep -q "web scale" "$HUMAN"
assert_contains "$(cat "$HUMAN")" "web:0 exit pid $p0 signal SIGKILL restarts 0" \
    "the exit line"
assert_contains "$(cat "$HUMAN")" "web reload-begin" "the reload line"
assert_not_contains "$(cat "$HUMAN")" "loop" "clm events web shows only web"

check "a reader that never reads is told, then dropped; clmd's RSS stays flat"
clm delete loop idle >/dev/null
# A worker that exits at once, restarted at once: events as fast as clmd
# can make them.
printf '#!/bin/sh\nexit 0\n' >"$TEST_TMP/quick.sh"
"$PY" - "$CLM_HOME/clm.sock" "$TEST_TMP/slow" <<'EOF' &
import socket, sys, time, os
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b'{"v":1,"cmd":"events"}\n')
open(sys.argv[2] + ".ready", "w").close()
while not os.path.exists(sys.argv[2] + ".read"):
    time.sleep(0.05)
# Now read it all: the last line says it was dropped.
s.settimeout(10)
data = b""
while b"dropped" not in data:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    if not b:
        break
    data += b
open(sys.argv[2], "wb").write(data[-2000:])
EOF
track_pid $!
wait_until 10 test -f "$TEST_TMP/slow.ready"
clm start "$TEST_TMP/quick.sh" --name quick --min-uptime 0 \
    --restart-delay 1 >/dev/null 2>&1
rss() { awk '/VmRSS/ {print $2}' "/proc/$(daemon_pid)/status"; }
wait_until 120 grep -q "a reader .* behind: dropped" "$CLM_HOME/clmd.log"
rss0=$(rss)
n0=$(wc -l <"$EV")
# Events go on: the dropped reader costs nothing more.
wait_until 60 sh -c "[ \$(wc -l <'$EV') -gt $((n0 + 3000)) ]"
rss1=$(rss)
note "clmd RSS ${rss0} kB when the reader was dropped, ${rss1} kB after 3000 more events"
assert_lt "$rss1" $((rss0 + 2048)) "clmd's RSS (kB) after the drop"
touch "$TEST_TMP/slow.read"
wait_until 30 test -s "$TEST_TMP/slow"
assert_contains "$(tail -c 600 "$TEST_TMP/slow")" "this reader is" \
    "the reader is told before it is dropped"
ok "dropped, told, RSS flat"

check "a dropped reader that never reads does not hold clmd at clm kill"
"$PY" - "$CLM_HOME/clm.sock" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b'{"v":1,"cmd":"events"}\n')
time.sleep(120)
EOF
stuck=$!
track_pid $stuck
wait_until 120 sh -c "[ \$(grep -c 'a reader .* behind: dropped' '$CLM_HOME/clmd.log') -ge 2 ]"
t0=$(now_ms)
capture clm kill
assert_eq "$RC" 0 "clm kill with a dropped reader still connected"
note "clm kill took $(( $(now_ms) - t0 )) ms"
kill "$stuck" 2>/dev/null
wait "$stuck" 2>/dev/null
ok "clmd exited"
