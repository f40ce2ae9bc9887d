#!/bin/bash
# -i 0 / max give one online worker per logical core, -i 99 is clamped with a
# note, -i -1 gives all but one (at least 1), no -i gives one.
. "$(dirname "$0")/lib.sh"

ncpu=$(nproc)
echo "logical cores (nproc): $ncpu"

# check_app NAME N: NAME has exactly N workers, all online, slots 0..N-1,
# N distinct live pids.
check_app() {
	wait_until 20 all_online "$1" "$2"
	ok "$1: $2 workers online"
	local ids pids
	ids=$(list_json | jpy 'sorted(w["id"] for w in d if w["name"] == A[0])' "$1" | tr '\n' ' ')
	assert_eq "$ids" "$(seq -s ' ' 0 $(($2 - 1))) " "$1: slots"
	pids=$(pids_of "$1")
	assert_eq "$(printf '%s\n' "$pids" | sort -u | wc -l)" "$2" "$1: distinct pids"
	for p in $pids; do
		pid_alive "$p" || fail "$1: worker pid $p is not running"
	done
}

check "no -i gives one worker"
capture clm start "$FIXTURES/sleeper.js" --name one
show_capture
assert_eq "$RC" 0 "clm start exit status"
check_app one 1

check "-i 0 gives one online worker per logical core"
capture clm start "$FIXTURES/sleeper.js" -i 0 --name zero
show_capture
assert_eq "$RC" 0 "clm start -i 0 exit status"
check_app zero "$ncpu"
assert_not_contains "$OUT" clamped "clm start -i 0 stdout"
clm delete zero >/dev/null || fail "clm delete zero failed"

check "-i max gives one online worker per logical core"
capture clm start "$FIXTURES/sleeper.js" -i max --name max
show_capture
assert_eq "$RC" 0 "clm start -i max exit status"
check_app max "$ncpu"
clm delete max >/dev/null || fail "clm delete max failed"

check "-i 99 is clamped to the logical cores, and says so on stdout"
capture clm start "$FIXTURES/sleeper.js" -i 99 --name big
show_capture
assert_eq "$RC" 0 "clm start -i 99 exit status"
assert_contains "$OUT" clamped "clm start -i 99 stdout"
assert_contains "$OUT" 99 "clm start -i 99 stdout"
check_app big "$ncpu"
clm delete big >/dev/null || fail "clm delete big failed"

check "-i -1 gives all cores but one, at least one"
want=$((ncpu > 1 ? ncpu - 1 : 1))
capture clm start "$FIXTURES/sleeper.js" -i -1 --name minus
show_capture
assert_eq "$RC" 0 "clm start -i -1 exit status"
check_app minus "$want"

check "--instances 2 is clamped like -i"
want=$((ncpu < 2 ? ncpu : 2))
capture clm start "$FIXTURES/sleeper.js" --instances 2 --name two
show_capture
assert_eq "$RC" 0 "clm start --instances 2 exit status"
check_app two "$want"
