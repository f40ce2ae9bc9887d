#!/bin/bash
# A big app file: its start request is over the first limit of clm's
# requests and app files (1 MiB, 2,500 plain apps: a file of 3,000 was
# refused). 40 apps of 150 env values of 180 bytes each (a line is at most
# 198 characters) make a 1.1 MB file and a 1.2 MB request: every app starts
# with all its values. Past the limits (16 MiB) the file is refused with its
# size and nothing starts.
. "$(dirname "$0")/lib.sh"

N=40
V=150
VAL=$(head -c 180 /dev/zero | tr '\0' x)

check "an app file of 1.1 MB ($N apps, $V env values of 180 bytes each)"
for ((i = 0; i < N; i++)); do
	printf '[b%d]\nscript = /bin/sleep\nargs = 100000\nlisten_timeout = 0\n' "$i"
	for ((v = 0; v < V; v++)); do
		printf 'env.V%d = %s\n' "$v" "$VAL"
	done
done >"$TEST_TMP/big.ini"
size=$(stat -c %s "$TEST_TMP/big.ini")
assert_lt $((1024 * 1024)) "$size" "the file's size (over 1 MiB)"
capture clm start "$TEST_TMP/big.ini"
[ "$RC" = 0 ] || show_capture
assert_eq "$RC" 0 "clm start big.ini exit status"
track_pid "$(daemon_pid)"
n_online() { list_json | jpy 'sum(1 for w in d if w["status"] == "online")'; }
wait_until 60 eval '[ "$(n_online)" = "$N" ]'
ok "$N workers online"
# Each worker has all the values in its environment.
pid=$(pid_of b$((N - 1)) 0)
got=$(tr '\0' '\n' <"/proc/$pid/environ" | grep -c "^V[0-9]*=$VAL\$")
assert_eq "$got" "$V" "V0...V$((V - 1)) in the last worker's environment"

check "clm delete all: nothing left"
capture clm delete all
assert_eq "$RC" 0 "clm delete all exit status"
assert_eq "$(list_json | jpy 'len(d)')" 0 "apps left"
wait_until 30 eval '[ -z "$(pgrep -P "$(daemon_pid)" -x sleep)" ]'
ok "no worker left"

check "an app file over 16 MiB: refused with its size, nothing started"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ';' >"$TEST_TMP/huge.ini"
capture clm start "$TEST_TMP/huge.ini"
assert_eq "$RC" 1 "clm start huge.ini exit status"
assert_contains "$OUT$ERR" "huge.ini: larger than 16 MiB" "the error"
assert_eq "$(list_json | jpy 'len(d)')" 0 "apps after the refusal"
ok "refused"
