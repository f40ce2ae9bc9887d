#!/bin/bash
# Escaped descendants (issue 21, finding 6): a worker's setsid grandchild,
# out of the worker's process group, does not survive clm delete: it is
# reparented to clmd (a child subreaper) and carries the app's
# CLM_APP_NAME, so it goes with the app. Another app's are left alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

escaped_pid() { out_log "$1" | sed -n 's/^escaped \([0-9]*\)$/\1/p' | tail -n1; }
has_escaped() { [ -n "$(escaped_pid "$1")" ]; }

check "a setsid grandchild of a nobody worker goes with clm delete"
capture clm start "$SEC_FIX/sec_escape.sh" --name esc --user nobody --cwd "$SEC_FIX"
show_capture
assert_eq "$RC" 0 "clm start esc"
capture clm start "$SEC_FIX/sec_escape.sh" --name other --user nobody --cwd "$SEC_FIX"
assert_eq "$RC" 0 "clm start other"
wait_until 20 has_escaped esc
wait_until 20 has_escaped other
g=$(escaped_pid esc)
og=$(escaped_pid other)
track_pid "$g" "$og"
pid_alive "$g" || fail "the escaped process $g is not running"
note "escaped: esc $g (session $(ps -o sid= -p "$g" | tr -d ' ')), other $og"
assert_eq "$(stat -c %u /proc/"$g")" "$(id -u nobody)" "owner of the escaped process"
capture clm delete esc
assert_eq "$RC" 0 "clm delete esc"
wait_until 10 pid_dead "$g"
ok "escaped process $g gone with its app"
pid_alive "$og" || fail "another app's escaped process $og was killed"
ok "another app's ($og) left alone"
capture clm delete other
wait_until 10 pid_dead "$og"
ok "and it goes with its own app"
sec_done
