#!/bin/bash
# Bad verbs, flags, names and scripts give clear errors with the documented
# exit codes; verbs other than start never start a daemon.
. "$(dirname "$0")/lib.sh"

# no_daemon: no clmd for CLM_HOME, no socket.
no_daemon() {
	[ "$(clmd_pids_for_home | grep -c .)" = 0 ] || fail "a clmd runs for $CLM_HOME"
	[ -e "$CLM_HOME/clm.sock" ] && fail "$CLM_HOME/clm.sock exists"
	ok "no daemon was started"
}

# expect RC STDERR_NEEDLE CMD...: run CMD, check its exit status, that stderr
# contains the needle and is one line starting "clm: " (when RC != 0).
expect() {
	local want=$1 needle=$2
	shift 2
	capture "$@"
	echo "  \$ $*"
	show_capture
	assert_eq "$RC" "$want" "exit status of '$*'"
	if [ "$want" != 0 ]; then
		assert_contains "$ERR" "$needle" "stderr of '$*'"
		case "$ERR" in
		"clm: "*) ;;
		*) fail "stderr of '$*' does not start with 'clm: '" ;;
		esac
	fi
}

check "usage errors exit 2 and name the problem"
expect 2 frobnicate clm frobnicate
assert_contains "$ERR" "help" "stderr of an unknown verb (points to --help)"
expect 2 ambiguous clm st x
expect 2 --bogus clm start "$FIXTURES/sleeper.js" --bogus
expect 2 abc clm start "$FIXTURES/sleeper.js" -i abc
expect 2 abc clm start "$FIXTURES/sleeper.js" --instances abc
expect 2 "" clm start "$FIXTURES/sleeper.js" -i
expect 2 "" clm start
expect 2 NOSUCHSIG clm start "$FIXTURES/sleeper.js" --kill-signal NOSUCHSIG
expect 2 "" clm stop
expect 2 --bogus clm list --bogus
no_daemon

check "help and version"
expect 0 "" clm --help
assert_contains "$OUT" start "clm --help"
expect 0 "" clm help
expect 0 "" clm start --help
assert_contains "$OUT" kill-timeout "clm start --help"
expect 0 "" clm --version
assert_contains "$OUT" 0.1.0 "clm --version"
expect 0 "" "$CLM_BIN_DIR/clmd" --version
no_daemon

check "a missing script is an error naming it, and starts no daemon"
expect 1 nope.js clm start nope.js
assert_contains "$ERR" "not found" "stderr"
expect 1 "nope.js" clm start "$TEST_TMP/missing/nope.js"
mkdir -p "$TEST_TMP/wd"
expect 1 "$TEST_TMP/wd" clm start nope.js --cwd "$TEST_TMP/wd"
expect 1 "$TEST_TMP" clm start "$TEST_TMP"	# a directory is not a script
no_daemon

check "an interpreter missing from PATH is an error naming it"
expect 1 node env PATH=/nonexistent "$CLM_BIN_DIR/clm" start "$FIXTURES/sleeper.js"
expect 1 no-such-interp clm start "$FIXTURES/sleeper.js" --interpreter no-such-interp
no_daemon

check "verbs without a daemon: no daemon started"
for v in stop restart delete describe; do
	expect 1 "no daemon" clm "$v" web
done
expect 1 "no daemon" clm stop all
expect 1 "" clm ping
assert_contains "$OUT$ERR" "no daemon" "clm ping output"
expect 1 "" clm pi	# unique prefix of ping
expect 0 "" clm list
expect 0 "" clm ls --json
assert_eq "$(printf '%s' "$OUT" | jpy 'len(d)')" 0 "clm ls --json length"
expect 0 "" clm kill
no_daemon

check "with a daemon: unknown names and duplicate starts"
expect 0 "" clm start "$FIXTURES/sleeper.js" --name web
wait_until 20 all_online web 1
expect 1 web clm start "$FIXTURES/sleeper.js" --name web
expect 1 web clm start "$FIXTURES/sleeper.js" -n web
for v in stop restart delete describe; do
	expect 1 nosuch clm "$v" nosuch
done
expect 1 nosuch clm start nosuch	# a name, not a file: no such app
expect 2 "" clm describe
assert_eq "$(count_workers web online)" 1 "web still online after the errors"
assert_eq "$(restarts_of web 0)" 0 "web restarts"
