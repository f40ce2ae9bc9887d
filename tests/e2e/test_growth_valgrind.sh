#!/bin/bash
# Nothing clmd keeps grows with what it does (issue 20's soak, exactly):
# clmd --foreground under valgrind, followed across `clm update` (the new
# image too), with an app reloaded (2 workers, a --listen socket each), a
# crash loop, an app scaled up and down, clm-logd killed, and clients
# (list, metrics, describe). After each round of these events valgrind's
# leak check (through vgdb) counts clmd's heap:
#   round 1: clm update, events   -> A (the new image, one round in)
#   round 2, 3: events            -> B (the same image, three rounds in)
#   round 4: clm update, events   -> C (a newer image, one round in)
# Nothing lost at any check, B within 64 bytes of A (nothing kept per
# event) and C within 64 bytes of A (nothing carried from image to image).
# A round's figure is the least of 3 checks a second apart, the crash loop
# stopped (see heap below): so measured, clmd's heap is the same to the
# byte round after round. The soak sees a leak as RSS after minutes; this
# sees 8 bytes kept per request or per worker started.
#
# Skips (loudly, exit 0) when valgrind is not installed, and under an
# ASan build (the two do not mix).
. "$(dirname "$0")/lib.sh"

need_valgrind "clmd's growth"

SLACK=64	# bytes
VG_DIR=$TEST_TMP/vg
mkdir -p "$VG_DIR"
CLM_CMD_TIMEOUT=120	# slow under valgrind

mkdir -p "$CLM_HOME" && chmod 700 "$CLM_HOME"
printf '#!/bin/sh\nsleep 0.3\nexit 3\n' >"$TEST_TMP/crash.sh"
chmod +x "$TEST_TMP/crash.sh"
cat >"$TEST_TMP/apps.ini" <<EOF
[web]
script = $FIXTURES/sleeper.sh
instances = 2
listen = 127.0.0.1:$(free_port)

[crash]
script = $TEST_TMP/crash.sh
min_uptime = 100
max_restarts = 1000000

[scaler]
script = $FIXTURES/sleeper.sh
EOF

check "clmd --foreground under valgrind (and its next images), three apps"
# --trace-children: clm update's clmd image, and the one it checks first;
# not the workers, clm-logd and clm-keeper. %n: an image's log does not
# overwrite the one before it (same pid).
valgrind --trace-children=yes \
    --trace-children-skip='*/sh,*/bash,*/sleep,*/env,*clm-exec,*clm-logd,*clm-keeper' \
    --vgdb=yes --leak-check=full --errors-for-leak-kinds=definite \
    --log-file="$VG_DIR/vg.%p.%n.log" "$CLM_BIN_DIR/clmd" --foreground \
    >"$TEST_TMP/clmd.out" 2>&1 &
VG_PID=$!
track_pid "$VG_PID"
daemon_up() { clm ping; }
wait_until 120 daemon_up
capture clm start "$TEST_TMP/apps.ini"
show_capture
assert_eq "$RC" 0 "clm start apps.ini"
ok "clmd answers under valgrind (pid $VG_PID)"

logd_pid() { pgrep -P "$VG_PID" -x clm-logd | head -n1; }
new_logd() { local p; p=$(logd_pid); [ -n "$p" ] && [ "$p" != "$1" ]; }
# clm update refuses while a worker launches (the crash loop's often is,
# about 90 ms of its 400): tries at random gaps, since tries at a fixed
# one can fall in step with the loop and hit its launch every time.
update() {
	local i
	for ((i = 0; i < 120; i++)); do
		capture clm update
		[ "$RC" = 0 ] && return 0
		case $ERR in
		*"try again"*) sleep "0.$((RANDOM % 9 + 1))" ;;
		*) break ;;
		esac
	done
	show_capture
	fail "clm update"
}
quiet() { all_online web 2 && all_online scaler 1; }
# events: every kind once or twice.
events() {
	local l
	capture clm reload web
	assert_eq "$RC" 0 "clm reload web"
	capture clm scale scaler 2
	assert_eq "$RC" 0 "clm scale scaler 2"
	capture clm scale scaler 1
	assert_eq "$RC" 0 "clm scale scaler 1"
	l=$(logd_pid)
	[ -n "$l" ] && kill -KILL "$l"
	wait_until 60 new_logd "$l"
	for _ in 1 2; do
		clm list --json >/dev/null || fail "clm list --json"
		clm metrics >/dev/null || fail "clm metrics"
		clm describe web >/dev/null || fail "clm describe web"
	done
	capture clm reload web
	assert_eq "$RC" 0 "clm reload web"
	wait_until 60 quiet
}
# heap NAME: HEAP = the least reachable bytes of 3 leak checks a second
# apart, the crash loop stopped (a worker in flight holds its channel and
# log streams; clm-keeper's checkpoint of a change, the state's copy).
# Fails on any byte definitely or indirectly lost, and on bytes possibly
# lost at every check (once: a channel that closes is pointed at only
# inside, by libuv's list of handles).
stopped() { status_is crash 0 stopped; }
# no_more WHEN...: HEAP is no more than 64 bytes above A.
no_more() {
	[ "$HEAP" -le $((A + SLACK)) ] ||
	    fail "clmd keeps $((HEAP - A)) bytes more $*; see $VG_DIR/lc.*"
	ok "$HEAP bytes reachable (one round in: $A), none lost"
}
heap() {
	local i f b possibly=0
	HEAP=
	capture clm stop crash
	assert_eq "$RC" 0 "clm stop crash"
	wait_until 60 stopped
	sleep 1
	for i in 1 2 3; do
		f=$VG_DIR/lc.$1.$i
		timeout -k 5 120 vgdb --pid="$VG_PID" leak_check full \
		    reachable any >"$f" 2>&1
		grep -q 'still reachable:' "$f" || {
			sed 's/^/  vgdb| /' "$f" | tail -n 20
			fail "$1: no leak check from vgdb"
		}
		grep -qE 'possibly lost: [1-9]' "$f" && possibly=$((possibly + 1))
		if grep -qE '(definitely|indirectly) lost: [1-9]' "$f" ||
		    [ "$possibly" = 3 ]; then
			awk '/lost in loss record/ { p = 1 }
			    /reachable in loss/ { p = 0 } p' "$f" |
			    sed 's/^/  vgdb| /' | head -n 80
			grep -E 'lost:' "$f" | sed 's/^/  vgdb| /'
			fail "$1: clmd lost memory"
		fi
		b=$(sed -n 's/.*still reachable: \([0-9,]*\) bytes.*/\1/p' "$f" |
		    tr -d ,)
		[ -z "$HEAP" ] || [ "$b" -lt "$HEAP" ] && HEAP=$b
		sleep 1
	done
	capture clm start crash
	assert_eq "$RC" 0 "clm start crash"
}

check "round 1: clm update, then every event; round 2 and 3: the events"
update
events
heap a
A=$HEAP
ok "one round into the new image: $A bytes reachable, none lost"
events
events
heap b
no_more "after two more rounds of events (a leak per event)"

check "round 4: clm update, then every event"
update
events
heap c
no_more "one round after a second update than after the first (a leak" \
    "carried across clm update)"

check "SIGTERM: clmd exits, every image's valgrind saw no error"
vg_term "$VG_PID"
rc=$VG_RC
assert_eq "$rc" 0 "clmd's exit status under valgrind"
bad=$(grep -l 'ERROR SUMMARY: [1-9]' "$VG_DIR"/vg.*.log)
if [ -n "$bad" ]; then
	sed 's/^/  valgrind| /' $bad | head -n 80
	fail "valgrind found errors: $bad"
fi
grep -h 'definitely lost:' "$VG_DIR/vg.$VG_PID".*.log | grep -v ' 0 bytes' &&
    fail "clmd lost memory (at exit)"
ok "$(grep -h -o 'ERROR SUMMARY: .*' "$VG_DIR/vg.$VG_PID".*.log | sort | uniq -c | tr -s ' ')"
