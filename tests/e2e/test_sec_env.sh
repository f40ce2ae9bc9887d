#!/bin/bash
# The environment of an app run as another user (issue 21, finding 6):
# the app file's env lines on a minimal base (PATH of the system's folders,
# LANG, LC_*, TZ, the user's HOME, USER, LOGNAME, SHELL), not the root
# CLI's tokens, keys, SUDO_* or PATH; inherit_env = yes gives it all, as
# before; restart --update-env keeps to the same rule.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

export SECRET_TOKEN=tok-123 AWS_SECRET_ACCESS_KEY=aws-456 SUDO_USER=admin
export NODE_ENV=production
export LANG=C.UTF-8 TZ=Europe/Paris
export PATH="/root/bin:$PATH"
# env_of APP: the last environment its worker printed.
env_of() { out_log "$1" | awk '/^--- env$/ { b = "" } { b = b $0 "\n" } END { printf "%s", b }'; }
has_env() { env_of "$1" | grep -q -- "--- end"; }
runs_of() { out_log "$1" | grep -c -- "^--- end$"; }
runs_at_least() { [ "$(runs_of "$1")" -ge "$2" ]; }

check "a --user app gets a minimal environment"
capture clm start "$SEC_FIX/sec_env.sh" --name plain --user nobody --cwd "$SEC_FIX"
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 has_env plain
e=$(env_of plain)
echo "$e" | sed 's/^/  plain| /'
assert_not_contains "$e" "SECRET_TOKEN" "the CLI's token"
assert_not_contains "$e" "AWS_SECRET_ACCESS_KEY" "the CLI's cloud key"
assert_not_contains "$e" "SUDO_USER" "SUDO_USER"
assert_not_contains "$e" "/root/bin" "root's PATH"
assert_contains "$e" "PATH=/usr/local/bin:/usr/bin:/bin" "PATH"
assert_contains "$e" "LANG=C.UTF-8" "LANG"
assert_contains "$e" "TZ=Europe/Paris" "TZ"
assert_contains "$e" "HOME=$(getent passwd nobody | cut -d: -f6)" "HOME"
assert_contains "$e" "USER=nobody" "USER"
assert_contains "$e" "LOGNAME=nobody" "LOGNAME"
assert_contains "$e" "SHELL=$(getent passwd nobody | cut -d: -f7)" "SHELL"
assert_contains "$e" "CLM_APP_NAME=plain" "clm's variables"

check "an app file's env lines are kept, the CLI's secrets are not"
printf '[filed]\nscript = %s\nuser = nobody\nenv.APP_MODE = production\nenv.SECRET_TOKEN = declared\nenv.NODE_ENV = production\n' \
    "$SEC_FIX/sec_env.sh" >"$TEST_TMP/apps.ini"
capture clm start "$TEST_TMP/apps.ini"
assert_eq "$RC" 0 "clm start apps.ini"
wait_until 20 has_env filed
e=$(env_of filed)
assert_contains "$e" "APP_MODE=production" "a declared variable"
assert_contains "$e" "SECRET_TOKEN=declared" "a declared variable the CLI has too"
assert_contains "$e" "NODE_ENV=production" "a declared variable equal to the CLI's"
assert_not_contains "$e" "AWS_SECRET_ACCESS_KEY" "the CLI's cloud key"

check "the same from an ecosystem file (uid: nobody)"
printf '{"apps":[{"name":"eco","script":"%s","uid":"nobody","env":{"APP_MODE":"production","NODE_ENV":"production"}}]}\n' \
    "$SEC_FIX/sec_env.sh" >"$TEST_TMP/eco.json"
capture clm start "$TEST_TMP/eco.json"
assert_eq "$RC" 0 "clm start eco.json"
wait_until 20 has_env eco
e=$(env_of eco)
assert_contains "$e" "APP_MODE=production" "a declared variable"
assert_contains "$e" "NODE_ENV=production" "a declared variable equal to the CLI's"
assert_not_contains "$e" "SECRET_TOKEN" "the CLI's token"

check "restart --update-env of a --user app: still the minimal base"
SECRET_TWO=two capture clm restart plain --update-env
assert_eq "$RC" 0 "clm restart --update-env"
wait_until 20 runs_at_least plain 2
assert_not_contains "$(env_of plain)" "SECRET_TWO" "the CLI's new variable"

check "--inherit-env: the whole environment, as asked"
capture clm start "$SEC_FIX/sec_env.sh" --name whole --user nobody --inherit-env --cwd "$SEC_FIX"
assert_eq "$RC" 0 "clm start --inherit-env"
wait_until 20 has_env whole
assert_contains "$(env_of whole)" "SECRET_TOKEN=tok-123" "the CLI's token"

check "a root app keeps clm's whole environment"
capture clm start "$SEC_FIX/sec_env.sh" --name rooted --cwd "$SEC_FIX"
wait_until 20 has_env rooted
assert_contains "$(env_of rooted)" "SECRET_TOKEN=tok-123" "the CLI's token"
sec_done
