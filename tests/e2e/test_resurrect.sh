#!/bin/bash
# clm save / clm resurrect / clmd --resurrect: dump.json is written (valid
# JSON, both apps, the previous dump kept as dump.json.bak); after SIGKILL
# of the daemon and every worker at once, `clm resurrect` brings back the
# same apps with the same instance counts and the port serving, with new
# pids; `clmd --resurrect` does the same on a fresh home from a copied dump;
# no dump and a corrupted dump are clear errors (exit 1, naming the file).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

ncpu=$(nproc)
nweb=$((ncpu >= 2 ? 2 : 1))
port=$(free_port)
echo "logical cores: $ncpu; web gets $nweb worker(s) on port $port"

# apps_in_dump FILE: the app names in a dump, sorted, space separated (any
# object with a "name" key, wherever the format puts it).
apps_in_dump() {
	jpy '(lambda f: sorted(set(f(f, d))))(lambda f, x:
	    ([x["name"]] if isinstance(x, dict) and isinstance(x.get("name"),
	    str) else []) + [n for v in (x.values() if isinstance(x, dict)
	    else x if isinstance(x, list) else []) for n in f(f, v)])' \
	    <"$1" | tr '\n' ' '
}

# both_up: web has $nweb online workers, bg 1, and the port answers.
both_up() {
	all_online web "$nweb" && all_online bg 1 && answers "$port"
}

check "start web (http, -i 2, port $port) and bg"
PORT=$port capture clm start "$FIXTURES/http_pid.js" -i 2 --name web
show_capture
assert_eq "$RC" 0 "clm start web exit status"
capture clm start "$FIXTURES/sleeper.js" --name bg --kill-timeout 700
show_capture
assert_eq "$RC" 0 "clm start bg exit status"
wait_until 20 both_up
expect_pids_answer "$port" "$nweb" "before save"

check "clm save writes dump.json, valid JSON with both apps"
capture clm save
show_capture
assert_eq "$RC" 0 "clm save exit status"
dump=$CLM_HOME/dump.json
[ -f "$dump" ] || fail "no $dump after clm save"
jpy 'True' <"$dump" >/dev/null || fail "$dump is not valid JSON"
ok "$dump is valid JSON"
assert_eq "$(apps_in_dump "$dump")" "bg web " "apps in dump.json"
[ ! -e "$dump.bak" ] || note "dump.json.bak exists after the first save"
cp "$dump" "$TEST_TMP/dump1.json"

check "a second save keeps the previous dump as dump.json.bak"
capture clm save
show_capture
assert_eq "$RC" 0 "clm save (2nd) exit status"
[ -f "$dump.bak" ] || fail "no $dump.bak after the second clm save"
cmp -s "$dump.bak" "$TEST_TMP/dump1.json" ||
    fail "$dump.bak is not the first dump"
ok "dump.json.bak is the first dump"
jpy 'True' <"$dump" >/dev/null || fail "$dump is not valid JSON"
assert_eq "$(apps_in_dump "$dump")" "bg web " "apps in dump.json (2nd)"
left=$(cd "$CLM_HOME" && ls -A | grep -i dump | grep -vx 'dump.json' |
    grep -vx 'dump.json.bak')
[ -z "$left" ] || fail "temp files left in $CLM_HOME: $left"
ok "no temp dump file left in $CLM_HOME"

check "SIGKILL the daemon, its clm-keeper and every worker (their groups) at once"
# (The keeper alone would start a new clmd that adopts the workers: see
# test_crash_adopt.sh. Here everything goes, as in a power cut.)
d=$(daemon_pid)
keeper=$(pgrep -f "clm-keeper $CLM_HOME/keeper.sock" | head -n1)
[ -n "$keeper" ] || fail "no clm-keeper for $CLM_HOME"
old=$(list_json | jpy '[w["pid"] for w in d if w.get("pid")]' | tr '\n' ' ')
old_web=$(pids_line web)
track_pid "$d" "$keeper" $old
targets=("$d" "$keeper")
for p in $old; do
	pg=$(ps -o pgid= -p "$p" | tr -d ' ')
	[ -n "$pg" ] && [ "$pg" -gt 1 ] || fail "no process group for worker $p"
	[ "$pg" = "$p" ] || note "worker $p is in group $pg"
	targets+=("-$pg")
done
echo "  kill -KILL ${targets[*]}"
# Stopped first: between two kills the keeper would start a new clmd.
kill -STOP "$keeper"
kill -KILL -- "${targets[@]}" || fail "kill -KILL failed"
for p in "$d" "$keeper" $old; do wait_until 5 pid_dead "$p"; done
ok "daemon $d and workers [$old] are gone"
wait_until 5 tcp_refused "$port"
ok "port $port refuses"
capture clm ping
assert_eq "$RC" 1 "clm ping exit status (no daemon)"

check "clm resurrect starts a daemon and the saved apps"
capture clm resurrect
show_capture
assert_eq "$RC" 0 "clm resurrect exit status"
d2=$(daemon_pid)
[ -n "$d2" ] && [ "$d2" != "$d" ] && pid_alive "$d2" ||
    fail "no new daemon (pid file says '$d2', old $d)"
ok "new daemon $d2"
wait_until 20 both_up
assert_eq "$(list_json | jpy 'sorted(set(w["name"] for w in d))' |
    tr '\n' ' ')" "bg web " "apps after resurrect"
assert_eq "$(count_workers web)" "$nweb" "web workers"
assert_eq "$(count_workers bg)" 1 "bg workers"
new=$(list_json | jpy '[w["pid"] for w in d if w.get("pid")]' | tr '\n' ' ')
echo "  pids: [$old] -> [$new]"
disjoint "$old" "$new" || fail "pids [$new] not all new (before: [$old])"
ok "every pid is new"
expect_pids_answer "$port" "$nweb" "after clm resurrect"
same_set "$SEEN_PIDS" "$(pids_line web)" ||
    fail "pids that answered [$SEEN_PIDS] are not web's [$(pids_line web)]"
capture clm describe bg --json
assert_eq "$(printf '%s\n' "$OUT" | jpy 'd["spec"]["kill_timeout_ms"]')" 700 \
    "bg's kill_timeout_ms (saved option)"

check "clm kill; then clmd --resurrect --foreground on a fresh home"
capture clm kill
show_capture
assert_eq "$RC" 0 "clm kill exit status"
wait_until 5 tcp_refused "$port"
home1=$CLM_HOME
new_home
mkdir -p "$CLM_HOME"
cp "$home1/dump.json" "$CLM_HOME/dump.json"
"$CLM_BIN_DIR/clmd" --resurrect --foreground \
    >"$TEST_TMP/fg.out" 2>"$TEST_TMP/fg.err" &
fg=$!
track_pid "$fg"
echo "  clmd --resurrect --foreground: pid $fg, CLM_HOME=$CLM_HOME"
wait_until 20 both_up
assert_eq "$(daemon_pid)" "$fg" "pid in clmd.pid"
assert_eq "$(count_workers web)" "$nweb" "web workers"
assert_eq "$(count_workers bg)" 1 "bg workers"
expect_pids_answer "$port" "$nweb" "after clmd --resurrect"

check "a corrupted dump.json: exit 1 naming it, the daemon still answers"
before=$(list_json | jpy 'sorted((w["name"], w["id"], w["pid"]) for w in d)')
printf '{"v": 1, "apps": [ {"name": "web", "scr' >"$CLM_HOME/dump.json"
capture clm resurrect
show_capture
assert_eq "$RC" 1 "clm resurrect exit status"
assert_contains "$ERR" "$CLM_HOME/dump.json" "stderr"
capture clm ping
show_capture
assert_eq "$RC" 0 "clm ping exit status"
assert_contains "$OUT" "pid $fg" "clm ping"
after=$(list_json | jpy 'sorted((w["name"], w["id"], w["pid"]) for w in d)')
assert_eq "$after" "$before" "clm list after the failed resurrect"
answers "$port" || fail "port $port does not answer"
ok "port $port still answers"

check "not JSON at all"
echo 'this is not json' >"$CLM_HOME/dump.json"
capture clm resurrect
show_capture
assert_eq "$RC" 1 "clm resurrect exit status"
assert_contains "$ERR" "$CLM_HOME/dump.json" "stderr"
capture clm ping
assert_eq "$RC" 0 "clm ping exit status"

check "SIGTERM ends the foreground daemon with exit 0"
kill -TERM "$fg"
t0=$(now_ms)
while pid_alive "$fg" && [ $(($(now_ms) - t0)) -lt 15000 ]; do
	sleep 0.05
done
pid_alive "$fg" && fail "clmd $fg still runs 15 s after SIGTERM"
wait "$fg"
assert_eq "$?" 0 "clmd --foreground exit status"
wait_until 5 tcp_refused "$port"

check "clm resurrect with no dump: exit 1, names the file and the fix"
new_home
capture clm resurrect
show_capture
assert_eq "$RC" 1 "clm resurrect exit status"
assert_contains "$ERR" "$CLM_HOME/dump.json" "stderr"
assert_contains "$ERR" "clm save" "stderr (the fix)"
assert_eq "$(list_json | jpy 'len(d)')" 0 "apps listed"
