#!/bin/bash
# Output without a newline shows: clm-logd writes a partial line once it
# has waited a short while (LOGWRITER_PARTIAL_MS, 250 ms), not at 64 KiB or
# at the exit; with --time, the rest of that line gets no second
# timestamp; clm logs shows the partial line too.
. "$(dirname "$0")/lib.sh"

LOG=$CLM_HOME/logs/p-0-out.log
has() { grep -a -q -F -- "$1" "$LOG" 2>/dev/null; }

check "an app that writes 'step N... ' every 300 ms, with --time"
capture env STEPS=30 clm start "$FIXTURES/l_progress.js" --name p --time
assert_eq "$RC" 0 "clm start p"
follow_out=$TEST_TMP/follow.txt
clm logs p --lines 0 >"$follow_out" 2>&1 &
follower=$!
track_pid "$follower"

check "the first step is in the file within 2 s, before the line ends"
t0=$(now_ms)
wait_until 10 has "step 0... "
took=$(( $(now_ms) - t0 ))
note "step 0 in the file after ${took} ms"
assert_lt "$took" 2000 "ms until 'step 0' is in the file"
has "done" && fail "the line was already complete: the test proves nothing"
assert_contains "$(cat "$LOG")" "step 0... " "partial line in the file"

check "clm logs shows the partial line"
in_follow() { grep -a -q -F -- "$1" "$follow_out"; }
wait_until 20 in_follow "step 15... "
has "done" && fail "the line was already complete: the test proves nothing"
ok "the follower shows 'step 15' before the line ends"

check "the finished line has one timestamp, at its start"
wait_until 30 has "line after the progress"
line=$(grep -a "step 0" "$LOG")
echo "  | $line"
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z '
echo "$line" | grep -a -q -E "^${ts}step 0\\.\\.\\. step 1\\.\\.\\. .*step 29\\.\\.\\. done\$" ||
    fail "not one line with one timestamp: '$line'"
assert_eq "$(echo "$line" | grep -a -o -E "$ts" | wc -l)" 1 "timestamps in the line"
after=$(grep -a "line after the progress" "$LOG")
echo "$after" | grep -a -q -E "^${ts}line after the progress\$" ||
    fail "the next line has no timestamp of its own: '$after'"
ok "the next line has its own timestamp"

check "a partial line written early, then the app stops: one newline, no repeat"
LOG=$CLM_HOME/logs/q-0-out.log
capture env STEPS=1000 clm start "$FIXTURES/l_progress.js" --name q --time
assert_eq "$RC" 0 "clm start q"
wait_until 20 has "step 2... "
capture clm delete q
assert_eq "$RC" 0 "clm delete q"
assert_eq "$(grep -a -c "step 0\.\.\. " "$LOG")" 1 "step 0 written once"
assert_eq "$(grep -a -c "step" "$LOG")" 1 "one line of steps"
assert_eq "$(sed -n 2p "$LOG" | cut -c1-16)" "--- clm: app 'q'" \
    "the deletion's marker on a line of its own"
