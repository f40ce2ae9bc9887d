#!/bin/bash
# Racing `clm start`s on a fresh CLM_HOME start exactly one daemon and
# every app; of two racing starts of one name, one wins. A second clmd for the same CLM_HOME refuses. Three rounds, each
# on a fresh CLM_HOME.
. "$(dirname "$0")/lib.sh"

for round in 1 2 3; do
	[ "$round" -gt 1 ] && new_home
	check "round $round: four clm start at once on fresh $CLM_HOME"
	[ -e "$CLM_HOME" ] && fail "$CLM_HOME exists already"
	pids=()
	for i in 1 2 3 4; do
		clm start "$FIXTURES/sleeper.js" --name "r$i" \
		    >"$TEST_TMP/o$i" 2>&1 &
		pids+=($!)
	done
	# and two with the same name: one starts it, the other is refused
	for i in 5 6; do
		clm start "$FIXTURES/sleeper.js" --name same \
		    >"$TEST_TMP/o$i" 2>&1 &
		pids+=($!)
	done
	rcs=()
	for i in 1 2 3 4 5 6; do
		wait "${pids[$((i - 1))]}"
		rcs+=($?)
		sed "s/^/  o$i| /" "$TEST_TMP/o$i"
	done
	assert_eq "${rcs[*]:0:4}" "0 0 0 0" "exit status of the four clm start"
	assert_eq "$(printf '%s\n' "${rcs[4]}" "${rcs[5]}" | sort | tr '\n' ' ')" \
	    "0 1 " "exit status of the two clm start of 'same'"
	assert_contains "$(cat "$TEST_TMP/o5" "$TEST_TMP/o6")" "'same'" \
	    "the refusal names the app"
	d=$(clmd_pids_for_home)
	track_pid $d
	assert_eq "$(printf '%s\n' "$d" | grep -c .)" 1 "clmd processes for this CLM_HOME"
	assert_eq "$d" "$(daemon_pid)" "clmd.pid"
	for i in 1 2 3 4; do
		wait_until 20 all_online "r$i" 1
	done
	wait_until 20 all_online same 1
	ok "r1..r4 and same online, one worker each"

	if [ "$round" = 1 ]; then
		check "a second clmd for the same CLM_HOME refuses"
		capture timeout 10 "$CLM_BIN_DIR/clmd" --foreground
		show_capture
		assert_eq "$RC" 1 "second clmd exit status"
		assert_contains "$ERR" "another clmd" "second clmd stderr"
		assert_contains "$ERR" "$d" "second clmd stderr"
		assert_eq "$(clmd_pids_for_home)" "$d" "clmd processes for this CLM_HOME"
		capture clm ping
		assert_eq "$RC" 0 "clm ping exit status (first daemon still answers)"
	fi

	capture clm kill
	assert_eq "$RC" 0 "clm kill exit status"
done
