#!/bin/bash
# App files used again (tracker 22, item 10): `clm start apps.ini` after
# an app was added to the file starts the new one and says which ran
# already (exit 0). Quotes follow one rule: args are split like a shell,
# and any other quoted value is one word, its quotes removed.
. "$(dirname "$0")/lib.sh"

cat >"$TEST_TMP/show.sh" <<'SH'
#!/bin/sh
echo "MSG=[$MSG] PLAIN=[$PLAIN] ARGS=$#:[$1][$2]"
while :; do sleep 1; done
SH
ini=$TEST_TMP/apps.ini
cat >"$ini" <<'INI'
[one]
script = show.sh
env.MSG = "Hi there"     ; a comment
env.PLAIN = a b
args = "x y" z
INI

check "clm start apps.ini: app one"
capture clm start "$ini"
show_capture
assert_eq "$RC" 0 "exit status"
wait_until 20 all_online one 1
line() { grep -q "MSG=" "$CLM_HOME/logs/$1-0-out.log"; }
wait_until 10 line one
got=$(grep "MSG=" "$CLM_HOME/logs/one-0-out.log")
assert_eq "$got" "MSG=[Hi there] PLAIN=[a b] ARGS=2:[x y][z]" "what the app got"
p1=$(pid_of one 0)

check "add app two to the file; clm start apps.ini again starts it, leaves one"
cat >>"$ini" <<'INI'

[two]
script = show.sh
env.MSG = 'single quoted'
INI
capture clm start "$ini"
show_capture
assert_eq "$RC" 0 "exit status"
assert_contains "$OUT" "one is running already" "stdout"
wait_until 20 all_online two 1
assert_eq "$(pid_of one 0)" "$p1" "one's pid"
wait_until 10 line two
got=$(grep "MSG=" "$CLM_HOME/logs/two-0-out.log")
assert_contains "$got" "MSG=[single quoted]" "two's MSG"

check "clm start apps.ini with everything running: exit 0, both named"
capture clm start "$ini"
show_capture
assert_eq "$RC" 0 "exit status"
assert_contains "$OUT" "one is running already" "stdout"
assert_contains "$OUT" "two is running already" "stdout"

check "a half-quoted value is an error at its line"
printf '[three]\nscript = show.sh\nenv.X = "a" b\n' >"$TEST_TMP/bad.ini"
capture clm start "$TEST_TMP/bad.ini"
show_capture
assert_eq "$RC" 1 "exit status"
assert_contains "$ERR" "bad.ini:3" "stderr"
clm delete all >/dev/null || fail "clm delete all"
echo "PASS: $TEST_NAME"
