#!/bin/bash
# Root trusts only root's files (issue 21, finding 4; ssh's StrictModes):
# with clm and clmd run as root, a CLM_HOME, clm.ini, dump.json or a binary
# for clm update that another user owns or can write is refused, with a
# message naming the file and the fix; nothing of that user's runs as root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

# What nobody owns: a script that records who runs it.
nob=$TEST_TMP/nob
mkdir -p "$nob"
marks=$TEST_TMP/marks
mkdir -p "$marks"
chmod 777 "$marks"
printf '#!/bin/sh\necho "uid=$(id -u)" >>%s/ran\nexec sleep 1000\n' \
    "$marks" >"$nob/evil.sh"
chmod 755 "$nob/evil.sh"
chown -R nobody:nogroup "$nob"
ran_as_root() { grep -q "^uid=0$" "$marks/ran" 2>/dev/null; }

check "root's resurrect refuses a dump.json that nobody replaced in a 0777 CLM_HOME"
capture clm start "$SEC_FIX/sleeper.sh" --name saved
assert_eq "$RC" 0 "clm start"
capture clm save
assert_eq "$RC" 0 "clm save"
capture clm kill
chmod 0777 "$CLM_HOME"
# The attacker's dump: the saved one with its script (built by root here
# for convenience, as nobody could write it from scratch).
"$PY" -c '
import json, sys
path, evil, out = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.loads(open(path).read())
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "script" and isinstance(v, str):
                o[k] = evil
            else:
                walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(d)
open(out, "w").write(json.dumps(d))
' "$CLM_HOME/dump.json" "$nob/evil.sh" "$TEST_TMP/evil-dump.json"
chmod 644 "$TEST_TMP/evil-dump.json"
as_nobody sh -c 'cp "$1" "$2.new" && mv -f "$2.new" "$2"' sh \
    "$TEST_TMP/evil-dump.json" "$CLM_HOME/dump.json" ||
    fail "nobody could not replace dump.json"
grep -q "$nob/evil.sh" "$CLM_HOME/dump.json" || fail "the dump was not replaced"
capture clm resurrect
show_capture
assert_eq "$RC" 1 "clm resurrect exit status"
assert_contains "$ERR" "refusing CLM_HOME $CLM_HOME: $CLM_HOME is writable by everyone" "the message names CLM_HOME"
assert_contains "$ERR" "chmod go-w $CLM_HOME" "the message gives the fix"
sleep 0.5
ran_as_root && fail "nobody's script ran as root"
ok "nobody's script did not run as root"
capture clm kill

check "a dump.json that nobody owns is refused even in root's CLM_HOME"
chmod 0700 "$CLM_HOME"
chown nobody "$CLM_HOME/dump.json"
capture clm resurrect
show_capture
assert_eq "$RC" 1 "clm resurrect exit status"
assert_contains "$ERR" "dump.json belongs to nobody" "the message names dump.json"
sleep 0.5
ran_as_root && fail "nobody's script ran as root"
ok "nobody's script did not run as root"
capture clm kill

check "a CLM_HOME that nobody owns (with a clm.ini giving it socket_group) is refused"
new_home
mkdir -p "$CLM_HOME"
printf '[daemon]\nsocket_group = nogroup\n' >"$CLM_HOME/clm.ini"
chown -R nobody "$CLM_HOME"
capture clm start "$SEC_FIX/sleeper.sh" --name s
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_contains "$ERR" "belongs to nobody" "the message names the owner"
assert_eq "$(clmd_pids_for_home "$CLM_HOME" | wc -w)" 0 "daemons for that home"
capture clm kill

check "a clm.ini that nobody can write is refused by clmd"
new_home
mkdir -p "$CLM_HOME"
chmod 0700 "$CLM_HOME"
printf '[daemon]\nsocket_group = nogroup\n' >"$CLM_HOME/clm.ini"
chmod 0666 "$CLM_HOME/clm.ini"
capture clmd -n
show_capture
assert_eq "$RC" 1 "clmd -n exit status"
assert_contains "$ERR" "clm.ini is writable by everyone" "clmd -n names clm.ini"
capture clm start "$SEC_FIX/sleeper.sh" --name s
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_eq "$(clmd_pids_for_home "$CLM_HOME" | wc -w)" 0 "daemons for that home"
capture clm kill

check "clm update --binary: only a binary of root's that no one else can write"
new_home
capture clm start "$SEC_FIX/sleeper.sh" --name u
assert_eq "$RC" 0 "clm start"
cp "$SEC_BIN/clmd" "$nob/clmd"
chown nobody "$nob/clmd"
capture clm update --binary "$nob/clmd"
show_capture
assert_eq "$RC" 1 "clm update of nobody's binary"
assert_contains "$ERR" "clmd belongs to nobody" "the message names the binary"
mkdir -p "$TEST_TMP/rootbin"
cp "$SEC_BIN/clmd" "$TEST_TMP/rootbin/clmd"
chown nobody "$TEST_TMP/rootbin"
capture clm update --binary "$TEST_TMP/rootbin/clmd"
show_capture
assert_eq "$RC" 1 "clm update of root's binary in nobody's folder"
assert_contains "$ERR" "rootbin belongs to nobody" "the message names the folder"
capture clm update --binary "$SEC_BIN/clmd"
show_capture
assert_eq "$RC" 0 "clm update of root's binary"
capture clm kill
sec_done
