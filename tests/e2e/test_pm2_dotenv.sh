#!/bin/bash
# env_file: a dotenv file read into the app's environment, from an app
# file (env_file = PATH), the CLI (--env-file PATH) and an ecosystem file
# (env_file: PATH). Every form (tests/fixtures/pm2/app.env): comments,
# export, blanks around '=', single quotes (literal), double quotes (with
# escapes), a bare value's " # comment", an empty value, a repeated key
# (the last wins); env.NAME keys win over the file. A bad line is reported
# as FILE:LINE and nothing starts. Also instance_var: the variable that
# carries the instance number instead of NODE_APP_INSTANCE.
. "$(dirname "$0")/lib.sh"

proj=$TEST_TMP/proj
mkdir -p "$proj"
cp "$FIXTURES"/pm2/envdump.js "$FIXTURES"/pm2/app.env "$FIXTURES"/pm2/bad.env \
    "$proj/"

out_log() { echo "$CLM_HOME/logs/$1-0-out.log"; }
has_dump() { [ -s "$(out_log "$1")" ]; }

# check_env APP: APP's environment holds every value of app.env.
check_env() {
	local app=$1 override=$2 dump
	wait_until 20 has_dump "$app"
	dump=$(head -n1 "$(out_log "$app")")
	printf '%s\n' "$dump" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
want = {
    "PLAIN": "hello world",
    "EXPORTED": "yes",
    "SPACED": "trimmed value",
    "SINGLE": "$HOME \\n # raw",
    "DOUBLE": "line1\nline2 \"q\" \\ end",
    "HASH": "value",
    "QHASH": "a # not a comment",
    "EMPTY": "",
    "OVERRIDE": sys.argv[1],
    "DUP": "second",
}
bad = [(k, d.get(k), v) for k, v in want.items() if d.get(k) != v]
for k, got, v in bad:
    print("  %s: got %r, want %r" % (k, got, v))
sys.exit(1 if bad else 0)' "$override" || fail "$app's environment"
	ok "$app: every dotenv form read (OVERRIDE=$override)"
}

check "an app file's env_file, under its env.NAME keys"
cat >"$proj/apps.ini" <<'INI'
[fromini]
script = envdump.js
env_file = app.env
env.OVERRIDE = from-ini
INI
capture clm start "$proj/apps.ini"
[ "$RC" = 0 ] || { show_capture; fail "clm start apps.ini"; }
check_env fromini from-ini
assert_contains "$(clm describe fromini)" "env_file            $proj/app.env" \
    "describe shows the file, absolute"

check "clm start --env-file (and --instance-var: the slot in MY_ID)"
capture bash -c 'cd "$1" && shift && exec "$@"' _ "$proj" \
    "$CLM_BIN_DIR/clm" start envdump.js --name fromcli --env-file app.env \
    --instance-var MY_ID
[ "$RC" = 0 ] || { show_capture; fail "clm start --env-file"; }
check_env fromcli from-file
dump=$(head -n1 "$(out_log fromcli)")
assert_eq "$(jpy 'd.get("MY_ID")' <<<"$dump")" 0 "MY_ID (instance_var)"
assert_eq "$(jpy 'd.get("NODE_APP_INSTANCE")' <<<"$dump")" null \
    "NODE_APP_INSTANCE with another instance_var"

check "an ecosystem file's env_file"
cat >"$proj/ecosystem.json" <<'JSON'
{ "apps": [ { "name": "fromeco", "script": "envdump.js",
  "env_file": "app.env", "env": { "OVERRIDE": "from-eco" } } ] }
JSON
capture clm start "$proj/ecosystem.json"
[ "$RC" = 0 ] || { show_capture; fail "clm start ecosystem.json"; }
check_env fromeco from-eco

check "a bad line: FILE:LINE, nothing starts"
cat >"$proj/bad.ini" <<'INI'
[badini]
script = envdump.js
env_file = bad.env
INI
capture clm start "$proj/bad.ini"
[ "$RC" = 1 ] || { show_capture; fail "bad.ini started"; }
assert_contains "$ERR" "$proj/bad.env:3: 'this line is wrong' is not KEY=VALUE" \
    "the app file's error"
assert_eq "$(count_workers badini)" 0 "badini's workers"
capture bash -c 'cd "$1" && shift && exec "$@"' _ "$proj" \
    "$CLM_BIN_DIR/clm" start envdump.js --name badcli --env-file bad.env
[ "$RC" = 1 ] || { show_capture; fail "--env-file bad.env started"; }
assert_contains "$ERR" "bad.env:3: 'this line is wrong' is not KEY=VALUE" \
    "the CLI's error"
assert_eq "$(count_workers badcli)" 0 "badcli's workers"
printf 'A="open\n' >"$proj/quote.env"
sed -i 's/app.env/quote.env/' "$proj/ecosystem.json"
clm delete fromeco >/dev/null
capture clm start "$proj/ecosystem.json"
[ "$RC" = 1 ] || { show_capture; fail "quote.env started"; }
assert_contains "$ERR" "quote.env:1: the \" quote is not closed" \
    "an open quote's error"
ok "reported: $ERR"
