#!/bin/bash
# Worker environment (CLI env + CLM_APP_NAME, CLM_INSTANCE,
# NODE_APP_INSTANCE per slot), arguments after --, cwd, and the log files
# $CLM_HOME/logs/NAME-ID-out.log and -err.log.
. "$(dirname "$0")/lib.sh"

n=$(( $(nproc) < 2 ? 1 : 2 ))
export CLM_TEST_MARK="mark $$"
mkdir -p "$TEST_TMP/wd"

check "start printenv.js -i $n with args after --, in --cwd"
capture clm start "$FIXTURES/printenv.js" -i "$n" --name envy \
    --cwd "$TEST_TMP/wd" -- --alpha beta "two words" -i 7
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online envy "$n"

out_log() { echo "$CLM_HOME/logs/$1-$2-out.log"; }
err_log() { echo "$CLM_HOME/logs/$1-$2-err.log"; }
has_line() { [ -s "$1" ] && grep -q "$2" "$1"; }

for id in $(seq 0 $((n - 1))); do
	check "slot $id: env, argv, cwd, logs"
	o=$(out_log envy "$id")
	e=$(err_log envy "$id")
	wait_until 10 has_line "$o" CLM_APP_NAME
	wait_until 10 has_line "$e" stderr
	j=$(grep CLM_APP_NAME "$o" | tail -n1)
	echo "  $j"
	get() { printf '%s\n' "$j" | jpy "d[A[0]]" "$1"; }
	assert_eq "$(get CLM_APP_NAME)" envy CLM_APP_NAME
	assert_eq "$(get CLM_INSTANCE)" "$id" CLM_INSTANCE
	assert_eq "$(get NODE_APP_INSTANCE)" "$id" NODE_APP_INSTANCE
	assert_eq "$(get CLM_TEST_MARK)" "$CLM_TEST_MARK" "CLM_TEST_MARK (from the CLI's env)"
	assert_eq "$(printf '%s\n' "$j" | jpy 'json.dumps(d["argv"])')" \
	    '["--alpha", "beta", "two words", "-i", "7"]' "argv"
	assert_eq "$(get cwd)" "$TEST_TMP/wd" cwd
	assert_eq "$(get pid)" "$(pid_of envy "$id")" "pid in the log = pid in clm list"
	grep -q stderr "$o" && fail "stderr line in $o"
	grep -q CLM_APP_NAME "$e" && fail "stdout line in $e"
	ok "stdout in $(basename "$o"), stderr in $(basename "$e")"
done

check "a relative script and no --cwd: resolved against the CLI's cwd"
mkdir -p "$TEST_TMP/wd2"
cp "$FIXTURES/printenv.js" "$TEST_TMP/wd2/penv.js"
capture bash -c 'cd "$1" && shift && "$@"' _ "$TEST_TMP/wd2" \
    "$CLM_BIN_DIR/clm" start penv.js
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online penv 1		# default name: base name
o=$(out_log penv 0)
wait_until 10 has_line "$o" CLM_APP_NAME
j=$(grep CLM_APP_NAME "$o" | tail -n1)
assert_eq "$(printf '%s\n' "$j" | jpy 'd["cwd"]')" "$TEST_TMP/wd2" cwd
assert_eq "$(printf '%s\n' "$j" | jpy 'd["CLM_APP_NAME"]')" penv CLM_APP_NAME
assert_eq "$(printf '%s\n' "$j" | jpy 'len(d["argv"])')" 0 "argv length"

check "after a restart, the new run appends to the same log"
before=$(grep -c CLM_APP_NAME "$o")
capture clm restart penv
assert_eq "$RC" 0 "clm restart exit status"
more_lines() { [ "$(grep -c CLM_APP_NAME "$o")" -gt "$before" ]; }
wait_until 10 more_lines
ok "$(basename "$o") has $(grep -c CLM_APP_NAME "$o") runs"
