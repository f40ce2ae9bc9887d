#!/bin/bash
# clm scale NAME N|+N|-N: up and down, relative and absolute; the worker
# count, slots and pids follow, slot 0 keeps its pid (scaling does not
# restart the others), a number above the logical cores is clamped with a
# note, and the app answers from every worker after each step.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

ncpu=$(nproc)
echo "logical cores (nproc): $ncpu"
clamp() { echo $(( $1 > ncpu ? ncpu : ($1 < 1 ? 1 : $1) )); }
port=$(free_port)

check "clm start http_pid.js -i 1 on port $port"
PORT=$port capture clm start "$FIXTURES/http_pid.js" -i 1 --name sc
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 all_online sc 1
first=$(pid_of sc 0)
expect_pids_answer "$port" 1 "start"
n=1

# scale_to ARG WANT: clm scale sc ARG gives WANT workers, all online, slots
# 0..WANT-1, distinct pids, slot 0 unchanged, the pids that left are gone,
# and all WANT pids answer on the port.
scale_to() {
	local before after p
	before=$(pids_line sc)
	capture clm scale sc "$1"
	show_capture
	assert_eq "$RC" 0 "clm scale sc $1 exit status"
	wait_until 20 all_online sc "$2"
	assert_eq "$(count_workers sc)" "$2" "workers after scale $1"
	assert_eq "$(list_json | jpy 'sorted(w["id"] for w in d
	    if w["name"] == "sc")' | tr '\n' ' ')" \
	    "$(seq -s ' ' 0 $(($2 - 1))) " "slots after scale $1"
	after=$(pids_line sc)
	echo "  pids: [$before] -> [$after]"
	assert_eq "$(printf '%s\n' $after | sort -u | wc -l)" "$2" \
	    "distinct pids after scale $1"
	assert_eq "$(pid_of sc 0)" "$first" "pid of slot 0 (untouched)"
	for p in $before; do
		case " $after " in
		*" $p "*) ;;
		*) wait_until 10 pid_dead "$p"; ok "removed worker $p is gone" ;;
		esac
	done
	expect_pids_answer "$port" "$2" "after scale $1"
	same_set "$SEEN_PIDS" "$after" ||
	    fail "pids that answered [$SEEN_PIDS] are not the listed [$after]"
	n=$2
}

check "scale +1 (relative up)"
scale_to +1 "$(clamp 2)"
check "scale -1 (relative down)"
scale_to -1 1
check "scale 2 (absolute up)"
scale_to 2 "$(clamp 2)"
check "scale 1 (absolute down)"
scale_to 1 1

check "scale 99: clamped to the $ncpu logical cores, with a note"
scale_to 99 "$ncpu"
assert_contains "$OUT" clamped "clm scale sc 99 stdout"
assert_contains "$OUT" 99 "clm scale sc 99 stdout"

check "scale max then 1"
scale_to max "$ncpu"
scale_to 1 1

check "scale -5 from 1: at least one worker stays (the note says so)"
scale_to -5 1
echo "  note from clm: $(printf '%s\n' "$OUT" | head -n1)"

check "bad arguments"
capture clm scale sc abc
show_capture
assert_eq "$RC" 2 "clm scale sc abc exit status"
assert_contains "$ERR" "see clm scale --help" "clm scale sc abc stderr"
capture clm scale nosuch 2
show_capture
assert_eq "$RC" 1 "clm scale nosuch 2 exit status"
assert_contains "$ERR" nosuch "clm scale nosuch 2 stderr"
assert_eq "$(count_workers sc)" 1 "workers of sc after the bad calls"
no_eaddrinuse sc
