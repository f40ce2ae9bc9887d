#!/bin/bash
# clm resurrect (tracker 22, item 11): an app saved stopped comes back
# stopped; one crash-looping saved app does not hide the table; the clamp
# note is said at the start, not at every resurrect.
. "$(dirname "$0")/lib.sh"

ncpu=$(nproc)
printf '#!/bin/sh\necho no >&2\nexit 3\n' >"$TEST_TMP/crash.sh"

check "up (-i $((ncpu + 3)), clamped), down (stopped), crash (crash-looping)"
capture clm start "$FIXTURES/sleeper.sh" --name up -i $((ncpu + 3))
show_capture
assert_contains "$OUT" "clamped" "the first start says the clamp"
clm start "$FIXTURES/sleeper.sh" --name down >/dev/null || fail "start down"
clm stop down >/dev/null || fail "stop down"
clm start "$TEST_TMP/crash.sh" --name crash --max-restarts 2 >/dev/null
wait_until 20 status_is crash 0 errored
clm save >/dev/null || fail "clm save"
clm kill >/dev/null || fail "clm kill"

check "clm resurrect: a table of all three, down stopped, exit 1 for crash"
capture clm resurrect
show_capture
assert_eq "$RC" 1 "exit status (crash does not come online)"
assert_contains "$OUT" "down was saved stopped" "stdout"
assert_not_contains "$OUT" "clamped" "stdout"
for app in up down crash; do
	printf '%s\n' "$OUT" | grep -Eq "^[0-9]+ +$app " ||
	    fail "no row of $app in the table"
done
ok "the table has up, down and crash"
assert_eq "$(status_of down 0)" stopped "down"
wait_until 20 all_online up "$ncpu"
ok "up: $ncpu workers online"

check "clm start down starts it"
clm start down >/dev/null || fail "clm start down"
wait_until 20 all_online down 1
clm delete all >/dev/null || fail "clm delete all"
echo "PASS: $TEST_NAME"
