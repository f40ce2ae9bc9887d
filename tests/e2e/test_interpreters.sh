#!/bin/bash
# The interpreter is chosen by extension (.js node, .py python3, .sh sh,
# else the file is executed directly) or by --interpreter; unmodified HTTP
# apps in Node and Python answer from the worker clm lists.
. "$(dirname "$0")/lib.sh"

out_log() { echo "$CLM_HOME/logs/$1-0-out.log"; }
log_has() { grep -q "$2" "$(out_log "$1")" 2>/dev/null; }
# cmdline PID: the process's argv, space-separated.
cmdline() { tr '\0' ' ' <"/proc/$1/cmdline"; }
answers_with() { [ "$(http_get "$1")" = "$2" ]; }

check "a .js app runs under node and answers on its PORT"
port=$(free_port)
capture env PORT="$port" "$CLM_BIN_DIR/clm" start "$FIXTURES/http_pid.js" --name webjs
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online webjs 1
pid=$(pid_of webjs 0)
assert_contains "$(cmdline "$pid")" "$FIXTURES/http_pid.js" "worker's argv"
assert_contains "$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n1)" node "worker's argv[0]"
wait_until 10 answers_with "$port" "$pid"
ok "127.0.0.1:$port answers with the worker's pid $pid"

check "a .py app runs under python3 and answers on its PORT"
port=$(free_port)
capture env PORT="$port" "$CLM_BIN_DIR/clm" start "$FIXTURES/http_pid.py" --name webpy
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online webpy 1
pid=$(pid_of webpy 0)
assert_contains "$(cmdline "$pid")" "$FIXTURES/http_pid.py" "worker's argv"
assert_contains "$(cmdline "$pid")" python "worker's argv"
wait_until 10 answers_with "$port" "$pid"
ok "127.0.0.1:$port answers with the worker's pid $pid"

check "a .sh script runs under sh"
capture clm start "$FIXTURES/sleeper.sh"
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online sleeper 1	# default name: base name
wait_until 10 log_has sleeper up
assert_contains "$(cmdline "$(pid_of sleeper 0)")" "$FIXTURES/sleeper.sh" "worker's argv"

check "a file without a known extension is executed directly"
printf '#!/bin/sh\necho "direct $$ up"\nexec sleep 1000\n' >"$TEST_TMP/direct"
chmod +x "$TEST_TMP/direct"
capture clm start "$TEST_TMP/direct"
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online direct 1
wait_until 10 log_has direct up
assert_contains "$(cmdline "$(pid_of direct 0)")" "sleep 1000" "worker's argv (after its exec)"

check "--interpreter overrides the extension"
cp "$FIXTURES/sleeper.js" "$TEST_TMP/sleeper.txt"
capture clm start "$TEST_TMP/sleeper.txt" --interpreter node --name txt
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online txt 1
wait_until 10 log_has txt up
ok "sleeper.txt runs under node"

check "a non-executable file without a known extension is refused up front"
printf 'not a program\n' >"$TEST_TMP/plain"
capture clm start "$TEST_TMP/plain"
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_contains "$ERR" "$TEST_TMP/plain" "clm start stderr"
assert_eq "$(count_workers plain)" 0 "workers of plain"
