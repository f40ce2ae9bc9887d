#!/bin/bash
# Ids (tracker 22, item 7): a worker is NAME:ID wherever one worker makes
# sense (logs, stop, restart, reload, describe); a bare number, a PM2
# habit, is answered with how clm names apps and workers.
. "$(dirname "$0")/lib.sh"

check "app web, 2 workers"
clm start "$FIXTURES/sleeper.sh" --name web -i 2 >/dev/null || fail "clm start"
wait_until 20 all_online web 2
p0=$(pid_of web 0)
p1=$(pid_of web 1)

check "a bare number: says how clm addresses apps and workers"
for verb in stop logs describe restart; do
	capture clm $verb 0
	show_capture
	assert_eq "$RC" 1 "clm $verb 0: exit status"
	assert_contains "$ERR" "NAME:ID" "clm $verb 0: stderr"
done

check "clm logs web:1 shows web:1's lines only"
has_1() { clm logs web:1 --nostream | grep -q "web:1 out | sleeper.sh $p1 up"; }
wait_until 10 has_1
ok "web:1's line"
capture clm logs web:1 --nostream
assert_not_contains "$OUT" "web:0" "clm logs web:1"

check "clm describe web:1: one worker"
capture clm describe web:1 --json
show_capture
assert_eq "$RC" 0 "exit status"
assert_eq "$(printf '%s' "$OUT" | jpy '[w["id"] for w in d["workers"]]')" 1 \
    "the workers described"

check "clm stop web:1 stops that worker only"
capture clm stop web:1
show_capture
assert_eq "$RC" 0 "exit status"
assert_eq "$(status_of web 1)" stopped "web:1"
assert_eq "$(status_of web 0)" online "web:0"
assert_eq "$(pid_of web 0)" "$p0" "web:0's pid"
wait_until 10 pid_dead "$p1"

check "clm restart web:1 starts it again; web:0 untouched"
capture clm restart web:1
show_capture
assert_eq "$RC" 0 "exit status"
assert_eq "$(status_of web 1)" online "web:1"
assert_eq "$(pid_of web 0)" "$p0" "web:0's pid"
p1=$(pid_of web 1)

check "clm reload web:0 replaces web:0 only"
capture clm reload web:0
show_capture
assert_eq "$RC" 0 "exit status"
[ "$(pid_of web 0)" != "$p0" ] || fail "web:0 kept its pid $p0"
ok "web:0 has a new pid"
assert_eq "$(pid_of web 1)" "$p1" "web:1's pid"

check "a worker that is not there, and verbs that take an app"
capture clm stop web:7
show_capture
assert_eq "$RC" 1 "clm stop web:7: exit status"
assert_contains "$ERR" "no worker 7" "stderr"
capture clm delete web:1
show_capture
assert_eq "$RC" 2 "clm delete web:1: exit status"
assert_contains "$ERR" "takes an app's name" "stderr"
capture clm stop web:x
assert_eq "$RC" 2 "clm stop web:x: exit status"
clm delete web >/dev/null || fail "clm delete"
echo "PASS: $TEST_NAME"
