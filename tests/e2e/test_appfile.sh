#!/bin/bash
# App files: `clm start FILE.ini` starts every app of the file with its env,
# args and cwd (relative paths relative to the file's folder); validation is
# all or nothing (a typo'd key, a missing script, a duplicate section name
# their FILE:LINE and nothing starts, not even a daemon); --only starts a
# subset; `clm reload FILE.ini` applies a new instance count and a new env
# value with new workers while the app keeps serving. Also the environment
# rule: restart keeps the env captured at start, --update-env takes clm's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

# The app files live in $proj; the CLI always runs from elsewhere (/), so
# that "relative to the file's folder" cannot be confused with the CLI's cwd.
proj=$TEST_TMP/proj
mkdir -p "$proj/wd" "$proj/lib"
cp "$FIXTURES/f_info.js" "$proj/info.js"
cp "$FIXTURES/f_info.js" "$proj/lib/info2.js"

# clm_from_root ARGS...: capture `clm ARGS` run from / .
clm_from_root() {
	capture bash -c 'cd / && exec "$@"' _ \
	    timeout -k 5 "$CLM_CMD_TIMEOUT" "$CLM_BIN_DIR/clm" "$@"
}

out_log() { echo "$CLM_HOME/logs/$1-$2-out.log"; }
has_line() { [ -s "$1" ] && grep -q "$2" "$1"; }
# info_line APP ID: the JSON line f_info.js printed last in APP-ID's out log.
info_line() { grep '"CLM_APP_NAME"' "$(out_log "$1" "$2")" | tail -n1; }
# info_of_pid APP ID PID: the JSON line that worker PID printed.
info_of_pid() { grep "\"pid\":$3," "$(out_log "$1" "$2")" | tail -n1; }
has_pid_line() { [ -n "$(info_of_pid "$@")" ]; }

# no_daemon: nothing answers on this CLM_HOME and no clmd runs for it.
no_daemon() {
	capture clm ping
	[ "$RC" = 1 ] || { show_capture; fail "a daemon answers on $CLM_HOME"; }
	[ -z "$(clmd_pids_for_home)" ] ||
	    fail "a clmd runs for $CLM_HOME: $(clmd_pids_for_home)"
	[ ! -S "$CLM_HOME/clm.sock" ] || fail "socket $CLM_HOME/clm.sock exists"
	ok "no daemon for $CLM_HOME (ping exit 1, no clmd, no socket)"
}

# --- rejected files, before any daemon ----------------------------------

check "a typo'd key, no daemon running: FILE:LINE, the key, a suggestion"
cat >"$proj/typo.ini" <<'EOF'
; two apps, the second with a typo on line 7
[good]
script = info.js

[bad]
script = info.js
instanses = 2
EOF
clm_from_root start "$proj/typo.ini"
show_capture
assert_eq "$RC" 1 "clm start typo.ini exit status"
assert_contains "$ERR" "typo.ini:7:" "stderr"
assert_contains "$ERR" "instanses" "stderr"
assert_contains "$ERR" "did you mean 'instances'" "stderr"
assert_eq "$(printf '%s\n' "$ERR" | grep -c .)" 1 "lines on stderr"
no_daemon

check "a missing script: its line, nothing started"
cat >"$proj/miss.ini" <<'EOF'
[good]
script = info.js

[gone]
cwd = wd
script = nothere.js
EOF
clm_from_root start "$proj/miss.ini"
show_capture
assert_eq "$RC" 1 "clm start miss.ini exit status"
assert_contains "$ERR" "miss.ini:6:" "stderr"
assert_contains "$ERR" "nothere.js" "stderr"
assert_contains "$ERR" "$proj/wd" "stderr (where it looked)"
no_daemon

check "a duplicate section: its line, nothing started"
cat >"$proj/dup.ini" <<'EOF'
[twin]
script = info.js

[other]
script = info.js

[twin]
script = lib/info2.js
EOF
clm_from_root start "$proj/dup.ini"
show_capture
assert_eq "$RC" 1 "clm start dup.ini exit status"
assert_contains "$ERR" "dup.ini:7:" "stderr"
assert_contains "$ERR" "twin" "stderr"
assert_contains "$ERR" "duplicate" "stderr"
no_daemon

check "a bad value: its line, nothing started"
printf '[v]\nscript = info.js\nkill_timeout = soon\n' >"$proj/badval.ini"
clm_from_root start "$proj/badval.ini"
show_capture
assert_eq "$RC" 1 "clm start badval.ini exit status"
assert_contains "$ERR" "badval.ini:3:" "stderr"
assert_contains "$ERR" "kill_timeout" "stderr"
no_daemon

# --- two apps from one file ----------------------------------------------

check "two apps from one file: env, args and cwd applied"
cat >"$proj/apps.ini" <<'EOF'
; alpha: default cwd (the file's folder), script relative to it
[alpha]
script = info.js
args = --one "two words" 3
env.F_MARK = alpha mark

; beta: cwd relative to the file's folder, script relative to that cwd
[beta]
cwd = wd
script = ../lib/info2.js
args = -x
env.F_MARK = beta-mark
EOF
F_CLI="from the cli $$" clm_from_root start "$proj/apps.ini"
show_capture
assert_eq "$RC" 0 "clm start apps.ini exit status"
wait_until 20 all_online alpha 1
wait_until 20 all_online beta 1
assert_eq "$(list_json | jpy 'sorted(set(w["name"] for w in d))' |
    tr '\n' ' ')" "alpha beta " "apps in clm list"

# check_info APP MARK CWD ARGV_JSON: the worker's line in its out log.
check_info() {
	local j
	wait_until 10 has_line "$(out_log "$1" 0)" CLM_APP_NAME
	j=$(info_line "$1" 0)
	echo "  $1: $j"
	get() { printf '%s\n' "$j" | jpy "d[A[0]]" "$1"; }
	assert_eq "$(get CLM_APP_NAME)" "$1" "$1: CLM_APP_NAME"
	assert_eq "$(get pid)" "$(pid_of "$1" 0)" "$1: pid in the log"
	assert_eq "$(get F_MARK)" "$2" "$1: F_MARK (env.F_MARK in the file)"
	assert_eq "$(get F_CLI)" "from the cli $$" "$1: F_CLI (clm's env)"
	assert_eq "$(get cwd)" "$3" "$1: cwd"
	assert_eq "$(printf '%s\n' "$j" | jpy 'json.dumps(d["argv"])')" \
	    "$4" "$1: argv"
}
check_info alpha "alpha mark" "$proj" '["--one", "two words", "3"]'
check_info beta "beta-mark" "$proj/wd" '["-x"]'
[ "$(readlink "/proc/$(pid_of beta 0)/cwd")" = "$proj/wd" ] ||
    fail "beta's /proc/PID/cwd is $(readlink "/proc/$(pid_of beta 0)/cwd")"
ok "beta's /proc/PID/cwd is $proj/wd"

check "a typo'd key with the daemon running: rejected, no app added"
d=$(daemon_pid)
before=$(list_json | jpy 'sorted((w["name"], w["id"], w["pid"]) for w in d)')
clm_from_root start "$proj/typo.ini"
show_capture
assert_eq "$RC" 1 "clm start typo.ini exit status"
assert_contains "$ERR" "typo.ini:7:" "stderr"
assert_contains "$ERR" "instanses" "stderr"
sleep 0.3
after=$(list_json | jpy 'sorted((w["name"], w["id"], w["pid"]) for w in d)')
assert_eq "$after" "$before" "clm list after the rejected file"
app_absent good || fail "app 'good' of the rejected file was started"
assert_eq "$(daemon_pid)" "$d" "daemon pid"

check "a missing script and a duplicate with the daemon running"
for f in miss dup; do
	clm_from_root start "$proj/$f.ini"
	show_capture
	assert_eq "$RC" 1 "clm start $f.ini exit status"
done
for a in good gone twin other; do
	app_absent "$a" || fail "app '$a' of a rejected file was started"
done
ok "no app of a rejected file is listed"

# --- --only --------------------------------------------------------------

check "--only starts a subset"
cat >"$proj/three.ini" <<'EOF'
[s1]
script = info.js
[s2]
script = info.js
[s3]
script = info.js
EOF
clm_from_root start "$proj/three.ini" --only s1,s3
show_capture
assert_eq "$RC" 0 "clm start three.ini --only s1,s3 exit status"
wait_until 20 all_online s1 1
wait_until 20 all_online s3 1
sleep 0.3
app_absent s2 || fail "s2 was started despite --only s1,s3"
ok "s1 and s3 online, s2 not started"

check "--only with a name the file does not have"
clm_from_root start "$proj/three.ini" --only s2,nosuch
show_capture
assert_eq "$RC" 1 "clm start --only s2,nosuch exit status"
assert_contains "$ERR" "nosuch" "stderr"
sleep 0.3
app_absent s2 || fail "s2 was started although --only named a missing app"
ok "nothing started"

# --- reload FILE.ini -----------------------------------------------------

ncpu=$(nproc)
want=$((ncpu >= 2 ? 2 : 1))
port=$(free_port)
echo "logical cores: $ncpu; reload 1 -> 2 gives $want worker(s); port $port"

check "reload FILE.ini: an http app, 1 worker, F_MARK=v1"
write_web() {	# write_web INSTANCES MARK
	cat >"$proj/web.ini" <<EOF
[web]
script = info.js
instances = $1
env.PORT = $port
env.F_MARK = $2
EOF
}
write_web 1 v1
clm_from_root start "$proj/web.ini"
show_capture
assert_eq "$RC" 0 "clm start web.ini exit status"
wait_until 20 all_online web 1
wait_until 10 answers "$port"
assert_eq "$(http_get "$port" /info | jpy 'd["F_MARK"]')" v1 "F_MARK over http"
old=$(pids_line web)

# A client that GETs / on new connections until $stop exists.
stop=$TEST_TMP/poll.stop
"$PY" - "$port" "$stop" >"$TEST_TMP/poll.out" 2>&1 <<'EOF' &
import os, sys, time, urllib.request
port, stop = sys.argv[1], sys.argv[2]
n = errs = 0
while not os.path.exists(stop):
    n += 1
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/" % port,
                                    timeout=5) as r:
            if r.status != 200 or not r.read().strip().isdigit():
                errs += 1
    except Exception as e:
        errs += 1
        print("error:", e)
    time.sleep(0.01)
print("requests=%d errors=%d" % (n, errs))
EOF
poller=$!
track_pid "$poller"
sleep 0.5

check "reload web.ini with instances = 2 and F_MARK=v2, under requests"
write_web 2 v2
clm_from_root reload "$proj/web.ini"
show_capture
assert_eq "$RC" 0 "clm reload web.ini exit status"
answers "$port" || fail "no answer on port $port right after the reload"
ok "a request right after the reload succeeds"
sleep 0.3
touch "$stop"
wait "$poller"
cat "$TEST_TMP/poll.out" | sed 's/^/  poll| /'
grep -q '^requests=[0-9]* errors=0$' "$TEST_TMP/poll.out" ||
    fail "requests failed during clm reload web.ini"
assert_ge "$(sed -n 's/^requests=\([0-9]*\).*/\1/p' "$TEST_TMP/poll.out")" \
    5 "requests during the reload"
wait_until 20 all_online web "$want"
new=$(pids_line web)
echo "  pids: [$old] -> [$new]"
assert_eq "$(count_workers web)" "$want" "workers after the reload"
if [ "$want" = 1 ]; then
	note "nproc is 1: instances = 2 is clamped to 1, growth not checked"
fi
disjoint "$old" "$new" || fail "pids [$new] not all new (before: [$old])"
ok "every worker pid is new"
for p in $old; do wait_until 10 pid_dead "$p"; done
ok "old worker(s) [$old] gone"
id=0
for p in $new; do
	wait_until 10 has_pid_line web "$id" "$p"
	j=$(info_of_pid web "$id" "$p")
	echo "  web:$id: $j"
	assert_eq "$(printf '%s\n' "$j" | jpy 'd["F_MARK"]')" v2 \
	    "F_MARK seen by new worker $p (slot $id)"
	assert_eq "$(tr '\0' '\n' <"/proc/$p/environ" | grep '^F_MARK=')" \
	    F_MARK=v2 "F_MARK in /proc/$p/environ"
	id=$((id + 1))
done
expect_pids_answer "$port" "$want" "after reload"
same_set "$SEEN_PIDS" "$new" ||
    fail "pids that answered [$SEEN_PIDS] are not the listed [$new]"
assert_eq "$(http_get "$port" /info | jpy 'd["F_MARK"]')" v2 "F_MARK over http"
capture clm describe web --json
assert_eq "$RC" 0 "clm describe web --json exit status"
assert_eq "$(printf '%s\n' "$OUT" | jpy 'd["spec"]["instances"]')" "$want" \
    "spec.instances in describe"
assert_eq "$(printf '%s\n' "$OUT" |
    jpy '[e for e in d["spec"]["env"] if e.startswith("F_MARK=")]')" \
    F_MARK=v2 "F_MARK in describe's env"
for a in alpha beta s1 s3; do
	all_online "$a" 1 || fail "app $a (not in web.ini) disturbed by reload"
done
ok "the other apps are untouched"

check "reload of a file with a typo: rejected with its line, nothing changes"
clm_from_root reload "$proj/typo.ini"
show_capture
assert_eq "$RC" 1 "clm reload typo.ini exit status"
assert_contains "$ERR" "typo.ini:7:" "stderr"
assert_eq "$(pids_line web)" "$new" "web pids"

# --- environment rules ---------------------------------------------------

check "restart keeps the env of start; restart --update-env takes clm's"
F_CLI=first capture clm start "$FIXTURES/f_info.js" --name envr
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online envr 1
restart_and_read() {	# restart_and_read F_CLI [FLAGS]: sets J
	local p v=$1
	shift
	p=$(pid_of envr 0)
	F_CLI=$v capture clm restart envr "$@"
	show_capture
	assert_eq "$RC" 0 "clm restart envr $* exit status"
	wait_until 20 all_online envr 1
	[ "$(pid_of envr 0)" != "$p" ] || fail "restart kept pid $p"
	wait_until 10 has_pid_line envr 0 "$(pid_of envr 0)"
	J=$(info_of_pid envr 0 "$(pid_of envr 0)")
	echo "  $J"
}
restart_and_read second
assert_eq "$(printf '%s\n' "$J" | jpy 'd["F_CLI"]')" first \
    "F_CLI after a plain restart"
restart_and_read third --update-env
assert_eq "$(printf '%s\n' "$J" | jpy 'd["F_CLI"]')" third \
    "F_CLI after restart --update-env"
