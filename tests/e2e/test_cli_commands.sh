#!/bin/bash
# Commands as a PM2 user types them (tracker 22, item 14): a command found
# on PATH (clm start npm -- start), a directory named as one, several
# names at once, clm delete saying what it did, Ctrl-C during a start,
# unicode app names.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TEST_TMP/bin" "$TEST_TMP/work"
cat >"$TEST_TMP/bin/mytool" <<'SH'
#!/bin/sh
echo "mytool $*"
while :; do sleep 1; done
SH
chmod +x "$TEST_TMP/bin/mytool"
cd "$TEST_TMP/work" || fail "cd"

check "clm start mytool -- serve: found on PATH"
PATH=$TEST_TMP/bin:$PATH capture clm start mytool -- serve
show_capture
assert_eq "$RC" 0 "exit status"
wait_until 20 all_online mytool 1
says() { grep -q "mytool serve" "$CLM_HOME/logs/mytool-0-out.log"; }
wait_until 10 says
ok "it runs with its argument"

check "clm start on a directory, and on a command that is nowhere"
capture clm start "$TEST_TMP/bin"
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "is a directory" "stderr"
capture clm start nosuchtool -- x
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "not found" "stderr"

check "clm stop a b, clm restart a b: several names"
clm start "$FIXTURES/sleeper.sh" --name a >/dev/null || fail "start a"
clm start "$FIXTURES/sleeper.sh" --name b >/dev/null || fail "start b"
capture clm stop a b
show_capture
assert_eq "$RC" 0 "exit status"
assert_eq "$(status_of a 0)" stopped "a"
assert_eq "$(status_of b 0)" stopped "b"
assert_eq "$(status_of mytool 0)" online "mytool"
capture clm restart a b
assert_eq "$RC" 0 "exit status"
assert_eq "$(status_of a 0)" online "a"
assert_eq "$(status_of b 0)" online "b"

check "clm delete a b: says what it did"
capture clm delete a b
show_capture
assert_eq "$RC" 0 "exit status"
assert_contains "$OUT" "deleted a (1 worker, 1 running" "stdout"
assert_contains "$OUT" "deleted b" "stdout"
wait_until 10 app_absent a

check "unicode names: accepted, shown as they are"
capture clm start "$FIXTURES/sleeper.sh" --name café
show_capture
assert_eq "$RC" 0 "exit status"
assert_contains "$OUT" "café" "the table"
wait_until 20 all_online café 1
capture clm logs café --nostream
assert_contains "$OUT" "café:0 out | sleeper.sh" "clm logs café"
capture clm start "$FIXTURES/sleeper.sh" --name "$(printf 'bad\377')"
assert_eq "$RC" 2 "a name that is not UTF-8: exit status"

check "Ctrl-C during clm start: says the app keeps starting"
# The binary itself (lib.sh's clm is a function: a subshell), an app that
# takes 3 s (listen_timeout) to be taken as online.
"$CLM_BIN_DIR/clm" start "$FIXTURES/sleeper.sh" --name slow --min-uptime 6s \
    --listen-timeout 6s >"$TEST_TMP/o" 2>"$TEST_TMP/e" &
cpid=$!
track_pid "$cpid"
seen() { [ "$(count_workers slow)" = 1 ]; }
wait_until 10 seen
kill -INT "$cpid"
wait "$cpid"
rc=$?
assert_eq "$rc" 130 "clm start's exit status"
assert_contains "$(cat "$TEST_TMP/e")" "keeps starting slow" "stderr"
wait_until 20 all_online slow 1
ok "slow came online all the same"
printf '[slow2]\nscript = %s\nmin_uptime = 6s\nlisten_timeout = 6s\n' \
    "$FIXTURES/sleeper.sh" >"$TEST_TMP/slow.ini"
"$CLM_BIN_DIR/clm" start "$TEST_TMP/slow.ini" >"$TEST_TMP/o" 2>"$TEST_TMP/e" &
cpid=$!
track_pid "$cpid"
seen2() { [ "$(count_workers slow2)" = 1 ]; }
wait_until 10 seen2
kill -INT "$cpid"
wait "$cpid"
assert_eq "$?" 130 "clm start FILE's exit status"
assert_contains "$(cat "$TEST_TMP/e")" "keeps starting the apps of" "stderr"
wait_until 20 all_online slow2 1
clm delete all >/dev/null || fail "clm delete all"
echo "PASS: $TEST_NAME"
