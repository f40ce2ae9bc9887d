#!/bin/bash
# kill -9 of clmd in the middle of a reload: the reload's new worker (not
# yet ready) was the dead clmd's operation; the next clmd takes it over
# and stops it, and keeps the old workers: no process of the app is left
# unmanaged, and the app has the workers it should, online.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

port=$(free_port)
app=$TEST_TMP/slow.js
cat >"$app" <<'JS'
// Listens at once, or 6 s late when $SLOW_FILE exists (a slow new worker).
'use strict';
const fs = require('fs');
const http = require('http');
const late = fs.existsSync(process.env.SLOW_FILE) ? 6000 : 0;
setTimeout(() => http.createServer((q, r) => r.end(`${process.pid}\n`))
    .listen(Number(process.env.PORT)), late);
JS
# The pids of processes whose environment names app $1 (CLM_APP_NAME).
app_procs() {
	"$PY" - "$1" <<'PYEOF'
import os, sys
want = b"CLM_APP_NAME=" + sys.argv[1].encode()
for p in sorted(os.listdir("/proc")):
    if not p.isdigit():
        continue
    try:
        env = open(f"/proc/{p}/environ", "rb").read().split(b"\0")
        st = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if want in env and st[0] not in ("Z", "X"):
        print(p)
PYEOF
}

check "slow (-i 2), then a reload whose new worker is slow to listen"
capture env PORT="$port" SLOW_FILE="$TEST_TMP/slow" clm start "$app" -i 2 \
    --name slow
assert_eq "$RC" 0 "clm start slow"
wait_until 20 all_online slow 2
before=$(pids_line slow)
touch "$TEST_TMP/slow"
clm reload slow >"$TEST_TMP/reload.out" 2>&1 &
track_pid $!
three() { [ "$(app_procs slow | wc -l)" -ge 3 ]; }
wait_until 10 three
incoming=$(app_procs slow | grep -vxF -e "${before% *}" -e "${before#* }" |
    head -n1)
ok "workers [$before]; the reload's new worker $incoming is not ready"

check "kill -9 of clmd during the reload"
old=$(daemon_pid)
kill -9 "$old"
new_daemon() { local d; d=$(daemon_pid); [ -n "$d" ] && [ "$d" != "$old" ] &&
    pid_alive "$d"; }
wait_until 10 new_daemon
wait_until 10 pid_dead "$incoming"
ok "the new clmd $(daemon_pid) stopped the reload's new worker $incoming"
grep -q "pid $incoming was in an operation that the crash of clmd ended" \
    "$CLM_HOME/clmd.log" || fail "clmd.log does not say why $incoming stopped"
assert_eq "$(pids_line slow)" "$before" "the old workers are kept"
all_online slow 2 || fail "slow is not online"
two() { [ "$(app_procs slow | wc -l)" = 2 ]; }
wait_until 10 two
ok "slow has 2 processes: $(app_procs slow | tr '\n' ' ')"
wait
echo "  the interrupted clm reload said: $(head -n 2 "$TEST_TMP/reload.out")"

check "a reload works again"
rm -f "$TEST_TMP/slow"
capture clm reload slow
assert_eq "$RC" 0 "clm reload slow"
disjoint "$before" "$(pids_line slow)" || fail "clm reload kept a pid"
ok "slow reloaded: [$before] -> [$(pids_line slow)]"
