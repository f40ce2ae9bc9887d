#!/usr/bin/env bash
# clm vs PM2 vs the bare limit, side by side, on this machine.
#
#   bash bench/run.sh [--quick] [--scale] [--out DIR] [--no-pm2 | --with-pm2]
#                     [--procs N] [--pm2-procs N] [--duration S] [--keep]
#                     [--only SCENARIO,...]
#
# Everything runs on 127.0.0.1 with ports chosen by the kernel, under a
# private CLM_HOME and PM2_HOME in a scratch directory, and every load is
# bounded in time. Whatever the run started is stopped on exit, error or ^C.
# PM2 comes from npm into a cache folder (CLM_BENCH_CACHE, default
# ~/.cache/clm-bench); without npm, or when the install fails, the PM2
# column is skipped and the run says so. Results: a table on stdout,
# DIR/results.json, and DIR/results.png when gnuplot is installed.
# See bench/README.md.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
. "$BENCH_DIR/common.sh"

usage() {
	cat <<'EOF'
usage: bash bench/run.sh [--quick] [--scale] [--out DIR] [--no-pm2 | --with-pm2]
                         [--procs N] [--pm2-procs N] [--duration S] [--keep]
                         [--only SCENARIO,...]

  --quick       smoke run: tiny sizes, 1 s loads, PM2 skipped unless
                --with-pm2 (under a minute)
  --scale       only the many-process scenario, 5000 processes by default
                (--procs N changes it; with --quick: 200)
  --out DIR     where results.json (and results.png) go (default bench/out)
  --no-pm2      skip PM2; --with-pm2 runs it even with --quick
  --update-pm2  reinstall pm2@latest into the cache
  --procs N     processes for the start/delete scenario (default 500):
                /bin/sleep apps from two app files of N/2 apps each
  --pm2-procs N PM2's count in that scenario when it differs (default: the
                same, each PM2 step bounded to PM2_BOUND s, default 300)
  --duration S  seconds of each throughput load (default 10)
  --rounds N    throughput runs per runner, alternating; the median counts
                (default 3, 1 with --quick)
  --keep        keep the scratch directory (homes, logs) for inspection
  --only LIST   run only these scenarios (comma separated): idle,
                throughput, spread, events, failures, log, many
                (default: all of them)

Environment: CLM_BIN_DIR (where clm and clmd are; default ./build, then
PATH), CLM_BENCH_CACHE (PM2 install cache, default ~/.cache/clm-bench).
EOF
}

QUICK=0
SCALE=0
PM2_PROCS=
OUT=$BENCH_DIR/out
PM2_WANTED=
PM2_UPDATE=0
KEEP=0
ONLY=
PROCS=
DUR=
ROUNDS=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--scale) SCALE=1 ;;
	--pm2-procs) [ $# -ge 2 ] || { usage >&2; exit 2; }; PM2_PROCS=$2; shift ;;
	--out) [ $# -ge 2 ] || { usage >&2; exit 2; }; OUT=$2; shift ;;
	--out=*) OUT=${1#--out=} ;;
	--no-pm2) PM2_WANTED=0 ;;
	--with-pm2) PM2_WANTED=1 ;;
	--update-pm2) PM2_UPDATE=1 ;;
	--procs) [ $# -ge 2 ] || { usage >&2; exit 2; }; PROCS=$2; shift ;;
	--duration) [ $# -ge 2 ] || { usage >&2; exit 2; }; DUR=$2; shift ;;
	--rounds) [ $# -ge 2 ] || { usage >&2; exit 2; }; ROUNDS=$2; shift ;;
	--keep) KEEP=1 ;;
	--only) [ $# -ge 2 ] || { usage >&2; exit 2; }; ONLY=$2; shift ;;
	--only=*) ONLY=${1#--only=} ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown option '$1' (see bash bench/run.sh --help)" >&2
	   exit 2 ;;
	esac
	shift
done
SCENARIOS=idle,throughput,spread,events,failures,log,many
for sc in ${ONLY//,/ }; do
	case ,$SCENARIOS, in
	*,"$sc",*) ;;
	*) echo "run.sh: --only: no scenario '$sc' (there are: $SCENARIOS)" >&2
	   exit 2 ;;
	esac
done
# want SCENARIO: true when this run measures SCENARIO (--only).
want() { [ -z "$ONLY" ] || case ,$ONLY, in *,"$1",*) true ;; *) false ;; esac; }
case ${PROCS:-1}${DUR:-1}${ROUNDS:-1}${PM2_PROCS:-1} in
*[!0-9]*) echo "run.sh: --procs, --pm2-procs, --duration and --rounds take a positive integer" >&2
	  exit 2 ;;
esac

# Sizes. --quick must stay well under a minute: the test suite runs it.
if [ "$SCALE" = 1 ]; then
	if [ "$QUICK" = 1 ]; then : "${PROCS:=200}"; else : "${PROCS:=5000}"; fi
fi
if [ "$QUICK" = 1 ]; then
	: "${PROCS:=20}" "${DUR:=1}" "${PM2_WANTED:=0}"
	: "${ROUNDS:=1}"
	LIST_RUNS=5 LIST_RUNS_BIG=3 LOAD_EVENT_DUR=3 LOG_MB=5
	SPREAD_N=200 BURST_C=64 BURST_ROUNDS=2
	FAIL_RUNTIMES=${BENCH_FAIL_RUNTIMES:-"node pyhttp"} FAIL_SECS=1
else
	: "${PROCS:=500}" "${DUR:=10}" "${PM2_WANTED:=1}"
	: "${ROUNDS:=3}"
	LIST_RUNS=20 LIST_RUNS_BIG=5 LOAD_EVENT_DUR=10 LOG_MB=50
	SPREAD_N=2000 BURST_C=64 BURST_ROUNDS=10
	FAIL_RUNTIMES=${BENCH_FAIL_RUNTIMES:-"node pyhttp pyasyncio ruby go"} FAIL_SECS=3
fi
[ "$PROCS" -ge 2 ] && [ "$DUR" -ge 1 ] && [ "$ROUNDS" -ge 1 ] || {
	echo "run.sh: --procs must be at least 2, --duration and --rounds 1" >&2
	exit 2; }
: "${PM2_PROCS:=$PROCS}"
PM2_BOUND=${PM2_BOUND:-300}
# The CLI-loop variant of the scenario: one round trip a process, which PM2
# takes ~0.5 s for; beyond 1000 processes it would take PM2 most of an hour.
LOOP_MAX=${BENCH_LOOP_MAX:-1000}
LOG_BYTES=$((LOG_MB * 1024 * 1024 / 100 * 100))	# whole 100-byte lines
WRK_THREADS=2
CACHE=${CLM_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clm-bench}

say() { printf '%s\n' "$*" >&2; }
step() { printf '== %s\n' "$*" >&2; }
warn() { printf 'run.sh: %s\n' "$*" >&2; }

# Open files: clmd raises its soft limit to the hard one and needs 64 + 3 a
# process (clmd and clm-keeper hold a channel and 2 log pipes of each,
# clm-logd the 2 pipes), PM2 about 4. Raise the hard limit of this shell,
# which both daemons inherit, when it is too low and we may (root).
FDS_NEED=$((64 + 3 * PROCS + 256))
[ "$PM2_WANTED" = 1 ] && [ $((64 + 4 * PM2_PROCS + 256)) -gt "$FDS_NEED" ] &&
	FDS_NEED=$((64 + 4 * PM2_PROCS + 256))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$FDS_NEED" ]
then
	if ulimit -Hn "$FDS_NEED" 2>/dev/null; then
		say "open files: hard limit raised to $FDS_NEED for $PROCS processes"
	else
		warn "the hard limit on open files, $(ulimit -Hn), is below the" \
		    "$FDS_NEED that $PROCS processes need: clm refuses to start" \
		    "them (run as root, or raise it: ulimit -Hn $FDS_NEED)"
	fi
fi

# ---------------------------------------------------------------- binaries

bench_find_clm || exit 1

HAVE_NODE=0 HAVE_WRK=0
command -v node >/dev/null && HAVE_NODE=1
command -v wrk >/dev/null && HAVE_WRK=1
[ "$HAVE_NODE" = 1 ] ||
	warn "node not found: the HTTP, spread and log scenarios are skipped"
[ "$HAVE_WRK" = 1 ] ||
	warn "wrk not found (apt-get install wrk): the load scenarios are skipped"

# ----------------------------------------------------- scratch and clean-up

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/clm-bench.XXXXXX") || exit 1
export CLM_HOME=$SCRATCH/clm-home
export PM2_HOME=$SCRATCH/pm2-home
mkdir -p "$SCRATCH/logs"
PM2=
BG_PIDS=()	# plain background jobs (wrk, pollers, spew)
BARE_PGIDS=()	# bare.js process groups
CLMD_PID=
GOD_PID=

cleanup() {
	local rc=$? p i
	trap - EXIT INT TERM
	set +e
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${BARE_PGIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null
	done
	if [ -S "$CLM_HOME/clm.sock" ] || [ -e "$CLM_HOME/clmd.pid" ]; then
		CLMD_PID=$(head -n1 "$CLM_HOME/clmd.pid" 2>/dev/null)
		timeout 20 "$CLM" kill >/dev/null 2>&1
		if [ -n "$CLMD_PID" ] && kill -0 "$CLMD_PID" 2>/dev/null; then
			kill -KILL "$CLMD_PID" 2>/dev/null
		fi
	fi
	if [ -n "$PM2" ] && [ -d "$PM2_HOME" ]; then
		GOD_PID=$(head -n1 "$PM2_HOME/pm2.pid" 2>/dev/null)
		timeout 30 "$PM2" kill >/dev/null 2>&1
		if [ -n "$GOD_PID" ] && kill -0 "$GOD_PID" 2>/dev/null; then
			pkill -KILL -P "$GOD_PID" 2>/dev/null
			kill -KILL "$GOD_PID" 2>/dev/null
		fi
	fi
	for p in "${BARE_PGIDS[@]}"; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 -- "-$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$p" 2>/dev/null
	done
	# What the daemons left behind: PM2's workers outlive a God daemon
	# killed in the middle of stopping thousands of them.
	i=$(bench_kill_env "CLM_HOME=$CLM_HOME" "PM2_HOME=$PM2_HOME" \
	    "CLM_HOME=${FG_HOME:-none}" "PM2_HOME=${PM2RT_HOME:-none}")
	[ "$i" = 0 ] || warn "killed $i processes left behind"
	if [ "$KEEP" = 1 ]; then
		say "scratch kept: $SCRATCH"
	else
		rm -rf "$SCRATCH"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'warn "interrupted"; exit 130' INT TERM

# ----------------------------------------------------------------- helpers

now() { echo "$EPOCHREALTIME"; }
# calc EXPR: floating point with awk; prints "null" on a division by zero.
calc() { awk "BEGIN { x = $1; print x }" 2>/dev/null; }
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) * 1000 }'; }


# cpu_ticks PID: utime + stime of a process (comm may hold spaces).
# cpu_ticks PID...: user + system ticks of these processes, added up.
cpu_ticks() {
	local s p sum=0
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || return 1
		s=${s##*) }
		set -- $s
		sum=$((sum + ${12} + ${13}))
	done
	echo "$sum"
}
TICK_HZ=$(getconf CLK_TCK)

clmd_pid() { head -n1 "$CLM_HOME/clmd.pid" 2>/dev/null; }
god_pid() { head -n1 "$PM2_HOME/pm2.pid" 2>/dev/null; }

# wait_children PID N TIMEOUT_S: until PID has exactly N children.
wait_children() {
	local end=$((SECONDS + $3)) c
	while :; do
		# clm-logd (clmd's log writer) and clm-keeper (what a crash
		# of clmd must not lose) are not among the processes.
		c=$(pgrep -l -P "$1" 2>/dev/null | grep -vcE ' clm-(logd|keeper)$')
		[ "${c:-0}" -eq "$2" ] && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.01
	done
}

# mean_ms RUNS CMD...: mean wall time of CMD in ms (after one warm-up run).
mean_ms() {
	local n=$1 i t0 t1 sum=0
	shift
	"$@" >/dev/null 2>&1 || return 1
	for ((i = 0; i < n; i++)); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null 2>&1 || return 1
		t1=$EPOCHREALTIME
		sum=$(awk -v s="$sum" -v a="$t0" -v b="$t1" \
		    'BEGIN { print s + (b - a) * 1000 }')
	done
	awk -v s="$sum" -v n="$n" 'BEGIN { printf "%.3f", s / n }'
}

# wrk_start OUTFILE SECONDS CONNS URL [keepalive|close]: one bounded wrk run
# in the background (WRK_PID); wrk_run waits for it. Waiting with the wait
# builtin lets ^C and SIGTERM clean up at once.
WRK_PID=
wrk_start() {
	local out=$1 secs=$2 conns=$3 url=$4 mode=${5:-keepalive}
	local hdr=()
	[ "$mode" = close ] && hdr=(-H 'Connection: close')
	timeout $((secs + 20)) wrk -t"$WRK_THREADS" -c"$conns" -d"${secs}s" \
	    --timeout 5s "${hdr[@]}" "$url" >"$out" 2>&1 &
	WRK_PID=$!
	BG_PIDS+=("$WRK_PID")
}
wrk_run() { wrk_start "$@"; wait "$WRK_PID"; }
# wrk_rps / wrk_failed OUTFILE: requests per second; socket errors + non-2xx.
wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
wrk_failed() {
	awk '/Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
	    /Non-2xx/ { e += $NF } END { print e + 0 }' "$1"
}
wrk_total() { awk '/requests in/ { print $1 }' "$1"; }

# ------------------------------------------------------------ result table

IDS=()
declare -A LABEL UNIT BETTER TARGET V EXTRA NOTE NORATIO
ERRORS=0

# def ID LABEL UNIT lower|higher [TARGET]
# TARGET: "pm2<=R", "pm2>=R", "bare>=R" (ratios), "abs<=V" (clm's own
# figure against a limit), comma separated; or
# "zero" (clm has no failure where PM2 has some).
def() {
	IDS+=("$1")
	LABEL[$1]=$2 UNIT[$1]=$3 BETTER[$1]=$4 TARGET[$1]=${5:-}
}
put() { V[$1.$2]=$3; }
fail() {	# fail ID SYSTEM WHY
	V[$1.$2]=
	NOTE[$1.$2]=$3
	warn "$1 ($2): $3"
	[ "$2" = clm ] && ERRORS=$((ERRORS + 1))
	return 0
}

# The many-process rows. Issue 20's limits hold at 5,000 processes (and a
# fortiori below); PM2's figures are for PM2_PROCS when that differs.
PM2_AT=
[ "$PM2_PROCS" != "$PROCS" ] && PM2_AT=" (PM2: $PM2_PROCS)"
def_many() {
	def cli_list_many "CLI latency: list --json ($PROCS processes)$PM2_AT" \
	    ms lower "abs<=50"
	def rss_many      "daemon RSS, $PROCS processes$PM2_AT" MB lower \
	    "pm2<=0.05,abs<=30"
	def rss_logd_many "clm-logd RSS, $PROCS processes" MB lower "abs<=30"
	def start_many    "start $PROCS x /bin/sleep (two app files)$PM2_AT" \
	    s lower "pm2<=0.2,abs<=3"
	def running_many  "until all $PROCS are running$PM2_AT" s lower
	[ "$PROCS" -le "$LOOP_MAX" ] &&
	    def start_loop "start $PROCS x /bin/sleep (CLI loop both)$PM2_AT" \
	    s lower
	def delete_many   "delete $PROCS processes (until all gone)$PM2_AT" \
	    s lower "pm2<=0.1,abs<=1"
	local id
	if [ -n "$PM2_AT" ]; then
		for id in cli_list_many rss_many start_many running_many \
		    start_loop delete_many; do
			NORATIO[$id.pm2]=1
		done
	fi
}
# The failures table: one row per runtime and event, under the strict
# client's new connections (bench/httpc.js load). The apps are the drain
# tests' fixtures (tests/fixtures), unmodified.
FAIL_EVENTS="reload scale kill"
declare -A RT_LABEL=([node]="Node http" [pyhttp]="Python http.server"
    [pyasyncio]="Python asyncio" [ruby]="Ruby TCPServer"
    [go]="static Go --listen")
declare -A EV_LABEL=([reload]="reload" [scale]="scale 2->1"
    [kill]="SIGKILL 1 worker")
declare -A FAIL_TOTAL
def_failures() {
	local rt ev target
	for rt in $FAIL_RUNTIMES; do
		for ev in $FAIL_EVENTS; do
			# A killed worker's accepted connections are lost for
			# any supervisor: no target there.
			target=zero
			[ "$ev" = kill ] && target=
			def "fail_${rt}_$ev" \
			    "failed/requests: ${RT_LABEL[$rt]}, ${EV_LABEL[$ev]}" \
			    failed lower "$target"
		done
	done
}

# The log rows (the scenario: log_phase, below).
LOG_LINES=$((LOG_BYTES / 100))
LOG_PREFIX="spew:0 | "
LOG_TARGETS="files stdout both"
declare -A LOG_P=([files]=log [stdout]=logo [both]=logb)
declare -A LOGGOT	# ID.SYS: the rounds' figures
FG_HOME=$SCRATCH/clm-fg-home	# the foreground clmd's CLM_HOME
PM2RT_HOME=$SCRATCH/pm2rt-home	# pm2-runtime's PM2_HOME
PM2RT=

# log_ids TARGET: the rows of a target.
log_ids() {
	local p=${LOG_P[$1]}
	[ "$1" = files ] && printf '%s ' log_time
	printf '%s ' "${p}_lps" "${p}_cpu" "${p}_cpu_clmd" "${p}_cpu_logd"
}
def_log() {
	local t p what
	for t in $LOG_TARGETS; do
		p=${LOG_P[$t]}
		case $t in
		files) what="log $LOG_MB MB to files" ;;
		stdout) what="log $LOG_MB MB to stdout" ;;
		both) what="log $LOG_MB MB to both" ;;
		esac
		[ "$t" = files ] &&
		    def log_time "$what: time to disk" s lower
		def "${p}_lps" "$what: lines/s" lines/s higher
		def "${p}_cpu" "$what: CPU clmd+clm-logd" s lower
		def "${p}_cpu_clmd" "$what: CPU of clmd" s lower
		def "${p}_cpu_logd" "$what: CPU of clm-logd" s lower
	done
	LABEL[logo_lps]+=" (PM2: pm2-runtime)"
	LABEL[logo_cpu]+=" (pm2-runtime)"
	LABEL[log_cpu]+=" (PM2: God)"
}

if [ "$SCALE" = 1 ]; then
	def_many
else
if want idle; then
def cli_list      "CLI latency: list --json (2 workers)" ms lower "pm2<=0.02"
def rss_idle      "daemon RSS, idle, 2 workers" MB lower "pm2<=0.05"
fi
want many && def_many
if want throughput; then
def http_new      "HTTP new conns, 2 workers (c16, close)" req/s higher \
    "pm2>=2,bare>=0.95"
def http_ka       "HTTP keep-alive, 2 workers (c64)" req/s higher
fi
if want spread; then
def spread_new    "busiest worker share, $SPREAD_N new conns" % lower
def spread_burst  "busiest worker share, ${BURST_ROUNDS}x$BURST_C keep-alive burst" \
    % lower
fi
if want events; then
def reload_new    "failed requests, reload under load (close)" count lower zero
def reload_ka     "failed requests, reload under load (keep-alive)" count \
    lower zero
def kill_new      "failed requests, SIGKILL 1 worker (close)" count lower zero
fi
want failures && def_failures
want log && def_log
fi

# ratio A B: A/B, or empty when either is missing or B is 0.
ratio() {
	[ -n "$1" ] && [ -n "$2" ] || return 0
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 != 0) printf "%.4g", a / b }'
}

# sys_ratio ID SYS: clm's figure over SYS's; nothing when they were taken
# at different counts (--pm2-procs).
sys_ratio() {
	[ -z "${NORATIO[$1.$2]:-}" ] || return 0
	[ "${UNIT[$1]}" != failed ] || return 0	# no ratio of failure counts
	ratio "${V[$1.clm]:-}" "${V[$1.$2]:-}"
}

# target_met ID: prints true, false or nothing (no target or no data).
target_met() {
	local id=$1 t r c p ok=true part
	t=${TARGET[$id]}
	[ -n "$t" ] || return 0
	c=${V[$id.clm]:-} p=${V[$id.pm2]:-}
	if [ "$t" = zero ]; then
		[ -n "$c" ] || return 0
		if [ -n "$p" ] && [ "$p" -gt 0 ] && [ "$c" -gt 0 ]; then
			echo false
		elif [ -z "$p" ] && [ "$c" -gt 0 ]; then
			echo false
		else
			echo true
		fi
		return 0
	fi
	IFS=, read -r -a part <<<"$t"
	local any=0 sys op lim
	for t in "${part[@]}"; do
		sys=${t%%[<>]=*} op=${t:${#sys}:2} lim=${t#*=}
		if [ "$sys" = abs ]; then
			r=$c	# clm's own figure against a limit
		else
			r=$(sys_ratio "$id" "$sys")
		fi
		[ -n "$r" ] || continue
		any=1
		if ! awk -v r="$r" -v l="$lim" -v o="$op" 'BEGIN {
		    exit !((o == "<=") ? r <= l : r >= l) }'; then
			ok=false
		fi
	done
	[ "$any" = 1 ] && echo "$ok"
	return 0
}

fmt() {		# fmt ID SYSTEM
	local v=${V[$1.$2]:-} u=${UNIT[$1]}
	if [ -z "$v" ]; then
		if [ -n "${NOTE[$1.$2]:-}" ]; then echo "error"; else echo "-"; fi
		return
	fi
	case $u in
	ms) printf '%.2f ms' "$v" ;;
	s) printf '%.3f s' "$v" ;;
	MB) printf '%.1f MB' "$v" ;;
	req/s|lines/s) printf '%.0f/s' "$v" ;;
	%) printf '%.1f%%' "$v" ;;
	failed) printf '%s/%s' "$v" "${FAIL_TOTAL[$1.$2]:-?}" ;;
	*) printf '%s' "$v" ;;
	esac
}

short() { [ -z "$1" ] || awk -v r="$1" 'BEGIN { printf "%.3g", r }'; }

print_table() {
	local id r1 r2 tm
	printf '\n%-58s %11s %11s %11s %8s %8s  %s\n' scenario clm PM2 bare \
	    clm/PM2 clm/bare target
	printf '%.0s-' {1..118}
	printf '\n'
	for id in "${IDS[@]}"; do
		r1=$(short "$(sys_ratio "$id" pm2)")
		r2=$(short "$(ratio "${V[$id.clm]:-}" "${V[$id.bare]:-}")")
		tm=$(target_met "$id")
		case $tm in
		true) tm="met (${TARGET[$id]})" ;;
		false) tm="MISSED (${TARGET[$id]})" ;;
		*) tm=${TARGET[$id]:+"(${TARGET[$id]})"} ;;
		esac
		printf '%-58s %11s %11s %11s %8s %8s  %s\n' "${LABEL[$id]}" \
		    "$(fmt "$id" clm)" "$(fmt "$id" pm2)" "$(fmt "$id" bare)" \
		    "${r1:--}" "${r2:--}" "$tm"
	done
	printf '\n'
}

json_num() { if [ -n "$1" ]; then printf '%s' "$1"; else printf 'null'; fi; }

write_json() {
	local f=$1 id sys first=1 tm
	{
		printf '{\n  "meta": {\n'
		printf '    "date": %s,\n' "$(json_str "$(date -u +%FT%TZ)")"
		printf '    "host": %s,\n' "$(json_str "$(uname -srm)")"
		printf '    "cores": %s,\n' "$(nproc)"
		printf '    "loadavg_at_start": %s,\n' "$(json_str "$LOAD0")"
		printf '    "quick": %s,\n' "$([ "$QUICK" = 1 ] && echo true || echo false)"
		printf '    "procs": %s, "pm2_procs": %s, "scale_only": %s,\n' \
		    "$PROCS" "$PM2_PROCS" "$([ "$SCALE" = 1 ] && echo true || echo false)"
		printf '    "duration_s": %s, "log_mb": %s,\n' "$DUR" "$LOG_MB"
		printf '    "nofile_hard": %s,\n' "$(json_str "$(ulimit -Hn)")"
		printf '    "clm_version": %s,\n' "$(json_str "$CLM_VERSION")"
		printf '    "node_version": %s,\n' "$(json_str "$NODE_VERSION")"
		printf '    "pm2_version": %s,\n' "$(json_str "$PM2_VERSION")"
		printf '    "pm2_skipped": %s\n' "$(json_str "$PM2_SKIPPED")"
		printf '  },\n  "results": [\n'
		for id in "${IDS[@]}"; do
			[ "$first" = 1 ] || printf ',\n'
			first=0
			tm=$(target_met "$id")
			printf '    {"id": %s, "scenario": %s, "unit": %s, ' \
			    "$(json_str "$id")" "$(json_str "${LABEL[$id]}")" \
			    "$(json_str "${UNIT[$id]}")"
			printf '"better": %s,\n     ' "$(json_str "${BETTER[$id]}")"
			for sys in clm pm2 bare; do
				printf '"%s": %s, ' "$sys" "$(json_num "${V[$id.$sys]:-}")"
			done
			printf '\n     "clm_pm2": %s, "clm_bare": %s, ' \
			    "$(json_num "$(sys_ratio "$id" pm2)")" \
			    "$(json_num "$(ratio "${V[$id.clm]:-}" "${V[$id.bare]:-}")")"
			printf '"target": %s, "target_met": %s' \
			    "$([ -n "${TARGET[$id]}" ] && json_str "${TARGET[$id]}" || echo null)" \
			    "${tm:-null}"
			for sys in clm pm2 bare; do
				if [ -n "${EXTRA[$id.$sys]:-}" ]; then
					printf ',\n     "%s_detail": %s' "$sys" "${EXTRA[$id.$sys]}"
				fi
				if [ -n "${NOTE[$id.$sys]:-}" ]; then
					printf ',\n     "%s_error": %s' "$sys" \
					    "$(json_str "${NOTE[$id.$sys]}")"
				fi
			done
			printf '}'
		done
		printf '\n  ]\n}\n'
	} >"$f"
}

write_chart() {
	local dat=$SCRATCH/chart.dat id r1 r2 n=0
	command -v gnuplot >/dev/null || return 0
	: >"$dat"
	for id in "${IDS[@]}"; do
		# Failure counts are mostly 0: no ratio to draw.
		case ${UNIT[$id]} in count|failed) continue ;; esac
		r1=$(sys_ratio "$id" pm2)
		r2=$(ratio "${V[$id.clm]:-}" "${V[$id.bare]:-}")
		# Oriented so that above 1 means clm is better; 0 cannot be.
		if [ "${BETTER[$id]}" = lower ]; then
			[ -n "$r1" ] && r1=$(awk -v r="$r1" 'BEGIN { if (r > 0) print 1 / r }')
			[ -n "$r2" ] && r2=$(awk -v r="$r2" 'BEGIN { if (r > 0) print 1 / r }')
		fi
		[ -n "$r1$r2" ] || continue
		printf '"%s" %s %s\n' "${LABEL[$id]//\"/}" "${r1:-NaN}" \
		    "${r2:-NaN}" >>"$dat"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || return 0
	gnuplot >/dev/null 2>&1 <<EOF || true
set terminal pngcairo size 1200,700 noenhanced
set output "$OUT/results.png"
set title "clm advantage (above 1: clm better; log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set xtics rotate by -35 scale 0 font ",9"
set bmargin 12
set rmargin 16
set grid ytics
set key top right
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot "$dat" using 2:xtic(1) title "vs PM2", "" using 3 title "vs bare"
EOF
	[ -s "$OUT/results.png" ] && say "chart: $OUT/results.png"
	return 0
}

# -------------------------------------------------------------------- PM2

PM2_VERSION= PM2_SKIPPED=
setup_pm2() {
	if [ "$PM2_WANTED" != 1 ]; then
		PM2_SKIPPED="not requested"
		say "PM2: skipped (--quick or --no-pm2; --with-pm2 runs it)"
		return 0
	fi
	if ! command -v npm >/dev/null || [ "$HAVE_NODE" = 0 ]; then
		PM2_SKIPPED="npm or node missing"
		say "PM2: skipped, npm or node is not installed (apt-get install npm)"
		return 0
	fi
	local dir=$CACHE/pm2
	if [ "$PM2_UPDATE" = 1 ] || [ ! -x "$dir/node_modules/.bin/pm2" ]; then
		step "installing pm2@latest into $dir"
		mkdir -p "$dir"
		if ! timeout 300 npm install --prefix "$dir" pm2@latest \
		    --no-audit --no-fund --loglevel=error >"$SCRATCH/npm.log" 2>&1
		then
			PM2_SKIPPED="npm install failed"
			say "PM2: skipped, 'npm install pm2' failed:"
			tail -n 5 "$SCRATCH/npm.log" >&2
			return 0
		fi
	fi
	PM2=$dir/node_modules/.bin/pm2
	PM2_VERSION=$("$PM2" --version 2>/dev/null | tail -n1)
	say "PM2: $PM2_VERSION from $dir (PM2_HOME=$PM2_HOME)"
}

pm2q() { timeout 120 "$PM2" "$@" >>"$SCRATCH/logs/pm2-cli.log" 2>&1; }

# pm2_online NAME N TIMEOUT_S: until N workers of NAME are online.
pm2_online() {
	local end=$((SECONDS + $3)) c
	while :; do
		c=$("$PM2" jlist 2>/dev/null | node -e '
		    let s = ""; process.stdin.on("data", (d) => s += d);
		    process.stdin.on("end", () => { let n = 0;
		    try { for (const p of JSON.parse(s))
			if (p.name === process.argv[1] &&
			    p.pm2_env.status === "online") n++; } catch (e) {}
		    console.log(n); });' "$1")
		[ "${c:-0}" -ge "$2" ] && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}

# ------------------------------------------------------------ the runners
# Each runner serves bench/app.js with 2 workers: start_SYS_web PORT,
# stop_SYS_web, reload_SYS_web, and the worker pids with pids_SYS.

start_clm_web() {
	PORT=$1 HOST=127.0.0.1 timeout 60 "$CLM" start "$BENCH_DIR/app.js" \
	    -i 2 --name web >>"$SCRATCH/logs/clm-cli.log" 2>&1
}
stop_clm_web() { timeout 60 "$CLM" delete web >>"$SCRATCH/logs/clm-cli.log" 2>&1; }
reload_clm_web() { timeout 60 "$CLM" reload web >>"$SCRATCH/logs/clm-cli.log" 2>&1; }
# clmd's workers: not its clm-logd nor its clm-keeper.
pids_clm() { pgrep -l -P "$(clmd_pid)" | grep -vE ' clm-(logd|keeper)$' |
    cut -d' ' -f1; }

start_pm2_web() {
	cat >"$SCRATCH/web.config.js" <<EOF
module.exports = { apps: [{ name: 'web', script: '$BENCH_DIR/app.js',
  instances: 2, exec_mode: 'cluster',
  env: { PORT: '$1', HOST: '127.0.0.1' } }] };
EOF
	pm2q start "$SCRATCH/web.config.js" && pm2_online web 2 30
}
stop_pm2_web() { pm2q delete web; }
reload_pm2_web() { pm2q reload web; }
pids_pm2() { pgrep -P "$(god_pid)"; }

BARE_PID=
start_bare_web() {
	PORT=$1 HOST=127.0.0.1 WORKERS=2 setsid node "$BENCH_DIR/bare.js" \
	    >>"$SCRATCH/logs/bare.log" 2>&1 &
	BARE_PID=$!
	BARE_PGIDS+=("$BARE_PID")
}
stop_bare_web() {
	local i
	kill -TERM -- "-$BARE_PID" 2>/dev/null
	for i in $(seq 1 30); do
		kill -0 -- "-$BARE_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL -- "-$BARE_PID" 2>/dev/null
}
pids_bare() { pgrep -P "$BARE_PID"; }

# load_with_event SYS ID PORT MODE CONNS SECS ACTION: wrk for SECS seconds;
# ACTION (a command) runs after a third of it; the failures are the result.
load_with_event() {
	local sys=$1 id=$2 port=$3 mode=$4 conns=$5 secs=$6 action=$7 out
	out=$SCRATCH/logs/wrk-$id-$sys.txt
	wrk_start "$out" "$secs" "$conns" "http://127.0.0.1:$port/" "$mode"
	local wpid=$WRK_PID
	sleep "$(calc "$secs / 3")"
	local t0 t1 arc
	t0=$(now)
	$action
	arc=$?
	t1=$(now)
	wait "$wpid"
	if [ "$arc" != 0 ]; then
		fail "$id" "$sys" "'$action' failed (exit $arc)"
		return 0
	fi
	if ! grep -q '^Requests/sec' "$out"; then
		fail "$id" "$sys" "wrk failed: $(head -c 200 "$out")"
		return 0
	fi
	put "$id" "$sys" "$(wrk_failed "$out")"
	EXTRA[$id.$sys]="{\"requests\": $(wrk_total "$out"), \"event_ms\": $(elapsed_ms "$t0" "$t1")}"
	say "   $sys $id: $(wrk_failed "$out") failed of $(wrk_total "$out") ($(elapsed_ms "$t0" "$t1") ms for the event)"
}

# median V...: the median of numbers (the mean of the middle two if even).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	    if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# HTTP scenarios. Every runner serves bench/app.js at the same time, each
# on its own port; the throughput runs alternate between them, round after
# round, so that a machine whose load changes meanwhile treats all alike.
declare -A PORT
HTTP_UP=()
http_phase() {
	local sys port id out r mode conns round
	for sys in "${SYSTEMS[@]}" bare; do
		port=$(bench_free_port)
		PORT[$sys]=$port
		step "$sys: HTTP app, 2 workers on 127.0.0.1:$port"
		if [ "$sys" = pm2 ]; then
			pm2q ping	# the God daemon, outside any measurement
		fi
		if "start_${sys}_web" "$port" &&
		    node "$BENCH_DIR/httpc.js" wait "$port" 15000; then
			HTTP_UP+=("$sys")
		else
			for id in http_new http_ka spread_new spread_burst \
			    reload_new reload_ka kill_new; do
				[ "$sys" = bare ] && case $id in reload*) continue ;; esac
				fail "$id" "$sys" "the app did not come up"
			done
			"stop_${sys}_web"
		fi
	done
	sleep 1

	want idle && step "idle daemons: memory and CLI latency"
	if want idle && [ -n "$(clmd_pid)" ]; then
		put rss_idle clm "$(calc "$(rss_kb "$(clmd_pid)") / 1024")"
		r=$(mean_ms "$LIST_RUNS" "$CLM" list --json) &&
		    put cli_list clm "$r" || fail cli_list clm "clm list failed"
	fi
	if want idle && [ -n "$PM2" ] && [ -n "$(god_pid)" ]; then
		put rss_idle pm2 "$(calc "$(rss_kb "$(god_pid)") / 1024")"
		r=$(mean_ms "$LIST_RUNS" "$PM2" jlist) &&
		    put cli_list pm2 "$r" || fail cli_list pm2 "pm2 jlist failed"
	fi
	want idle && say "   clm: ${V[rss_idle.clm]:--} MB, ${V[cli_list.clm]:--} ms;" \
	    "PM2: ${V[rss_idle.pm2]:--} MB, ${V[cli_list.pm2]:--} ms"

	if want throughput && [ "$HAVE_WRK" = 1 ]; then
		declare -A got
		for ((round = 1; round <= ROUNDS; round++)); do
			for id in http_new http_ka; do
				for sys in "${HTTP_UP[@]}"; do
					mode=keepalive conns=64
					[ "$id" = http_new ] && mode=close conns=16
					step "$sys: $id, round $round of $ROUNDS, ${DUR} s"
					out=$SCRATCH/logs/wrk-$id-$sys-$round.txt
					wrk_run "$out" "$DUR" "$conns" \
					    "http://127.0.0.1:${PORT[$sys]}/" "$mode"
					r=$(wrk_rps "$out")
					if [ -z "$r" ]; then
						say "   wrk: $(head -c 200 "$out")"
						continue
					fi
					got[$id.$sys]+=" $r"
					EXTRA[$id.$sys]+="${EXTRA[$id.$sys]:+, }{\"rps\": $r, \"failed\": $(wrk_failed "$out")}"
					say "   $r req/s, $(wrk_failed "$out") failed"
				done
			done
		done
		for id in http_new http_ka; do
			for sys in "${HTTP_UP[@]}"; do
				if [ -n "${got[$id.$sys]:-}" ]; then
					# shellcheck disable=SC2086
					put "$id" "$sys" "$(median ${got[$id.$sys]})"
					EXTRA[$id.$sys]="{\"runs\": [${EXTRA[$id.$sys]}]}"
				else
					fail "$id" "$sys" "wrk failed"
				fi
			done
		done
	fi

	local spread_sys=("${HTTP_UP[@]}")
	want spread || spread_sys=()
	for sys in "${spread_sys[@]}"; do
		step "$sys: how connections spread over the 2 workers"
		port=${PORT[$sys]}
		r=$(timeout 60 node "$BENCH_DIR/httpc.js" spread "$port" \
		    "$SPREAD_N" 16)
		if [ -n "$r" ]; then
			EXTRA[spread_new.$sys]=$r
			put spread_new "$sys" "$(busiest "$r")"
			say "   new connections: $r"
		else
			fail spread_new "$sys" "the spread client failed"
		fi
		r=$(timeout 60 node "$BENCH_DIR/httpc.js" burst "$port" \
		    "$BURST_C" "$BURST_ROUNDS")
		if [ -n "$r" ]; then
			EXTRA[spread_burst.$sys]=$r
			put spread_burst "$sys" "$(busiest "$r")"
			say "   keep-alive burst: $r"
		else
			fail spread_burst "$sys" "the burst client failed"
		fi
	done

	if want events && [ "$HAVE_WRK" = 1 ]; then
		for sys in "${HTTP_UP[@]}"; do
			port=${PORT[$sys]}
			if [ "$sys" != bare ]; then
				step "$sys: reload under load"
				load_with_event "$sys" reload_new "$port" close 16 \
				    "$LOAD_EVENT_DUR" "reload_${sys}_web"
				node "$BENCH_DIR/httpc.js" wait "$port" 10000
				load_with_event "$sys" reload_ka "$port" keepalive \
				    64 "$LOAD_EVENT_DUR" "reload_${sys}_web"
				node "$BENCH_DIR/httpc.js" wait "$port" 10000
				sleep 1.2	# past min_uptime: a plain crash
			fi
			step "$sys: SIGKILL of a worker under load"
			KILL_SYS=$sys
			load_with_event "$sys" kill_new "$port" close 16 \
			    "$LOAD_EVENT_DUR" kill_one_worker
		done
	fi
	for sys in "${HTTP_UP[@]}"; do
		"stop_${sys}_web"
	done
}

# ------------------------------------------------------ failures per runtime

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
FIXTURES=$ROOT/tests/fixtures
GO_BIN=

# fail_build_go: the drain tests' Go server, static (CGO_ENABLED=0), built
# into the scratch directory; GOCACHE in the bench cache.
fail_build_go() {
	[ -n "$GO_BIN" ] && return 0
	command -v go >/dev/null || return 1
	mkdir -p "$SCRATCH/go" "$CACHE/go-build"
	cp "$FIXTURES/compat/go_server.go" "$SCRATCH/go/" || return 1
	(cd "$SCRATCH/go" && GOCACHE=$CACHE/go-build GOPATH=$SCRATCH/go/path \
	    GO111MODULE=off GOFLAGS='' CGO_ENABLED=0 timeout 300 go build \
	    -o go_server go_server.go) >>"$SCRATCH/logs/go-build.log" 2>&1 ||
	    return 1
	GO_BIN=$SCRATCH/go/go_server
}

# fail_app_args RT PORT: APP_ARGS, clm start's arguments for runtime RT
# (FAIL_WHY and status 1 when it cannot run here).
fail_app_args() {
	case $1 in
	node) APP_ARGS=("$FIXTURES/http_pid.js") ;;
	pyhttp) APP_ARGS=(--interpreter "$PY" "$FIXTURES/http_pid.py") ;;
	pyasyncio) APP_ARGS=(--interpreter "$PY" "$FIXTURES/compat/py_asyncio.py") ;;
	ruby)
		command -v ruby >/dev/null ||
		    { FAIL_WHY="ruby is not installed"; return 1; }
		APP_ARGS=(--interpreter "$(command -v ruby)"
		    "$FIXTURES/compat/rb_tcpserver.rb") ;;
	go)
		fail_build_go ||
		    { FAIL_WHY="go is missing or go build failed"; return 1; }
		APP_ARGS=(--interpreter none "$GO_BIN" --listen "127.0.0.1:$2") ;;
	esac
}

# fail_pm2_conf RT PORT: an ecosystem file for runtime RT; Node in cluster
# mode (2 workers), the others in fork mode: one process, as a second would
# not get the port. FAIL_WHY and status 1 when PM2 cannot run that app.
fail_pm2_conf() {
	local rt=$1 port=$2 script interp mode=fork n=1
	case $rt in
	node) script=$FIXTURES/http_pid.js interp=node mode=cluster n=2 ;;
	pyhttp) script=$FIXTURES/http_pid.py interp=$PY ;;
	pyasyncio) script=$FIXTURES/compat/py_asyncio.py interp=$PY ;;
	ruby)
		command -v ruby >/dev/null ||
		    { FAIL_WHY="ruby is not installed"; return 1; }
		script=$FIXTURES/compat/rb_tcpserver.rb interp=$(command -v ruby) ;;
	go) FAIL_WHY="PM2 cannot hand an app its listening socket (--listen)"
	    return 1 ;;
	esac
	FAIL_N=$n
	cat >"$SCRATCH/f-$rt.config.js" <<EOC
module.exports = { apps: [{ name: 'f-$rt', script: '$script',
  interpreter: '$interp', instances: $n, exec_mode: '$mode',
  env: { PORT: '$port', HOST: '127.0.0.1' } }] };
EOC
}

# clm_online NAME N: N workers of NAME, all online with a pid.
clm_online() {
	"$CLM" list --json 2>/dev/null | node -e '
	    let s = ""; process.stdin.on("data", (d) => s += d);
	    process.stdin.on("end", () => { let n = 0, ok = true;
	    try { for (const w of JSON.parse(s)) if (w.name === process.argv[1]) {
		n++; if (w.status !== "online" || !(w.pid > 0)) ok = false; }
	    } catch (e) { ok = false; }
	    process.exitCode = ok && n === Number(process.argv[2]) ? 0 : 1; });' \
	    "$1" "$2"
}
# clm_first_pid NAME: the pid of NAME's first running worker.
clm_first_pid() {
	"$CLM" list --json 2>/dev/null | node -e '
	    let s = ""; process.stdin.on("data", (d) => s += d);
	    process.stdin.on("end", () => { for (const w of JSON.parse(s))
		if (w.name === process.argv[1] && w.pid > 0) {
		    console.log(w.pid); break; } });' "$1"
}
# until_ok SECS CMD...: poll CMD until it succeeds.
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# fail_up SYS NAME N PORT: until the app has N workers up and answers.
fail_up() {
	case $1 in
	clm) until_ok 30 clm_online "$2" "$3" || return 1 ;;
	pm2) pm2_online "$2" "$3" 30 || return 1 ;;
	esac
	node "$BENCH_DIR/httpc.js" wait "$4" 15000
}

# fail_action SYS NAME EVENT: the event itself.
fail_action() {
	local p
	case $1.$3 in
	clm.reload) timeout 60 "$CLM" reload "$2" ;;
	clm.scale) timeout 60 "$CLM" scale "$2" 1 ;;
	clm.kill) p=$(clm_first_pid "$2"); [ -n "$p" ] && kill -KILL "$p" ;;
	pm2.reload) timeout 60 "$PM2" reload "$2" ;;
	pm2.scale) timeout 60 "$PM2" scale "$2" 1 ;;
	pm2.kill) p=$(timeout 30 "$PM2" pid "$2" | grep -m1 '^[0-9][0-9]*$')
		  [ -n "$p" ] && kill -KILL "$p" ;;
	esac
}

# fail_event SYS RT NAME PORT EVENT: the strict client's new connections
# (4 lanes, as fast as they go) from FAIL_SECS before the event until
# FAIL_SECS after it ends; its failed and total requests make the row.
fail_event() {
	local sys=$1 rt=$2 name=$3 port=$4 ev=$5 id=fail_$2_$5 lpid out arc
	local t0 t1 ok failed
	out=$SCRATCH/logs/fail-$rt-$ev-$sys
	timeout 200 node "$BENCH_DIR/httpc.js" load "$port" 180 4 1000000 \
	    >"$out.json" 2>"$out.err" &
	lpid=$!
	BG_PIDS+=("$lpid")
	sleep "$FAIL_SECS"
	t0=$(now)
	fail_action "$sys" "$name" "$ev" >>"$SCRATCH/logs/$sys-cli.log" 2>&1
	arc=$?
	t1=$(now)
	sleep "$FAIL_SECS"
	kill -TERM "$lpid" 2>/dev/null
	wait "$lpid"
	if [ "$arc" != 0 ]; then
		fail "$id" "$sys" "the $ev of $name failed (exit $arc)"
		return 0
	fi
	ok=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' "$out.json")
	failed=$(sed -n 's/.*"failed":\([0-9]*\).*/\1/p' "$out.json")
	if [ -z "$ok" ] || [ -z "$failed" ]; then
		fail "$id" "$sys" "the load client failed: $(head -c 200 "$out.err")"
		return 0
	fi
	put "$id" "$sys" "$failed"
	FAIL_TOTAL[$id.$sys]=$((ok + failed))
	EXTRA[$id.$sys]="{\"requests\": $((ok + failed)), \"event_ms\": $(elapsed_ms "$t0" "$t1"), \"client\": $(head -n1 "$out.json")}"
	say "   $sys ${EV_LABEL[$ev]}: $failed failed of $((ok + failed)) ($(elapsed_ms "$t0" "$t1") ms for the event)"
}

# fail_runtime SYS RT: RT's app with 2 workers (PM2 fork mode: 1), then
# each event under load; after each, the app is brought back.
fail_runtime() {
	local sys=$1 rt=$2 name=f-$2 port ev n=2
	port=$(bench_free_port)
	FAIL_WHY=
	step "$sys: failed requests, ${RT_LABEL[$rt]} on 127.0.0.1:$port"
	if [ "$sys" = clm ]; then
		if ! fail_app_args "$rt" "$port"; then
			for ev in $FAIL_EVENTS; do
				fail "fail_${rt}_$ev" clm "$FAIL_WHY"
			done
			return 0
		fi
		PORT=$port HOST=127.0.0.1 timeout 60 "$CLM" start --name "$name" \
		    -i 2 "${APP_ARGS[@]}" >>"$SCRATCH/logs/clm-cli.log" 2>&1
	else
		if ! fail_pm2_conf "$rt" "$port"; then
			say "   $FAIL_WHY"
			for ev in $FAIL_EVENTS; do
				EXTRA[fail_${rt}_$ev.pm2]="{\"not_run\": $(json_str "$FAIL_WHY")}"
			done
			return 0
		fi
		n=$FAIL_N
		pm2q start "$SCRATCH/f-$rt.config.js"
	fi
	if ! fail_up "$sys" "$name" "$n" "$port"; then
		for ev in $FAIL_EVENTS; do
			fail "fail_${rt}_$ev" "$sys" "the app did not come up"
		done
	else
		for ev in $FAIL_EVENTS; do
			if [ "$ev" = scale ] && [ "$n" -lt 2 ]; then
				EXTRA[fail_${rt}_$ev.$sys]='{"not_run": "PM2 fork mode runs 1 process on a port: nothing to scale down"}'
				continue
			fi
			fail_event "$sys" "$rt" "$name" "$port" "$ev"
			case $sys.$ev in
			clm.scale) timeout 60 "$CLM" scale "$name" 2 \
			    >>"$SCRATCH/logs/clm-cli.log" 2>&1 ;;
			pm2.scale) pm2q scale "$name" 2 ;;
			esac
			fail_up "$sys" "$name" "$n" "$port" ||
			    warn "$sys: $name did not come back to $n workers"
			sleep 1.2	# past min_uptime: a kill is a plain crash
		done
	fi
	case $sys in
	clm) timeout 60 "$CLM" delete "$name" >>"$SCRATCH/logs/clm-cli.log" 2>&1 ;;
	pm2) pm2q delete "$name" ;;
	esac
}

failures_phase() {
	local sys rt
	for rt in $FAIL_RUNTIMES; do
		for sys in "${SYSTEMS[@]}"; do
			fail_runtime "$sys" "$rt"
		done
	done
}

busiest() { sed -n 's/.*"busiest_pct":\([0-9.]*\).*/\1/p' <<<"$1"; }

KILL_SYS=
kill_one_worker() {
	local p
	p=$("pids_$KILL_SYS" | head -n1)
	[ -n "$p" ] || return 1
	kill -KILL "$p"
}

# Log throughput: a worker (bench/spew.js) writes LOG_MB of 100-byte lines
# to stdout, for each log target:
#   files   clm: `clm start` (clm-logd writes NAME-0-out.log); PM2: fork
#           mode, its God daemon writes the file;
#   stdout  clm: `clmd --foreground --apps FILE` with log_target = stdout,
#           clmd's stdout a file (clm-logd writes `spew:0 | LINE` there);
#           PM2: pm2-runtime (raw lines on its stdout), stdout a file;
#   both    clm: the file and clmd's stdout, until both hold everything;
# and bare: `node spew.js > file`. The figures: the time until every line
# arrived, lines/s, and the CPU time (utime + stime) of clmd and clm-logd
# (PM2: of the process that copies the lines) meanwhile. ROUNDS rounds,
# alternating; the median counts.

# log_fail TARGET SYS WHY: that run's rows fail (one error counted).
log_fail() {
	local id
	fail "${LOG_P[$1]}_lps" "$2" "$3"
	for id in $(log_ids "$1"); do
		NOTE[$id.$2]=${NOTE[$id.$2]:-$3}
	done
}
log_got() { LOGGOT[$1.$2]+=" $3"; }	# log_got ID SYS VALUE

# alive PID: PID runs (a zombie, until this shell waits for it, does not).
alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

# stop_pid PID SECONDS: SIGTERM to a child of this shell, SIGKILL (and to
# its children) after SECONDS; STOP_RC: its exit status.
STOP_RC=
stop_pid() {
	local end=$((SECONDS + $2))
	kill -TERM "$1" 2>/dev/null
	while alive "$1"; do
		if [ "$SECONDS" -ge "$end" ]; then
			pkill -KILL -P "$1"
			kill -KILL "$1"
			break
		fi
		sleep 0.05
	done
	STOP_RC=0
	wait "$1" 2>/dev/null || STOP_RC=$?
}

# fg_started PID: until PID, a child of this shell, runs a worker; 1 when
# it exited first, or after 60 s.
fg_started() {
	local end=$((SECONDS + 60))
	while :; do
		wait_children "$1" 1 0 && return 0
		alive "$1" && [ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# fg_spawn TARGET SYS OUT LOG CMD...: CMD, a supervisor in the foreground,
# in the background (its pid: FG), its stdout OUT, its stderr logs/LOG;
# 1, and that run failed, when it exits or runs no worker within 60 s.
FG=
fg_spawn() {
	local tgt=$1 sys=$2 out=$3 log=$4
	shift 4
	"$@" >"$out" 2>>"$SCRATCH/logs/$log" &
	FG=$!
	BG_PIDS+=("$FG")
	fg_started "$FG" && return 0
	log_fail "$tgt" "$sys" "spew did not start (see logs/$log, with --keep)"
	stop_pid "$FG" 30
	return 1
}

# log_once TARGET SYS: one measurement.
log_once() {
	local tgt=$1 sys=$2 go=$SCRATCH/spew-go-$1-$2 p=${LOG_P[$1]}
	local files=() want=() dpid='' lpid='' fg='' i t0 t1 secs sz c0d='' c1d=''
	local c0l='' c1l='' n short=''
	rm -f "$go"
	case $tgt.$sys in
	files.clm)
		# No rotation (PM2 has none built in).
		SPEW_BYTES=$LOG_BYTES SPEW_GO=$go timeout 60 "$CLM" start \
		    "$BENCH_DIR/spew.js" --name spew --max-log-size 0 \
		    >>"$SCRATCH/logs/clm-cli.log" 2>&1 ||
		    { log_fail "$tgt" clm "clm start spew.js failed"; return 0; }
		files=("$CLM_HOME/logs/spew-0-out.log") want=("$LOG_BYTES")
		dpid=$(clmd_pid)
		lpid=$(pgrep -P "$dpid" -x clm-logd | head -n1)
		;;
	files.pm2)
		cat >"$SCRATCH/spew.config.js" <<JS
module.exports = { apps: [{ name: 'spew', script: '$BENCH_DIR/spew.js',
  exec_mode: 'fork', autorestart: false,
  out_file: '$PM2_HOME/logs/spew-out.log',
  error_file: '$PM2_HOME/logs/spew-err.log',
  env: { SPEW_BYTES: '$LOG_BYTES', SPEW_GO: '$go' } }] };
JS
		pm2q start "$SCRATCH/spew.config.js" && pm2_online spew 1 30 ||
		    { log_fail "$tgt" pm2 "pm2 start spew failed"; return 0; }
		files=("$PM2_HOME/logs/spew-out.log") want=("$LOG_BYTES")
		dpid=$(god_pid)
		;;
	files.bare)
		files=("$SCRATCH/spew-bare.log") want=("$LOG_BYTES")
		SPEW_BYTES=$LOG_BYTES SPEW_GO=$go SPEW_EXIT=1 \
		    node "$BENCH_DIR/spew.js" >"${files[0]}" 2>/dev/null &
		BG_PIDS+=("$!")
		;;
	stdout.clm|both.clm)
		rm -rf "$FG_HOME"
		mkdir -p "$FG_HOME"
		cat >"$SCRATCH/spew-$tgt.ini" <<INI
[spew]
script = $BENCH_DIR/spew.js
log_target = $tgt
max_log_size = 0
env.SPEW_BYTES = $LOG_BYTES
env.SPEW_GO = $go
INI
		files=("$SCRATCH/fg-out")
		want=($((LOG_LINES * (100 + ${#LOG_PREFIX}))))
		if [ "$tgt" = both ]; then
			files+=("$FG_HOME/logs/spew-0-out.log")
			want+=("$LOG_BYTES")
		fi
		fg_spawn "$tgt" clm "${files[0]}" clmd-fg.log \
		    env CLM_HOME="$FG_HOME" "$CLMD" --foreground \
		    --apps "$SCRATCH/spew-$tgt.ini" || return 0
		fg=$FG dpid=$FG
		lpid=$(pgrep -P "$fg" -x clm-logd | head -n1)
		;;
	stdout.pm2)
		rm -rf "$PM2RT_HOME"
		cat >"$SCRATCH/spew-rt.config.js" <<JS
module.exports = { apps: [{ name: 'spew', script: '$BENCH_DIR/spew.js',
  exec_mode: 'fork', autorestart: false,
  env: { SPEW_BYTES: '$LOG_BYTES', SPEW_GO: '$go' } }] };
JS
		files=("$SCRATCH/pm2rt-out") want=("$LOG_BYTES")
		fg_spawn "$tgt" pm2 "${files[0]}" pm2-runtime.log \
		    env PM2_HOME="$PM2RT_HOME" "$PM2RT" start \
		    "$SCRATCH/spew-rt.config.js" || return 0
		fg=$FG dpid=$FG
		;;
	esac
	sleep 0.5
	# What is there before the lines (pm2-runtime's own lines).
	for i in "${!files[@]}"; do
		sz=$(stat -c %s "${files[$i]}" 2>/dev/null || echo 0)
		want[$i]=$((want[i] + sz))
	done
	[ -n "$dpid" ] && c0d=$(cpu_ticks "$dpid")
	[ -n "$lpid" ] && c0l=$(cpu_ticks "$lpid")
	t0=$(now)
	touch "$go"
	local end=$((SECONDS + 60))
	i=0
	while [ "$i" -lt "${#files[@]}" ]; do
		sz=$(stat -c %s "${files[$i]}" 2>/dev/null || echo 0)
		if [ "$sz" -ge "${want[$i]}" ]; then
			i=$((i + 1))
			continue
		fi
		if [ "$SECONDS" -ge "$end" ]; then
			short="${files[$i]##*/}: only $sz of ${want[$i]} bytes after 60 s"
			break
		fi
		sleep 0.01
	done
	t1=$(now)
	[ -n "$dpid" ] && c1d=$(cpu_ticks "$dpid")
	[ -n "$lpid" ] && c1l=$(cpu_ticks "$lpid")
	if [ -n "${short:-}" ]; then
		log_fail "$tgt" "$sys" "$short"
	else
		secs=$(calc "$(elapsed_ms "$t0" "$t1") / 1000")
		[ "$tgt" = files ] && log_got log_time "$sys" "$secs"
		log_got "${p}_lps" "$sys" "$(awk -v n="$LOG_LINES" -v s="$secs" \
		    'BEGIN { printf "%.0f", n / s }')"
		if [ -n "$c1d" ]; then
			log_got "${p}_cpu" "$sys" \
			    "$(calc "($c1d - $c0d + ${c1l:-0} - ${c0l:-0}) / $TICK_HZ")"
		fi
		if [ -n "$lpid" ] && [ -n "$c1l" ]; then
			log_got "${p}_cpu_clmd" "$sys" "$(calc "($c1d - $c0d) / $TICK_HZ")"
			log_got "${p}_cpu_logd" "$sys" "$(calc "($c1l - $c0l) / $TICK_HZ")"
		fi
		say "   $sys: $LOG_LINES lines in $secs s, ${LOGGOT[${p}_lps.$sys]##* } lines/s;" \
		    "CPU: ${c1d:+$(calc "($c1d - $c0d) / $TICK_HZ") s ${lpid:+clmd, }}${lpid:+$(calc "($c1l - $c0l) / $TICK_HZ") s clm-logd}"
		# Every line whole (untimed).
		case $tgt.$sys in
		stdout.clm|both.clm)
			n=$(grep -c -x "${LOG_PREFIX}x\{99\}" "${files[0]}")
			[ "$n" = "$LOG_LINES" ] ||
			    log_fail "$tgt" clm "$n of $LOG_LINES lines on clmd's stdout are whole"
			;;
		stdout.pm2)
			# pm2-runtime prints each piece of a chunk of the pipe
			# with a newline after it: lines cut where a chunk ends.
			n=$(grep -c x "${files[0]}")
			EXTRA[logo_lps.pm2]+="${EXTRA[logo_lps.pm2]:+, }{\"lines_cut\": $((n - LOG_LINES))}"
			say "   pm2-runtime: $((n - LOG_LINES)) lines cut in two"
			;;
		esac
	fi
	case $tgt.$sys in
	files.clm) timeout 60 "$CLM" delete spew >>"$SCRATCH/logs/clm-cli.log" 2>&1 ;;
	files.pm2) pm2q delete spew ;;
	stdout.clm|both.clm)
		stop_pid "$fg" 30
		[ "$STOP_RC" = 0 ] ||
		    warn "clmd --foreground exited with $STOP_RC after SIGTERM"
		;;
	stdout.pm2) stop_pid "$fg" 30 ;;
	esac
	rm -f "${files[@]}"
}

# log_phase: ROUNDS rounds of every target and runner, the median counts.
log_phase() {
	local round tgt sys id
	[ -n "$PM2" ] && [ -x "$(dirname "$PM2")/pm2-runtime" ] &&
	    PM2RT=$(dirname "$PM2")/pm2-runtime
	for ((round = 1; round <= ROUNDS; round++)); do
		for tgt in $LOG_TARGETS; do
			for sys in "${SYSTEMS[@]}" bare; do
				case $tgt.$sys in
				stdout.bare|both.bare|both.pm2) continue ;;
				stdout.pm2) [ -n "$PM2RT" ] || continue ;;
				esac
				step "$sys: $LOG_MB MB of stdout, log target $tgt, round $round of $ROUNDS"
				log_once "$tgt" "$sys"
			done
		done
	done
	for tgt in $LOG_TARGETS; do
		for id in $(log_ids "$tgt"); do
			for sys in clm pm2 bare; do
				[ -z "${NOTE[$id.$sys]:-}" ] || continue
				if [ -n "${LOGGOT[$id.$sys]:-}" ]; then
					# shellcheck disable=SC2086
					put "$id" "$sys" "$(median ${LOGGOT[$id.$sys]})"
					EXTRA[$id.$sys]="{\"runs\": [$(echo ${LOGGOT[$id.$sys]} | tr ' ' ,)]${EXTRA[$id.$sys]:+, \"details\": [${EXTRA[$id.$sys]}]}}"
				elif [ "$sys" = clm ]; then
					# A row without its figure fails as one that failed.
					fail "$id" clm "no figure"
				fi
			done
		done
	done
	# Bare has no log target: the same lines into a file.
	for id in logo_lps logb_lps; do
		V[$id.bare]=${V[log_lps.bare]:-}
	done
}

# Many processes: start, daemon memory, list latency, delete.
# sleep_apps FILE FROM COUNT: an app file of /bin/sleep apps s<FROM>...
# listen_timeout 0: /bin/sleep never listens nor says READY=1, and clm start
# would wait min(listen_timeout, min_uptime) = 1 s for it; PM2 does not wait
# at all. One worker each (instances are clamped to the cores anyway).
sleep_apps() {
	local i
	for ((i = $2; i < $2 + $3; i++)); do
		printf '[s%d]\nscript = /bin/sleep\nargs = 100000\nlisten_timeout = 0\n' "$i"
	done >"$1"
}

many_clm() {
	local i t0 t1 t2 d r half=$((PROCS / 2)) logd
	d=$(clmd_pid)
	step "clm: start $PROCS x /bin/sleep from two app files"
	sleep_apps "$SCRATCH/apps-a.ini" 0 $((PROCS - half))
	sleep_apps "$SCRATCH/apps-b.ini" $((PROCS - half)) "$half"
	t0=$(now)
	for i in a b; do
		if ! timeout 120 "$CLM" start "$SCRATCH/apps-$i.ini" >/dev/null \
		    2>>"$SCRATCH/logs/clm-cli.log"; then
			fail start_many clm "clm start apps-$i.ini failed: $(tail -n1 "$SCRATCH/logs/clm-cli.log")"
			timeout 60 "$CLM" delete all >/dev/null 2>&1
			return 0
		fi
	done
	t1=$(now)
	wait_children "$d" "$PROCS" 120 ||
	    warn "clm: $(pgrep -c -P "$d") of $PROCS processes are running"
	t2=$(now)
	put start_many clm "$(calc "$(elapsed_ms "$t0" "$t1") / 1000")"
	put running_many clm "$(calc "$(elapsed_ms "$t0" "$t2") / 1000")"
	say "   both returned in ${V[start_many.clm]} s, all running after ${V[running_many.clm]} s"
	sleep 1
	put rss_many clm "$(calc "$(rss_kb "$d") / 1024")"
	logd=$(pgrep -P "$d" -x clm-logd)
	[ -n "$logd" ] && put rss_logd_many clm "$(calc "$(rss_kb "$logd") / 1024")"
	EXTRA[rss_many.clm]="{\"clmd_fds\": $(ls "/proc/$d/fd" | wc -l), \"logd_fds\": $(ls "/proc/${logd:-0}/fd" 2>/dev/null | wc -l)}"
	r=$(mean_ms "$LIST_RUNS_BIG" "$CLM" list --json) &&
	    put cli_list_many clm "$r"
	say "   clmd ${V[rss_many.clm]} MB, clm-logd ${V[rss_logd_many.clm]:--} MB, list --json ${V[cli_list_many.clm]:--} ms"
	many_clm_delete "$d" || return 0

	[ "$PROCS" -le "$LOOP_MAX" ] || return 0
	step "clm: start $PROCS x /bin/sleep (a loop of clm start)"
	t0=$(now)
	for ((i = 0; i < PROCS; i++)); do
		if ! timeout 30 "$CLM" start /bin/sleep --name "s$i" \
		    --listen-timeout 0 -- 100000 >/dev/null 2>>"$SCRATCH/logs/clm-cli.log"
		then
			fail start_loop clm "clm start s$i failed"
			return 0
		fi
	done
	wait_children "$d" "$PROCS" 30 ||
	    warn "clm: $(pgrep -c -P "$d") of $PROCS processes are running"
	t1=$(now)
	put start_loop clm "$(calc "$(elapsed_ms "$t0" "$t1") / 1000")"
	say "   loop: ${V[start_loop.clm]} s"
	timeout 60 "$CLM" delete all >>"$SCRATCH/logs/clm-cli.log" 2>&1
	wait_children "$d" 0 60 || warn "clm: processes left after delete"
}

# many_clm_delete CLMD_PID: `clm delete all`, timed until every process is
# gone.
many_clm_delete() {
	local t0 t1
	t0=$(now)
	timeout 60 "$CLM" delete all >>"$SCRATCH/logs/clm-cli.log" 2>&1 ||
	    { fail delete_many clm "clm delete all failed"; return 1; }
	wait_children "$1" 0 60 ||
	    { fail delete_many clm "processes left after delete"; return 1; }
	t1=$(now)
	put delete_many clm "$(calc "$(elapsed_ms "$t0" "$t1") / 1000")"
	say "   delete: ${V[delete_many.clm]} s"
}

# PM2 at PM2_PROCS processes, each step bounded to PM2_BOUND seconds: a step
# that takes longer is reported as an error with the bound.
many_pm2() {
	local i t0 t1 d r n=$PM2_PROCS
	step "PM2: start $n x /bin/sleep from one ecosystem file (bounded to $PM2_BOUND s)"
	{
		printf 'module.exports = { apps: [\n'
		for ((i = 0; i < n; i++)); do
			printf "  { name: 's%d', script: '/bin/sleep', args: '100000', interpreter: 'none', exec_mode: 'fork' },\n" "$i"
		done
		printf '] };\n'
	} >"$SCRATCH/many.config.js"
	d=$(god_pid)
	t0=$(now)
	if ! timeout "$PM2_BOUND" "$PM2" start "$SCRATCH/many.config.js" \
	    >>"$SCRATCH/logs/pm2-cli.log" 2>&1; then
		fail start_many pm2 "pm2 start of the app file failed or took more than $PM2_BOUND s"
		pm2q delete all
		wait_children "$d" 0 "$PM2_BOUND"
		return 0
	fi
	t1=$(now)
	put start_many pm2 "$(calc "$(elapsed_ms "$t0" "$t1") / 1000")"
	say "   ${V[start_many.pm2]} s"
	if wait_children "$d" "$n" "$PM2_BOUND"; then
		put running_many pm2 "$(calc "$(elapsed_ms "$t0" "$(now)") / 1000")"
	else
		warn "PM2: $(pgrep -c -P "$d") of $n processes are running"
	fi
	sleep 1
	put rss_many pm2 "$(calc "$(rss_kb "$d") / 1024")"
	r=$(mean_ms "$LIST_RUNS_BIG" timeout "$PM2_BOUND" "$PM2" jlist) &&
	    put cli_list_many pm2 "$r"
	say "   God ${V[rss_many.pm2]} MB, jlist ${V[cli_list_many.pm2]:--} ms"
	t0=$(now)
	timeout "$PM2_BOUND" "$PM2" delete all >>"$SCRATCH/logs/pm2-cli.log" 2>&1 ||
	    { fail delete_many pm2 "pm2 delete all failed or took more than $PM2_BOUND s"; return 0; }
	wait_children "$d" 0 "$PM2_BOUND" ||
	    { fail delete_many pm2 "processes left after delete"; return 0; }
	t1=$(now)
	put delete_many pm2 "$(calc "$(elapsed_ms "$t0" "$t1") / 1000")"
	say "   delete: ${V[delete_many.pm2]} s"

	[ "$n" -le "$LOOP_MAX" ] || return 0
	step "PM2: start $n x /bin/sleep (a loop of pm2 start)"
	t0=$(now)
	for ((i = 0; i < n; i++)); do
		if ! pm2q start /bin/sleep --name "s$i" --interpreter none \
		    -- 100000; then
			fail start_loop pm2 "pm2 start s$i failed"
			break
		fi
	done
	t1=$(now)
	[ -n "${NOTE[start_loop.pm2]:-}" ] ||
	    put start_loop pm2 "$(calc "$(elapsed_ms "$t0" "$t1") / 1000")"
	say "   ${V[start_loop.pm2]:-error} s"
	pm2q delete all
	wait_children "$d" 0 120
}

# -------------------------------------------------------------------- main

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
CLM_VERSION=$("$CLM" --version 2>/dev/null | head -n1)
NODE_VERSION=$(node --version 2>/dev/null)
say "clm: $CLM ($CLM_VERSION), CLM_HOME=$CLM_HOME"
say "machine: $(nproc) cores, load average $LOAD0$([ "$QUICK" = 1 ] && echo ', quick run')"
setup_pm2
mkdir -p "$OUT" || exit 1

SYSTEMS=(clm)
[ -n "$PM2" ] && SYSTEMS+=(pm2)

if [ "$HAVE_NODE" = 1 ] && [ "$SCALE" = 0 ]; then
	if want idle || want throughput || want spread || want events; then
		http_phase
	fi
	want failures && failures_phase
	want log && log_phase
else
	# The daemon still needs to run for the process scenarios.
	timeout 60 "$CLM" start /bin/sleep --name warmup --listen-timeout 0 \
	    -- 100000 >/dev/null 2>&1 && "$CLM" delete warmup >/dev/null 2>&1
fi

want many && many_clm
if want many && [ -n "$PM2" ]; then
	pm2q ping	# the God daemon, outside any measurement
	many_pm2
fi

print_table
write_json "$OUT/results.json"
say "results: $OUT/results.json"
write_chart
if [ -n "$PM2_SKIPPED" ]; then
	say "PM2 column skipped: $PM2_SKIPPED"
fi
if [ "$ERRORS" -gt 0 ]; then
	warn "$ERRORS clm measurement(s) failed (logs: rerun with --keep)"
	exit 1
fi
exit 0
