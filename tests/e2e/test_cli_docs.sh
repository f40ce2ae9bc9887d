#!/bin/bash
# Docs agree with behaviour (tracker 22, item 18): what `clm list --help`
# says about no daemon is what `clm list` does; the verbs that take one
# worker say NAME:ID in their usage and in the README's verb table.
# (clm start --help, the README and config/clm.ini listing the same keys
# is the unit test options_docs_list_every_option's.)
. "$(dirname "$0")/lib.sh"

check "clm list with no daemon: as its --help says"
capture clm list --help
assert_contains "$OUT" "With no daemon running" "clm list --help"
capture clm list
assert_eq "$RC" 0 "clm list exit status"
assert_contains "$OUT" "(no apps" "clm list"
assert_eq "$(clm list --json)" "[]" "clm list --json"
[ ! -e "$CLM_HOME/clm.sock" ] || fail "clm list started a daemon"

check "NAME:ID in the usage of each verb that takes a worker, and in the README"
for verb in stop restart reload describe logs; do
	capture clm "$verb" --help
	assert_contains "$(printf '%s\n' "$OUT" | head -n1)" "NAME:ID" "clm $verb --help"
	grep "^| \`clm $verb " "$CLM_SRC_DIR/README.md" | grep -q "NAME:ID" ||
	    fail "README's verb table: clm $verb lacks NAME:ID"
done
ok "README's verb table"
grep -q "^### Ids and one-shot jobs" "$CLM_SRC_DIR/README.md" ||
    fail "README: no 'Ids and one-shot jobs' section"
ok "README: Ids and one-shot jobs"
echo "PASS: $TEST_NAME"
