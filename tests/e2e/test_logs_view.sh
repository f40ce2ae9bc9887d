#!/bin/bash
# What clm logs shows of bytes an app writes: a byte that is not UTF-8
# (shown as \xNN; clm logs and a follower keep working), terminal escapes
# (escaped unless --raw), a 1 MiB line (cut, with a marker), --lines 0
# (only new lines), a deleted app (its files), no daemon (the files), and
# a follower told when its app or the daemon goes away.
. "$(dirname "$0")/lib.sh"

EMIT_DIR=$TEST_TMP/emit
mkdir -p "$EMIT_DIR"
export EMIT_DIR
n_emit=0
emit() {	# emit BYTES (printf format): the app writes them
	n_emit=$((n_emit + 1))
	printf "$1" >"$EMIT_DIR/.tmp"
	mv "$EMIT_DIR/.tmp" "$EMIT_DIR/$(printf %04d $n_emit)"
}
LOG=$CLM_HOME/logs/b-0-out.log
file_has() { grep -a -q -F -- "$1" "$LOG" 2>/dev/null; }

check "an app that writes bytes"
capture clm start "$FIXTURES/l_bytes.py" --name b --interpreter "$PY"
assert_eq "$RC" 0 "clm start b"
wait_until 20 file_has "l_bytes"

check "a follower started before a bad byte"
follow_out=$TEST_TMP/follow.txt
clm logs b --lines 0 >"$follow_out" 2>&1 &
follower=$!
track_pid "$follower"
sleep 1	# the follower's first look (a new line before it is not 'new')

emit 'bad \xff\xfe byte\n'
emit 'esc \033[31mred\033[0m bell\a end\ttab\n'
wait_until 20 file_has "tab"

check "clm logs after a non-UTF-8 byte"
capture clm logs b --nostream
show_capture
assert_eq "$RC" 0 "clm logs b"
assert_contains "$OUT" 'b:0 out | bad \xff\xfe byte' "the bad bytes as \\xNN"
capture clm logs --nostream
assert_eq "$RC" 0 "clm logs (every app)"
assert_contains "$OUT" 'bad \xff\xfe byte' "in the logs of every app"

check "terminal escapes are escaped, unless --raw"
assert_contains "$OUT" 'esc \x1b[31mred\x1b[0m bell\x07 end	tab' "escaped"
assert_not_contains "$OUT" "$(printf '\033')" "no raw ESC"
capture clm logs b --nostream --raw
assert_contains "$OUT" "$(printf 'esc \033[31mred\033[0m bell\a end\ttab')" \
    "--raw: as written"
assert_contains "$OUT" 'bad \xff\xfe byte' "--raw: still \\xNN for non-UTF-8"

check "a 1 MiB line is shown cut, with a marker"
/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(b"L" * 1048576 + b"\nafter the long line\n")' >"$EMIT_DIR/.tmp"
n_emit=$((n_emit + 1)); mv "$EMIT_DIR/.tmp" "$EMIT_DIR/$(printf %04d $n_emit)"
wait_until 20 file_has "after the long line"
capture clm logs b --nostream --lines 3
assert_eq "$RC" 0 "clm logs b"
assert_contains "$OUT" "b:0 out | LLLLLLLL" "the long line's start"
assert_contains "$OUT" "[clm: line cut, 1048576 bytes]" "the marker"
assert_contains "$OUT" "b:0 out | after the long line" "the line after"
assert_lt "${#OUT}" 40000 "what was shown (bytes)"

check "the follower: alive, only new lines, the bad bytes and the long line"
in_follow() { grep -a -q -F -- "$1" "$follow_out"; }
wait_until 20 in_follow "after the long line"
pid_alive "$follower" || fail "the follower died"
got=$(cat "$follow_out")
assert_not_contains "$got" "l_bytes" "--lines 0: no old line"
assert_contains "$got" 'bad \xff\xfe byte' "bad bytes followed"
assert_contains "$got" '\x1b[31mred' "escapes followed"
assert_contains "$got" "[clm: line cut, 1048576 bytes]" "the long line cut"

check "clm logs --lines 0 --nostream prints nothing"
capture clm logs b --lines 0 --nostream
assert_eq "$RC" 0 "exit status"
assert_eq "$OUT" "" "output"

check "a follower is told when its app is deleted"
capture clm delete b
assert_eq "$RC" 0 "clm delete b"
wait_until 20 pid_dead "$follower"
wait "$follower"
assert_eq "$?" 0 "the follower's exit status"
assert_contains "$(cat "$follow_out")" "clm: app 'b' was deleted" "it says so"

check "clm logs of a deleted app shows its files"
capture clm logs b --nostream --lines 2
assert_eq "$RC" 0 "exit status"
assert_contains "$OUT" "b:0 out | after the long line" "its last line"
assert_contains "$OUT" "not running (deleted)" "says it is deleted"

check "a follower is told when the daemon stops"
capture clm start "$FIXTURES/l_bytes.py" --name c --interpreter "$PY"
assert_eq "$RC" 0 "clm start c"
follow2=$TEST_TMP/follow2.txt
clm logs c >"$follow2" 2>&1 &
follower=$!
track_pid "$follower"
in_follow2() { grep -a -q -F -- "$1" "$follow2"; }
wait_until 20 in_follow2 "l_bytes"
capture clm kill
assert_eq "$RC" 0 "clm kill"
wait_until 20 pid_dead "$follower"
assert_contains "$(cat "$follow2")" "the daemon is stopping" "it says so"

check "clm logs with no daemon reads the files"
capture clm logs b --nostream --lines 2
show_capture
assert_eq "$RC" 0 "exit status"
assert_contains "$OUT" "b:0 out | after the long line" "b's last line"
assert_contains "$ERR" "no daemon is running" "says there is no daemon"
capture clm logs --nostream --lines 2
assert_contains "$OUT" "b:0 out | after the long line" "every app: b"
assert_contains "$OUT" "c:0 out | l_bytes" "every app: c"
capture clm logs nosuch --nostream
assert_eq "$RC" 1 "an app with no files"
assert_contains "$ERR" "no log files of 'nosuch'" "message"

check "a re-created app does not show the old app's lines as its own"
new_home
capture clm start "$FIXTURES/sleeper.js" --name r -i 2
assert_eq "$RC" 0 "clm start r"
old0=$(pid_of r 0)
old1=$(pid_of r 1)
has_up() { grep -a -q "sleeper $2 up" "$CLM_HOME/logs/$1" 2>/dev/null; }
wait_until 20 has_up r-0-out.log "$old0"
wait_until 20 has_up r-1-out.log "$old1"
capture clm delete r
assert_eq "$RC" 0 "clm delete r"
capture clm logs r --nostream
assert_contains "$OUT" "r:0 out | sleeper $old0 up" "the deleted app's lines"
assert_contains "$OUT" "r:0 out | --- clm: app 'r' deleted at" "the marker"
capture clm start "$FIXTURES/sleeper.js" --name r
assert_eq "$RC" 0 "clm start r again"
new0=$(pid_of r 0)
wait_until 20 has_up r-0-out.log "$new0"
capture clm logs r --nostream
show_capture
assert_contains "$OUT" "r:0 out | sleeper $new0 up" "the new app's line"
assert_not_contains "$OUT" "sleeper $old0 up" "no line of the old app's worker 0"
assert_not_contains "$OUT" "sleeper $old1 up" "no line of the old app's worker 1"
capture clm kill
assert_eq "$RC" 0 "clm kill"
capture clm logs r --nostream
assert_contains "$OUT" "r:0 out | sleeper $new0 up" "no daemon: the new app's line"
assert_not_contains "$OUT" "sleeper $old0 up" "no daemon: not the old app's"
