#!/bin/bash
# watch (tracker 18): a change under a watched folder reloads the app
# within watch_delay + 1 s; ignored files do nothing; a new folder is
# followed; 1000 changes in a burst make one reload; an idle tree of
# 10,000 files costs clmd no CPU (from /proc/PID/stat).
. "$(dirname "$0")/lib.sh"

app=$TEST_TMP/app
mkdir -p "$app/src" "$app/node_modules/dep" "$app/.git"
printf '#!/bin/sh\nexec sleep 600\n' >"$app/server.sh"
echo 1 >"$app/src/a.js"
reloads() { grep -c "web: watch: files changed: reloading" \
    "$CLM_HOME/clmd.log" || true; }
done_reloads() { grep -c "web: reloaded" "$CLM_HOME/clmd.log" || true; }
reloaded_to() { [ "$(done_reloads)" -ge "$1" ] && all_online web 1; }
# quiet MS N: no reload beyond N for MS (nothing to poll: we watch that
# nothing happens).
quiet() {
	local end=$(($(now_ms) + $1))
	while [ "$(now_ms)" -lt "$end" ]; do
		[ "$(reloads)" -le "$2" ] || fail "reloaded ($(reloads) > $2)"
		sleep 0.2
	done
}

check "clm start server.sh --watch yes --ignore-watch '*.tmp' --watch-delay 1s"
capture clm start "$app/server.sh" --name web --cwd "$app" --watch yes \
    --ignore-watch '*.tmp,src/gen' --watch-delay 1s --min-uptime 300
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 15 all_online web 1
grep "web: watching" "$CLM_HOME/clmd.log" | sed 's/^/  clmd.log| /'
capture clm describe web
assert_contains "$OUT" "*.tmp src/gen" "describe's ignore_watch"
pid0=$(pid_of web 0)

check "touching a watched file reloads within watch_delay + 1 s"
t0=$(now_ms)
echo 2 >"$app/src/a.js"
wait_until 10 reloaded_to 1
dt=$(($(now_ms) - t0))
assert_lt "$dt" 5000 "ms from the change to a new online worker"
reload_at=$(grep "web: watch: files changed: reloading" "$CLM_HOME/clmd.log" |
    head -n1 | cut -d' ' -f1)
lat=$($PY -c 'import sys, datetime
t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ")
t = t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
print(int(t - int(sys.argv[2])))' "$reload_at" "$t0")
ok "the reload began $lat ms after the change"
assert_lt "$lat" 2000 "ms to the reload (watch_delay 1s + 1s)"
pid1=$(pid_of web 0)
[ "$pid1" != "$pid0" ] || fail "the pid did not change ($pid0, $pid1)"
ok "new pid $(pid_of web 0)"

check "ignored files (a glob, node_modules, .git, a path) do nothing"
n=$(reloads)
touch "$app/x.tmp" "$app/src/y.tmp" "$app/node_modules/dep/i.js" \
    "$app/.git/index"
mkdir -p "$app/node_modules/dep/sub"
touch "$app/node_modules/dep/sub/z.js"
quiet 3000 "$n"
ok "no reload in 3 s"

check "a new folder is followed"
mkdir "$app/lib"
wait_until 10 reloaded_to $((n + 1))
n=$(reloads)
sleep 0.3
echo x >"$app/lib/new.js"
wait_until 10 reloaded_to $((n + 1))
ok "a file in the new folder reloaded the app"

check "1000 changes in a burst make one reload"
n=$(reloads)
$PY -c '
import os, sys
for i in range(1000):
    with open(os.path.join(sys.argv[1], "src", "f%d.js" % (i % 50)), "w") as f:
        f.write(str(i))' "$app"
wait_until 10 reloaded_to $((n + 1))
quiet 3000 $((n + 1))
assert_eq "$(reloads)" $((n + 1)) "reloads after the burst"

check "an idle watched tree of 10,000 files costs clmd no CPU over 10 s"
tree=$TEST_TMP/tree
$PY -c '
import os, sys
for d in range(100):
    p = os.path.join(sys.argv[1], "d%02d" % (d // 10), "e%d" % d)
    os.makedirs(p, exist_ok=True)
    for f in range(100):
        open(os.path.join(p, "f%d.txt" % f), "w").close()' "$tree"
cp "$app/server.sh" "$tree/server.sh"
capture clm start "$tree/server.sh" --name big --cwd "$tree" --watch yes
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 15 all_online big 1
grep "big: watching" "$CLM_HOME/clmd.log" | sed 's/^/  clmd.log| /'
dpid=$(daemon_pid)
ticks() { awk '{print $14 + $15}' "/proc/$dpid/stat"; }
sleep 1
c0=$(ticks)
sleep 10
c1=$(ticks)
hz=$(getconf CLK_TCK)
ok "clmd used $((c1 - c0)) ticks ($(( (c1 - c0) * 1000 / hz )) ms of CPU) in 10 s"
assert_lt $((c1 - c0)) 6 "clmd's CPU ticks in 10 idle s"

clm delete all >/dev/null || fail "clm delete all"
echo "PASS: $TEST_NAME"
