#!/usr/bin/env bash
# clm monit in a real terminal (tmux): the apps and their states appear; a
# worker killed from outside shows its new pid and restart count within
# 2 s; restarting the selected app from the keyboard works (asking
# first); a resize keeps the layout within the new width; q quits; with
# no terminal it says so.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { echo "SKIP: no tmux"; exit 77; }

TS=$TEST_TMP/tmux.sock
tm() { tmux -S "$TS" "$@"; }
# The tmux server goes too, whatever happens.
trap 'r=$?; tmux -S "$TS" kill-server 2>/dev/null; (exit $r); _cleanup' EXIT
pane() { tm capture-pane -p -t mon; }
pane_has() { pane | grep -q -- "$1"; }

check "without a terminal it says so"
capture clm monit </dev/null
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "needs a terminal" "the message"

check "the apps and their states appear"
clm start "$FIXTURES/sleeper.sh" --name mon -i 2 >/dev/null || fail "clm start"
wait_until 20 all_online mon 2
tm new-session -d -s mon -x 120 -y 30 \
    "CLM_HOME='$CLM_HOME' '$CLM_BIN_DIR/clm' monit"
track_pid "$(tm display -p -t mon '#{pid}')"
track_pid "$(tm display -p -t mon '#{pane_pid}')"
p0=$(pid_of mon 0)
wait_until 10 pane_has "mon:0 .*online .*$p0"
wait_until 10 pane_has "mon:1 .*online"
pane | sed 's/^/  pane| /' | head -6
ok "listed"

check "a worker killed from outside: its new pid and restarts within 2 s"
kill -KILL "$p0"
wait_until 10 sh -c "[ \"\$('$CLM_BIN_DIR/clm' list --json | grep -c '\"online\"')\" = 2 ]"
t0=$(now_ms)
p0b=$(pid_of mon 0)
wait_until 5 pane_has "mon:0 .*online .*$p0b .* 1 "
dt=$(( $(now_ms) - t0 ))
note "shown ${dt} ms after clm list had it"
assert_lt "$dt" 2000 "ms until the pane shows the new pid"

check "r, then y: the selected app restarts"
pids_before="$(pid_of mon 0) $(pid_of mon 1)"
tm send-keys -t mon r
wait_until 5 pane_has "restart mon? (y/n)"
tm send-keys -t mon y
wait_until 20 pane_has "restart mon: done"
pids_after="$(pid_of mon 0) $(pid_of mon 1)"
[ "$pids_before" != "$pids_after" ] || fail "the pids did not change: $pids_after"
ok "restarted: $pids_before -> $pids_after"

check "a resize keeps the layout within the width"
tm resize-window -t mon -x 60 -y 16
wait_until 5 sh -c "[ \$(tmux -S '$TS' display -p -t mon '#{pane_width}') = 60 ]"
wait_until 5 pane_has "mon:1"
long=$(pane | awk 'length($0) > 60' | wc -l)
pane | sed 's/^/  pane| /'
assert_eq "$long" 0 "lines wider than the pane"
assert_contains "$(pane)" "clm monit" "the header"

check "q quits"
tm send-keys -t mon q
wait_until 10 sh -c "! tmux -S '$TS' has-session -t mon 2>/dev/null"
tm kill-server 2>/dev/null
ok "gone"
