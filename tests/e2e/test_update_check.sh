#!/bin/bash
# clm update runs a handshake before it re-executes anything: the new
# binary must answer, on a pipe the daemon gives it, with the daemon's nonce
# and the state version it reads. An exit status proves nothing: /bin/true,
# /bin/false, clm itself, a truncated clmd, a shell script (even one that
# exits 0 and prints the old "takes state version" line) are each refused
# with a message that says why; the same daemon answers after each, its
# workers keep their pids, and a real clmd still takes over.
. "$(dirname "$0")/lib.sh"

check "a daemon with a worker"
capture clm start "$FIXTURES/sleeper.js" --name s -i 2
assert_eq "$RC" 0 "clm start s"
daemon=$(daemon_pid)
before=$(pids_of s | tr '\n' ' ')

trunc=$TEST_TMP/clmd-truncated
head -c 20000 "$CLM_BIN_DIR/clmd" >"$trunc"
chmod +x "$trunc"
script=$TEST_TMP/fake-clmd.sh
cat >"$script" <<'SH'
#!/bin/sh
echo "clmd 9.9 takes state version $2"
exit 0
SH
chmod +x "$script"
sleepy=$TEST_TMP/sleepy.sh
printf '#!/bin/sh\nexec sleep 1000\n' >"$sleepy"
chmod +x "$sleepy"

refused() {	# refused BINARY WHY
	check "clm update --binary $1 is refused ($2)"
	capture clm update --binary "$1"
	show_capture
	assert_eq "$RC" 1 "clm update exit status"
	assert_contains "$ERR" "the daemon stays as it is" "says the daemon stays"
	assert_contains "$ERR" "$2" "says why"
	capture clm ping
	assert_eq "$RC" 0 "clm ping after"
	assert_contains "$OUT" "clmd pid $daemon" "same daemon"
	assert_eq "$(pids_of s | tr '\n' ' ')" "$before" "worker pids"
	[ -S "$CLM_HOME/clm.sock" ] || fail "clm.sock is gone"
}

refused /bin/true "exited with status 0 without answering the upgrade handshake"
refused /bin/false "exited with status 1 without answering"
refused "$CLM_BIN_DIR/clm" "without answering the upgrade handshake"
refused "$trunc" "without answering the upgrade handshake"
refused "$script" "saying 'clmd 9.9 takes state version 1'"
# A real clmd asked about another state version says no on fd 3.
other=$TEST_TMP/other-version.sh
printf '#!/bin/sh\nexec %s --check-upgrade 99 "$3"\n' "$CLM_BIN_DIR/clmd" >"$other"
chmod +x "$other"
refused "$other" "which cannot read the state of this clmd (version 1)"
# An answer on fd 3 with another nonce.
forged=$TEST_TMP/forged.sh
printf '#!/bin/sh\necho "clmd-upgrade 0123456789abcdef 1 9.9" >&3\n' >"$forged"
chmod +x "$forged"
refused "$forged" "with a wrong answer to the upgrade handshake"
capture grep -c "re-executing" "$CLM_HOME/clmd.log"
assert_eq "$OUT" 0 "no re-exec was tried"

check "a binary that never ends is killed at the time limit"
t0=$(now_ms)
refused "$sleepy" "did not finish within"
assert_lt "$(( $(now_ms) - t0 ))" 20000 "refused within 20 s"
assert_eq "$(pgrep -f "sleep 1000" -P "$daemon" | wc -l)" 0 \
    "the check's process is gone"

check "the real clmd still takes over, with the same pids"
capture clm update
show_capture
assert_eq "$RC" 0 "clm update"
assert_contains "$OUT" "took over in pid $daemon" "took over"
assert_eq "$(daemon_pid)" "$daemon" "daemon pid"
assert_eq "$(pids_of s | tr '\n' ' ')" "$before" "worker pids"

check "clmd --check-upgrade by hand says it is not for people"
capture "$CLM_BIN_DIR/clmd" --check-upgrade 1
assert_eq "$RC" 2 "exit status"
assert_contains "$ERR" "asked by clm update" "message"
