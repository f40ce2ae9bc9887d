#!/bin/bash
# clm scale NAME 0 (tracker 22, item 12) meant one worker per core,
# silently. It is refused, pointing to clm stop and to max.
. "$(dirname "$0")/lib.sh"

clm start "$FIXTURES/sleeper.sh" --name sc -i 2 >/dev/null || fail "clm start"
wait_until 20 all_online sc 2

check "clm scale sc 0: refused, the workers stay"
capture clm scale sc 0
show_capture
assert_eq "$RC" 2 "exit status"
assert_contains "$ERR" "clm stop sc" "stderr"
assert_contains "$ERR" "max" "stderr"
assert_eq "$(count_workers sc)" 2 "workers"

check "clm scale sc max still means one per core"
capture clm scale sc max
show_capture
assert_eq "$RC" 0 "exit status"
ncpu=$(nproc)
wait_until 20 all_online sc "$ncpu"
ok "$ncpu workers"
clm delete sc >/dev/null || fail "clm delete"
echo "PASS: $TEST_NAME"
