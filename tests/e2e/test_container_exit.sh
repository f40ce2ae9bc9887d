#!/bin/bash
# clmd --foreground --apps FILE as a container's PID 1 would run it: the
# apps start once it listens; SIGTERM stops them all and the exit status
# says whether they all stopped by their kill signal (0) or one needed
# SIGKILL after its kill timeout (1). A bad app file is refused at once.
. "$(dirname "$0")/lib.sh"

cat >"$TEST_TMP/good.ini" <<INI
[web]
script = $FIXTURES/sleeper.js
instances = 2
INI
cat >"$TEST_TMP/stubborn.ini" <<INI
[web]
script = $FIXTURES/sleeper.js

[stubborn]
script = $FIXTURES/ignore_sigint.js
kill_timeout = 500ms
INI
printf '[web]\nscrip = x.js\n' >"$TEST_TMP/bad.ini"

# run_clmd FILE: start clmd --foreground --apps FILE in the background.
run_clmd() {
	env CLM_HOME="$CLM_HOME" "$CLM_BIN_DIR/clmd" --foreground --apps "$1" \
	    >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
	clmd=$!
	track_pid "$clmd"
}

check "a bad app file: clmd exits 1 at once, naming the problem"
capture env CLM_HOME="$CLM_HOME" "$CLM_BIN_DIR/clmd" --foreground \
    --apps "$TEST_TMP/bad.ini"
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "scrip" "the bad key named"
ok "refused"

check "SIGTERM, every worker stops by its kill signal: exit 0"
run_clmd "$TEST_TMP/good.ini"
wait_until 30 all_online web 2
pids=$(pids_of web)
kill -TERM "$clmd"
wait "$clmd"
assert_eq "$?" 0 "clmd's exit status"
for p in $pids; do pid_dead "$p" || fail "worker $p still runs"; done
ok "clean stop"

check "SIGTERM, a worker needs SIGKILL: exit 1, and clmd says which"
new_home
run_clmd "$TEST_TMP/stubborn.ini"
wait_until 30 all_online web 1
wait_until 30 all_online stubborn 1
pids="$(pids_of web) $(pids_of stubborn)"
kill -TERM "$clmd"
wait "$clmd"
assert_eq "$?" 1 "clmd's exit status"
for p in $pids; do pid_dead "$p" || fail "worker $p still runs"; done
assert_contains "$(cat "$TEST_TMP/err")" "stubborn:0: pid" "names the worker"
assert_contains "$(cat "$TEST_TMP/err")" "only by SIGKILL" "says why 1"
ok "unclean stop reported"
