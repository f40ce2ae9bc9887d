#!/bin/bash
# log_target = stdout: `clmd --foreground --apps FILE` (a container's job)
# prints every app line on its own stdout, prefixed NAME:ID (stderr lines
# on its stderr), or one JSON object a line with log_format = json: 200,000
# lines from two workers, none lost, none split, in order. SIGTERM stops
# everything and clmd exits 0. Prints the throughput and clmd's CPU.
. "$(dirname "$0")/lib.sh"

N=100000
cat >"$TEST_TMP/apps.ini" <<INI
[ll]
script = $FIXTURES/l_lines.js
instances = 2
log_target = stdout
env.L_COUNT = $N
env.L_PAD = 40
env.L_CHUNK = 200

[jj]
script = $FIXTURES/l_lines.js
log_target = both
log_format = json
env.L_COUNT = 20000
env.L_STREAM = both
env.L_VARY = 90
INI

# cpu_ms PID: user + system CPU time of PID, in ms.
cpu_ms() {
	awk '{ print ($14 + $15) * 10 }' "/proc/$1/stat"
}
done_lines() {	# done_lines FILE PATTERN N: FILE has N lines matching
	[ "$(grep -c -- "$2" "$1")" -ge "$3" ]
}

check "clmd --foreground --apps starts the file's apps"
mkdir -p "$CLM_HOME"
t0=$(now_ms)
env CLM_HOME="$CLM_HOME" "$CLM_BIN_DIR/clmd" --foreground \
    --apps "$TEST_TMP/apps.ini" >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
clmd=$!
track_pid "$clmd"
wait_until 60 done_lines "$TEST_TMP/out" '^ll:[01] | done ' 2
wait_until 60 done_lines "$TEST_TMP/out" '"message":"done 0 20000' 1
took=$(($(now_ms) - t0))
cpu=$(cpu_ms "$clmd")
logd=$(pgrep -P "$clmd" -x clm-logd | head -n1)
lcpu=$([ -n "$logd" ] && cpu_ms "$logd" || echo "?")
note "$((2 * N + 20000)) lines on stdout in $took ms (with the start):" \
    "$(( (2 * N + 20000) * 1000 / took )) lines/s; clmd CPU ${cpu} ms," \
    "clm-logd CPU ${lcpu} ms"
wait_until 20 all_online ll 2
ok "apps online"

check "text: every line of both workers, prefixed, whole, in order"
grep '^ll:' "$TEST_TMP/out" | "$PY" -c '
import sys
out0 = open(sys.argv[1], "wb"); out1 = open(sys.argv[2], "wb")
for line in sys.stdin.buffer:
    pre, sep, rest = line.partition(b" | ")
    assert sep, line
    assert rest.startswith(b"L " + pre[3:] + b" ") or \
        rest.startswith(b"done " + pre[3:] + b" "), line
    (out0 if pre == b"ll:0" else out1).write(rest)
' "$TEST_TMP/s0" "$TEST_TMP/s1" || fail "a line lacks its prefix"
"$PY" "$FIXTURES/l_check.py" --count "$N" --insts 0 --pad 40 "$TEST_TMP/s0" ||
    fail "worker 0's lines"
"$PY" "$FIXTURES/l_check.py" --count "$N" --insts 1 --pad 40 "$TEST_TMP/s1" ||
    fail "worker 1's lines"
ok "$((2 * N)) lines, none lost or split"
[ ! -e "$CLM_HOME/logs/ll-0-out.log" ] || fail "log_target stdout wrote a file"

check "json: valid objects, stdout and stderr, none lost, the files too"
"$PY" - "$TEST_TMP/out" "$TEST_TMP/err" "$CLM_HOME/logs/jj-0-out.log" <<'PYEOF' || fail "json lines"
import json, sys
for path, stream, tag in ((sys.argv[1], "out", "L"), (sys.argv[2], "err", "E")):
    seqs = []
    for line in open(path, "rb"):
        if not line.startswith(b"{"):
            continue
        d = json.loads(line)
        assert set(d) == {"time", "app", "id", "pid", "stream", "message"}, d
        assert d["app"] == "jj" and d["id"] == 0 and d["stream"] == stream, d
        assert d["pid"] is None or d["pid"] > 0, d
        m = d["message"].split(" ")
        if m[0] == "done":
            continue
        assert m[0] == tag and m[1] == "0", d
        seqs.append(int(m[2]))
    assert seqs == list(range(20000)), (stream, len(seqs))
files = open(sys.argv[3], "rb").read().count(b"\n")
assert files == 20001, files
print("json ok")
PYEOF
ok "20,000 lines on each stream as JSON; log_target both kept the file"

check "SIGTERM: every app stops, clmd exits 0"
kill -TERM "$clmd"
wait "$clmd"
assert_eq "$?" 0 "clmd's exit status"
assert_contains "$(cat "$TEST_TMP/err")" "every app stopped; exiting" "stderr"
