#!/bin/bash
# Log files: no two apps share one (app web-0 --merge-logs and worker 0 of
# app web); a merged log from before takes its new name; and, as root,
# clm-logd and clm flush never go through a symbolic link, and clm-logd
# does not write into a log folder that others can write.
. "$(dirname "$0")/lib.sh"

LOGS=$CLM_HOME/logs
has() { grep -a -q -F -- "$2" "$1" 2>/dev/null; }

check "app web (2 workers) and app web-0 --merge-logs"
capture clm start "$FIXTURES/sleeper.js" --name web -i 2
assert_eq "$RC" 0 "clm start web"
capture clm start "$FIXTURES/sleeper.js" --name web-0 --merge-logs
assert_eq "$RC" 0 "clm start web-0"
w0=$(pid_of web 0)
w1=$(pid_of web 1)
m0=$(pid_of web-0 0)
wait_until 20 has "$LOGS/web-0-out.log" "sleeper $w0 up"
wait_until 20 has "$LOGS/web-0-all-out.log" "sleeper $m0 up"
assert_eq "$(cat "$LOGS/web-0-out.log")" "sleeper $w0 up" "web:0's file: web:0 only"
assert_eq "$(cat "$LOGS/web-0-all-out.log")" "sleeper $m0 up" "web-0's file: web-0 only"
capture clm logs web-0 --nostream
assert_contains "$OUT" "web-0 out | sleeper $m0 up" "clm logs web-0"
assert_not_contains "$OUT" "sleeper $w0 up" "clm logs web-0 without web:0"
capture clm logs web --nostream
assert_contains "$OUT" "web:0 out | sleeper $w0 up" "clm logs web: web:0"
assert_contains "$OUT" "web:1 out | sleeper $w1 up" "clm logs web: web:1"
assert_not_contains "$OUT" "sleeper $m0 up" "clm logs web without web-0"

check "a merged log from before (NAME-out.log) takes its new name"
printf 'an old line\n' >"$LOGS/mig-out.log"
capture clm start "$FIXTURES/sleeper.js" --name mig --merge-logs
assert_eq "$RC" 0 "clm start mig"
m=$(pid_of mig 0)
wait_until 20 has "$LOGS/mig-all-out.log" "sleeper $m up"
assert_eq "$(head -1 "$LOGS/mig-all-out.log")" "an old line" "the old lines kept"
[ -e "$LOGS/mig-out.log" ] && fail "mig-out.log is still there"
ok "mig-out.log is now mig-all-out.log"
capture clm delete all
assert_eq "$RC" 0 "clm delete all"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the rest needs root"
	exit 0
fi

check "as root: a symbolic link where a log file goes is not followed"
victim=$TEST_TMP/victim
printf 'precious\n' >"$victim"
ln -s "$victim" "$LOGS/ln-0-out.log"
capture clm start "$FIXTURES/sleeper.js" --name ln
assert_eq "$RC" 0 "clm start ln"
logd_says() { grep -q "ln-0-out.log: cannot open: it is a symbolic link" \
    "$CLM_HOME/clmd.log"; }
wait_until 20 logd_says
ok "clmd.log: $(grep -m1 "ln-0-out.log: cannot open" "$CLM_HOME/clmd.log" | cut -c1-160)"
assert_eq "$(cat "$victim")" "precious" "the link's target"

check "as root: clm flush does not empty a link's target"
capture clm flush ln
show_capture
assert_eq "$RC" 1 "clm flush exit status"
assert_contains "$ERR" "symbolic link" "says why"
assert_eq "$(cat "$victim")" "precious" "the link's target"
capture clm kill
assert_eq "$RC" 0 "clm kill"

check "as root: a log folder others can write is refused"
new_home
mkdir -p "$CLM_HOME"
chmod 700 "$CLM_HOME"
open_dir=$TEST_TMP/open-logs
mkdir -m 777 "$open_dir"
chmod 777 "$open_dir"
printf '[daemon]\nlog_dir = %s\n' "$open_dir" >"$CLM_HOME/clm.ini"
capture clm start "$FIXTURES/sleeper.js" --name od
assert_eq "$RC" 0 "clm start od"
refused() { grep -q "od-0-out.log: cannot open: the folder is not safe for root" \
    "$CLM_HOME/clmd.log"; }
wait_until 20 refused
line=$(grep -m1 "od-0-out.log: cannot open" "$CLM_HOME/clmd.log")
echo "  | $line"
assert_contains "$line" "$open_dir" "names the folder"
assert_contains "$line" "chmod go-w" "says the fix"
[ -e "$open_dir/od-0-out.log" ] && fail "clm-logd wrote into $open_dir"
ok "nothing written into $open_dir"
capture clm kill
assert_eq "$RC" 0 "clm kill"

check "as root, without clm-logd: clmd opens no file in such a folder either"
new_home
mkdir -p "$CLM_HOME"
chmod 700 "$CLM_HOME"
printf '[daemon]\nlog_dir = %s\n' "$open_dir" >"$CLM_HOME/clm.ini"
bin=$TEST_TMP/bin-no-logd
mkdir "$bin"
for f in clm clmd clm-exec libclm-preload.so clm-node.js; do
	[ -e "$CLM_BIN_DIR/$f" ] && cp "$CLM_BIN_DIR/$f" "$bin/"
done
CLM_BIN_DIR=$bin capture clm start "$FIXTURES/sleeper.js" --name nd
assert_eq "$RC" 0 "clm start nd"
if grep -q "clm-logd not found" "$CLM_HOME/clmd.log"; then
	wait_until 10 grep -q "nd-0-out.log: not opened: the log folder" \
	    "$CLM_HOME/clmd.log"
	[ -e "$open_dir/nd-0-out.log" ] && fail "clmd opened a file in $open_dir"
	ok "clmd.log: $(grep -m1 "nd-0-out.log: not opened" "$CLM_HOME/clmd.log" | cut -c1-140)"
else
	note "an installed clm-logd was found: nothing to check"
fi
CLM_BIN_DIR=$bin capture clm kill
assert_eq "$RC" 0 "clm kill"
