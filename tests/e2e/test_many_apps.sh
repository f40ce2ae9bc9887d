#!/bin/bash
# 2,000 apps (two app files of 1,000 /bin/sleep): clm delete all, clm list
# and clm stop all must cost clmd CPU time linear in the number of apps, not
# quadratic. Measured as clmd's own CPU time (user + system, from /proc), which a
# busy machine does not inflate the way it does wall time. The bounds are
# 10 to 20 times what the linear paths cost here (50 ms for the delete,
# 50 ms for three lists, 150 ms for the stop), and below what the
# quadratic path cost that this test was written against: a scan of the
# log folder per deleted app, 2.1 s of clmd's CPU for this delete.
. "$(dirname "$0")/lib.sh"

# The bounds are for the plain build: under AddressSanitizer every fork
# copies the shadow memory and each start of 1,000 apps takes minutes.
if ldd "$CLM_BIN_DIR/clmd" 2>/dev/null | grep -q libasan; then
	note "clmd is built with AddressSanitizer: skipped"
	exit 0
fi
CLM_CMD_TIMEOUT=120	# 1,000 apps a start, on a busy machine

N=2000
HALF=$((N / 2))
need=$((64 + 4 * N + 64))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$need" ]; then
	note "the hard limit on open files ($(ulimit -Hn)) is below $need: skipped"
	exit 0
fi

# apps_file FILE FROM COUNT
apps_file() {
	local i
	for ((i = $2; i < $2 + $3; i++)); do
		printf '[s%d]\nscript = /bin/sleep\nargs = 100000\nlisten_timeout = 0\n' "$i"
	done >"$1"
}
children() { pgrep -l -P "$(daemon_pid)" | grep -vcE ' clm-(logd|keeper)$'; }
# cpu_ms PID: user + system CPU time of PID so far, in ms.
TICK=$(getconf CLK_TCK)
cpu_ms() {
	local s
	s=$(cat "/proc/$1/stat") || return 1
	s=${s##*) }
	set -- $s
	echo $(((${12} + ${13}) * 1000 / TICK))
}
# cost_ms PID CMD...: the CPU time PID spends while CMD runs, in ms.
cost_ms() {
	local pid=$1 c0
	shift
	c0=$(cpu_ms "$pid")
	"$@" >/dev/null 2>&1 || fail "$* failed"
	echo $(($(cpu_ms "$pid") - c0))
}

check "start $N apps from two app files"
apps_file "$TEST_TMP/a.ini" 0 "$HALF"
apps_file "$TEST_TMP/b.ini" "$HALF" "$HALF"
capture clm start "$TEST_TMP/a.ini"
[ "$RC" = 0 ] || { show_capture; fail "clm start a.ini"; }
D=$(daemon_pid)
track_pid "$D"
capture clm start "$TEST_TMP/b.ini"
[ "$RC" = 0 ] || { show_capture; fail "clm start b.ini"; }
wait_until 120 eval '[ "$(children)" = "$N" ]'
ok "$N processes under clmd"

check "clm list --json: 3 runs"
ms=$(cost_ms "$D" eval 'clm list --json && clm list --json && clm list --json')
assert_lt "$ms" 1000 "clmd CPU ms for 3 lists of $N"

check "clm stop all, then clm delete all"
ms=$(cost_ms "$D" clm stop all)
wait_until 60 eval '[ "$(children)" = 0 ]'
assert_lt "$ms" 2000 "clmd CPU ms for clm stop all"
c0=$(cpu_ms "$D")
capture clm delete all
[ "$RC" = 0 ] || { show_capture; fail "clm delete all"; }
ms=$(($(cpu_ms "$D") - c0))
assert_lt "$ms" 600 "clmd CPU ms for clm delete all ($N stopped apps)"
assert_eq "$(list_json | jpy 'len(d)')" 0 "apps left"
