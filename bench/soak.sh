#!/usr/bin/env bash
# The soak: everything at once for N minutes, and nothing may grow.
#
#   bash bench/soak.sh [--minutes N] [--out DIR] [--keep]
#
# On a private CLM_HOME, at the same time:
#   - web: bench/app.js, 2 workers, under a steady load of new connections
#     (bench/httpc.js load: strict, every reply read to its end) and a
#     rolling `clm reload web` every 20 s;
#   - crash: a worker that exits with 3 after a second, forever;
#   - scaler: /bin/sleep scaled between 1 and 4 workers every 10 s (clamped
#     to the cores);
#   - flood: bench/flood.js, 1 MiB/s of stdout, rotated at 1 MiB (2 kept);
#   - a client running `clm list --json` and `clm metrics` in a loop;
#   - clm-logd killed (SIGKILL) every minute, `clm update` every 2 minutes.
# Every 5 s it samples the RSS and open fds of clmd, clm-logd and clm-keeper
# (which gets clmd's checks), and clmd's and clm-logd's RssAnon (their
# private memory: the RSS less the code and files they map; figures
# only). It fails if, after the first minute (the warm-up), an RSS grows
# by more than 5 % over its value at the end of the warm-up, or the fds by
# more than the workers started since; if any request failed; if, after
# `clm kill`, a process or an open fd of that CLM_HOME is left; or, with
# an ASan/UBSan build (tests/run.sh runs the 1-minute soak on one), if a
# sanitizer reported anything (LeakSanitizer: at each exit).
# The baseline is fair only once clmd is the image the rest of the run
# looks like: `clm update` re-executes clmd (same pid, so the same sampled
# process), and the new image starts from an untouched heap and unmapped
# code, its RSS ~200-350 kB below the old one's; it climbs back to the same
# plateau over its first reload, scale, clm-logd restart and clients (20-60
# s). With the first update at 45 s the warm-up ended 15 s into that climb,
# and the next images' plateau showed as +5.8 % of "growth" that valgrind
# (`leak_check full increased` via vgdb, rounds of every event, updates
# included) showed was none: 0 bytes lost, reachable bytes the same after
# every round. So the first update comes first (at 5 s), and every other
# kind of event happens after it in the warm-up. Runs shorter than 10
# minutes scale the warm-up and the periods down (1 minute: a 35 s warm-up;
# an update at 2 s, then every 15 s; a reload every 10 s, a scale every 5 s,
# a clm-logd kill at 10 s, then every 15 s).
# Figures: DIR/soak.json, DIR/soak.dat (the samples) and DIR/soak.png
# (gnuplot, when installed); DIR is bench/out by default.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
. "$BENCH_DIR/common.sh"

usage() {
	cat <<'EOF'
usage: bash bench/soak.sh [--minutes N] [--out DIR] [--keep]

  --minutes N   how long everything runs (default 10; the test suite runs 1)
  --out DIR     where soak.json, soak.dat and soak.png go (default bench/out)
  --keep        keep the scratch directory (CLM_HOME, logs) for inspection

Environment: CLM_BIN_DIR (where clm and clmd are; default ./build, then
PATH). Needs node.
EOF
}

MINUTES=10
OUT=$BENCH_DIR/out
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) [ $# -ge 2 ] || { usage >&2; exit 2; }; MINUTES=$2; shift ;;
	--out) [ $# -ge 2 ] || { usage >&2; exit 2; }; OUT=$2; shift ;;
	--keep) KEEP=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "soak.sh: unknown option '$1' (see bash bench/soak.sh --help)" >&2
	   exit 2 ;;
	esac
	shift
done
case $MINUTES in
''|*[!0-9]*|0) echo "soak.sh: --minutes takes a positive integer" >&2; exit 2 ;;
esac

say() { printf '%s\n' "$*" >&2; }
warn() { printf 'soak.sh: %s\n' "$*" >&2; }

bench_find_clm || exit 1
command -v node >/dev/null || { warn "node is needed (apt-get install nodejs)"; exit 1; }

# Periods (seconds). The full run uses the issue's; a short one scales them.
TOTAL=$((MINUTES * 60))
if [ "$MINUTES" -ge 10 ]; then
	WARM=60 RELOAD_EVERY=20 SCALE_EVERY=10 LOGD_EVERY=60 UPDATE_EVERY=120
	LOGD_FIRST=25 UPDATE_FIRST=5
else
	WARM=$((TOTAL * 7 / 12)) RELOAD_EVERY=$((TOTAL / 6))
	SCALE_EVERY=$((TOTAL / 12)) LOGD_EVERY=$((TOTAL / 4))
	UPDATE_EVERY=$((TOTAL / 4)) LOGD_FIRST=$((TOTAL / 6))
	UPDATE_FIRST=$((TOTAL / 30 > 2 ? TOTAL / 30 : 2))
	[ "$SCALE_EVERY" -ge 2 ] || SCALE_EVERY=2
fi
SAMPLE_EVERY=5
RSS_GROWTH_PCT=5
LOAD_CONC=4 LOAD_RATE=100	# requests a second, new connections

SCRATCH=$(mktemp -d /tmp/clm-soak.XXXXXX) || exit 1
export CLM_HOME=$SCRATCH/home
LOGS=$SCRATCH/logs
# Sanitizer reports of an ASan/UBSan build (LeakSanitizer's at each exit:
# the last clmd image's after clm kill, every clm-logd's) go to files that
# fail the run: a detached clmd's stderr is /dev/null.
SAN_DIR=$SCRATCH/san
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SAN_DIR/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$SAN_DIR/ubsan"
mkdir -p "$LOGS" "$OUT" "$SAN_DIR" || exit 1
BG_PIDS=()
FAILS=()

cleanup() {
	local rc=$? p d
	trap - EXIT INT TERM
	set +e
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	d=$(clmd_pid)
	if [ -n "$d" ] && kill -0 "$d" 2>/dev/null; then
		timeout 30 "$CLM" kill >/dev/null 2>&1
		kill -0 "$d" 2>/dev/null && kill -KILL "$d"
	fi
	wait 2>/dev/null
	if [ "$KEEP" = 1 ]; then
		say "scratch kept: $SCRATCH"
	else
		rm -rf "$SCRATCH"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'warn "interrupted"; exit 130' INT TERM

clmd_pid() { head -n1 "$CLM_HOME/clmd.pid" 2>/dev/null; }
logd_pid() { pgrep -P "$(clmd_pid)" -x clm-logd 2>/dev/null | head -n1; }
# clm-keeper (its own session): the one started for our keeper.sock.
keeper_pid() { pgrep -x -f -- "\S*clm-keeper $CLM_HOME/keeper.sock .*" | head -n1; }
fds_of() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
anon_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
started() { grep -c ': started pid ' "$CLM_HOME/clmd.log" 2>/dev/null; }
clmq() { timeout 60 "$CLM" "$@" >>"$LOGS/clm-cli.log" 2>&1; }
bad() { FAILS+=("$*"); warn "FAIL: $*"; }

# every PERIOD FIRST NAME CMD...: run CMD after FIRST s, then every
# PERIOD s (0: back to back, a 0.2 s pause between) until the end, in the
# background; the runs and the failures are counted in $LOGS/NAME.count,
# what CMD says in NAME.log.
every() {
	local period=$1 first=$2 name=$3
	shift 3
	(
		ok=0 ko=0 next=$((SECONDS + first))
		while :; do
			# Short sleeps: the loop ends with the run, not a period later.
			while [ "$SECONDS" -lt "$next" ] && [ "$SECONDS" -lt "$END" ]; do
				sleep 0.5
			done
			[ "$SECONDS" -lt "$END" ] || break
			next=$((next + period))
			if "$@" >>"$LOGS/$name.log" 2>&1; then
				ok=$((ok + 1))
			else
				ko=$((ko + 1))
				printf '%s %s failed\n' "$(date -u +%T)" "$name" \
				    >>"$LOGS/$name.log"
			fi
			echo "$ok $ko" >"$LOGS/$name.count"
			[ "$period" != 0 ] || sleep 0.2
		done
	) &
	BG_PIDS+=("$!")
}

# ------------------------------------------------------------------ start

say "soak: $MINUTES min on $(nproc) cores (load $(cut -d' ' -f1-3 /proc/loadavg)), CLM_HOME=$CLM_HOME"
say "      warm-up $WARM s; clm update at $UPDATE_FIRST s, then every $UPDATE_EVERY s; reload every $RELOAD_EVERY s, scale every $SCALE_EVERY s, clm-logd killed at $LOGD_FIRST s, then every $LOGD_EVERY s"
PORT=$(bench_free_port)
cat >"$SCRATCH/soak.ini" <<EOF
[web]
script = $BENCH_DIR/app.js
instances = 2
env.PORT = $PORT
env.HOST = 127.0.0.1

[crash]
script = $BENCH_DIR/crash.sh
min_uptime = 500
max_restarts = 1000000

[scaler]
script = /bin/sleep
args = 100000
listen_timeout = 0

[flood]
script = $BENCH_DIR/flood.js
max_log_size = 1M
log_retain = 2
EOF
if ! timeout 120 "$CLM" start "$SCRATCH/soak.ini" >"$LOGS/start.log" 2>&1; then
	cat "$LOGS/start.log" >&2
	warn "clm start soak.ini failed"
	exit 1
fi
node "$BENCH_DIR/httpc.js" wait "$PORT" 30000 ||
	{ warn "web does not answer on 127.0.0.1:$PORT"; exit 1; }

START=$SECONDS
END=$((START + TOTAL))
timeout $((TOTAL + 60)) node "$BENCH_DIR/httpc.js" load "$PORT" "$TOTAL" \
    "$LOAD_CONC" "$LOAD_RATE" >"$LOGS/load.json" 2>"$LOGS/load.err" &
LOAD_PID=$!
BG_PIDS+=("$LOAD_PID")

# clm update refuses while an operation (a reload, a scale) is under way or
# a worker is launching (the crash loop's often is), and says "try again":
# so do we, every 0.5 s for up to 30 s; any other refusal is a failure.
update_when_idle() {
	local i out
	for ((i = 0; i < 60; i++)); do
		out=$(timeout 60 "$CLM" update 2>&1) && { echo "$out"; return 0; }
		case $out in
		*"try again"*) sleep 0.5 ;;
		*) echo "$out"; return 1 ;;
		esac
	done
	echo "$out"
	return 1
}

# SIGKILL clm-logd (the one there is now: clm update replaces it too).
kill_logd() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$(logd_pid)
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no clm-logd to kill under clmd $(clmd_pid)"
	return 1
}

SCALE_N=1
scale_flip() {
	SCALE_N=$((SCALE_N == 1 ? 4 : 1))
	clmq scale scaler "$SCALE_N"
}
# Each kind of event happens in the warm-up at least once after the first
# clm update (a new clmd image: see the header), so that the baseline is
# an updated image's plateau, not a point of its climb.
every "$RELOAD_EVERY" "$RELOAD_EVERY" reload clmq reload web
every "$SCALE_EVERY" "$SCALE_EVERY" scale scale_flip
every "$LOGD_EVERY" "$LOGD_FIRST" logd kill_logd
every "$UPDATE_EVERY" "$UPDATE_FIRST" update update_when_idle
# The CLI client: list and metrics, back to back (a short pause between).
every 0 0 client bash -c '"$1" list --json >/dev/null && "$1" metrics >/dev/null' _ "$CLM"

# ---------------------------------------------------------------- samples

DAT=$OUT/soak.dat
printf '# t_s clmd_rss_kb clmd_fds logd_rss_kb logd_fds workers_started logd_pid keeper_rss_kb keeper_fds clmd_anon_kb logd_anon_kb\n' >"$DAT"
BASE_T=
while [ "$SECONDS" -lt "$END" ]; do
	t=$((SECONDS - START))
	d=$(clmd_pid) l=$(logd_pid)
	# 0: no clm-logd this moment (killed, restarting); such fields do
	# not count.
	lr=$(rss_kb "${l:-0}") lf=0 la=
	[ -n "$lr" ] && lf=$(fds_of "$l") && la=$(anon_kb "$l")
	k=$(keeper_pid) kr= kf=0
	[ -n "$k" ] && kr=$(rss_kb "$k") && kf=$(fds_of "$k")
	printf '%s %s %s %s %s %s %s %s %s %s %s\n' "$t" "$(rss_kb "$d")" \
	    "$(fds_of "$d")" "${lr:-0}" "$lf" "$(started)" "${l:--}" \
	    "${kr:-0}" "$kf" "$(anon_kb "$d")" "${la:-0}" >>"$DAT"
	sleep "$SAMPLE_EVERY"
done
say "soak: $TOTAL s done; stopping the load"
wait "$LOAD_PID"
for p in "${BG_PIDS[@]}"; do
	[ "$p" = "$LOAD_PID" ] || wait "$p" 2>/dev/null
done
BG_PIDS=()

# ----------------------------------------------------------------- checks

# Growth: the median of the last minute's samples (a third of a shorter
# run) against the largest sample of the warm-up, so that one sample taken
# in a burst of activity (a reload, a rotation) neither hides nor fakes a
# trend (the fds likewise). clm-logd is a new process after each kill, and fresh ones differ
# by up to ~200 kB of a ~2 MB RSS (how much backlog they read first): its
# RSS may grow by 5 % or 256 kB, whichever is more.
LAST=$((TOTAL / 3 < 60 ? TOTAL / 3 : 60))
# stat COLUMN: "warm-up max, last-window median, max after the warm-up,
# first sample".
stat() {
	local wm am m f
	read -r wm am f < <(awk -v c="$1" -v w="$WARM" '/^#/ || $c == 0 { next }
	    f == "" { f = $c }
	    $1 <= w && $c > wm { wm = $c } $1 > w && $c > am { am = $c }
	    END { print wm + 0, am + 0, f + 0 }' "$DAT")
	m=$(awk -v c="$1" -v l=$((TOTAL - LAST)) '!/^#/ && $1 >= l && $c > 0 { print $c }' \
	    "$DAT" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0;
	    else if (NR % 2) print v[(NR + 1) / 2];
	    else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "$wm $m $am $f"
}
read -r B_CRSS E_CRSS M_CRSS F_CRSS < <(stat 2)
read -r B_CFDS E_CFDS M_CFDS F_CFDS < <(stat 3)
read -r B_LRSS E_LRSS M_LRSS F_LRSS < <(stat 4)
read -r B_LFDS E_LFDS M_LFDS F_LFDS < <(stat 5)
read -r B_KRSS E_KRSS M_KRSS F_KRSS < <(stat 8)
read -r B_KFDS E_KFDS M_KFDS F_KFDS < <(stat 9)
read -r B_CANON E_CANON M_CANON F_CANON < <(stat 10)
read -r B_LANON E_LANON M_LANON F_LANON < <(stat 11)
B_STARTED=$(awk -v w="$WARM" '!/^#/ && $1 <= w { s = $6 } END { print s + 0 }' "$DAT")
E_STARTED=$(awk '!/^#/ { s = $6 } END { print s + 0 }' "$DAT")
STARTED_SINCE=$((E_STARTED - B_STARTED))
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", 100 * (a - b) / b; else print 0 }'; }
# grew NOW BASE [FLOOR_KB]: NOW is more than 5 % (or FLOOR_KB) above BASE.
grew() {
	awk -v a="$1" -v b="$2" -v p="$RSS_GROWTH_PCT" -v f="${3:-0}" 'BEGIN {
	    lim = b * (1 + p / 100); if (b + f > lim) lim = b + f; exit !(a > lim) }'
}

C_GROWTH=$(pct "$E_CRSS" "$B_CRSS")
L_GROWTH=$(pct "$E_LRSS" "$B_LRSS")
FD_GROWTH=$((E_CFDS - B_CFDS))
L_FD_GROWTH=$((E_LFDS - B_LFDS))
say "first samples: clmd $F_CRSS kB, $F_CFDS fds; clm-logd $F_LRSS kB, $F_LFDS fds; clm-keeper $F_KRSS kB, $F_KFDS fds"
say "clmd RSS: at most $B_CRSS kB in the warm-up, $E_CRSS kB (median) in the last $LAST s: $C_GROWTH % (largest after: $M_CRSS kB)"
say "clm-logd RSS: at most $B_LRSS kB in the warm-up, $E_LRSS kB (median) in the last $LAST s: $L_GROWTH % (largest after: $M_LRSS kB)"
say "private memory (RssAnon, kB; warm-up max, last median, max after): clmd $B_CANON, $E_CANON, $M_CANON; clm-logd $B_LANON, $E_LANON, $M_LANON"
say "fds (warm-up max, last median, max after): clmd $B_CFDS, $E_CFDS, $M_CFDS; clm-logd $B_LFDS, $E_LFDS, $M_LFDS; $STARTED_SINCE workers started since"
grew "$E_CRSS" "$B_CRSS" && bad "clmd's RSS grew by $C_GROWTH % (limit $RSS_GROWTH_PCT %)"
grew "$E_LRSS" "$B_LRSS" 256 && bad "clm-logd's RSS grew by $L_GROWTH % (limit $RSS_GROWTH_PCT % or 256 kB)"
[ "$FD_GROWTH" -le "$STARTED_SINCE" ] ||
	bad "clmd's fds grew by $FD_GROWTH, more than the $STARTED_SINCE workers started since"
[ "$L_FD_GROWTH" -le "$STARTED_SINCE" ] ||
	bad "clm-logd's fds grew by $L_FD_GROWTH, more than the $STARTED_SINCE workers started since"
# clm-keeper, when there is one (it holds a copy of every worker's fds):
# the same checks as clmd's.
K_GROWTH=$(pct "$E_KRSS" "$B_KRSS")
K_FD_GROWTH=$((E_KFDS - B_KFDS))
if [ "$B_KRSS" != 0 ]; then
	say "clm-keeper: RSS at most $B_KRSS kB in the warm-up, $E_KRSS kB (median) in the last $LAST s: $K_GROWTH %; fds $B_KFDS, $E_KFDS, $M_KFDS"
	grew "$E_KRSS" "$B_KRSS" && bad "clm-keeper's RSS grew by $K_GROWTH % (limit $RSS_GROWTH_PCT %)"
	[ "$K_FD_GROWTH" -le "$STARTED_SINCE" ] ||
		bad "clm-keeper's fds grew by $K_FD_GROWTH, more than the $STARTED_SINCE workers started since"
fi

LOAD=$(cat "$LOGS/load.json" 2>/dev/null)
REQ_OK=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' <<<"$LOAD")
REQ_FAILED=$(sed -n 's/.*"failed":\([0-9]*\).*/\1/p' <<<"$LOAD")
say "requests: ${REQ_OK:-?} answered, ${REQ_FAILED:-?} failed $(sed -n 's/.*"errors":\({.*}\).*/\1/p' <<<"$LOAD")"
[ -n "$REQ_OK" ] && [ "$REQ_OK" -gt 0 ] || bad "the load client reported nothing: $(tail -n 3 "$LOGS/load.err")"
[ "${REQ_FAILED:-1}" = 0 ] || bad "${REQ_FAILED:-?} requests failed (first: $(head -n 3 "$LOGS/load.err" | tr '\n' ';'))"

declare -A RUNS
for n in reload scale logd update client; do
	read -r ok ko <"$LOGS/$n.count" 2>/dev/null || { ok=0 ko=0; }
	RUNS[$n]="$ok $ko"
	say "$n: $ok done, $ko failed"
	[ "$ko" = 0 ] || bad "$ko of the $n events failed (see $n.log: $(grep -m1 -v '^$' "$LOGS/$n.log" | head -c 200))"
	[ "$ok" -gt 0 ] || bad "no $n event ran"
done
CRASH_RESTARTS=$(timeout 30 "$CLM" list --json 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => s += d);
    process.stdin.on("end", () => { let n = 0;
    for (const w of JSON.parse(s)) if (w.name === "crash") n += w.restarts;
    console.log(n); });')
say "crash: ${CRASH_RESTARTS:-?} restarts"
[ "${CRASH_RESTARTS:-0}" -gt 0 ] || bad "the crash app never restarted"
ROTATED=$(ls "$CLM_HOME/logs/" | grep -c '^flood-0-out\.log\.[0-9]')
say "flood: $ROTATED rotated files kept"
[ "$ROTATED" -ge 1 ] || bad "the flood log never rotated"

# The end: clm kill leaves no process and no fd of this CLM_HOME.
D=$(clmd_pid)
timeout 60 "$CLM" kill >>"$LOGS/clm-cli.log" 2>&1 || bad "clm kill failed"
for _ in $(seq 100); do
	kill -0 "$D" 2>/dev/null || break
	sleep 0.1
done
# (one grep and one find over /proc: a loop of forks would take seconds;
# grep runs without CLM_HOME in its own environment)
LEFT_PROCS=
for f in $(env -u CLM_HOME grep -lzx "CLM_HOME=$CLM_HOME" /proc/[0-9]*/environ 2>/dev/null); do
	p=${f#/proc/} p=${p%/environ}
	[ "$p" != $$ ] && [ -e "/proc/$p" ] &&
	    LEFT_PROCS+=" $p($(cat "/proc/$p/comm" 2>/dev/null))"
done
LEFT_FDS=$(find /proc/[0-9]*/fd -lname "$CLM_HOME/*" 2>/dev/null |
    awk -F/ '{ print $3 }' | sort -u | tr '\n' ' ')
[ -z "$LEFT_PROCS" ] || bad "processes of $CLM_HOME left after clm kill:$LEFT_PROCS"
[ -z "$LEFT_FDS" ] || bad "open fds into $CLM_HOME left after clm kill:$LEFT_FDS"
[ -n "$LEFT_PROCS$LEFT_FDS" ] || say "clm kill: no process and no fd of $CLM_HOME left"
SAN_REPORTS=$(ls "$SAN_DIR")
if [ -n "$SAN_REPORTS" ]; then
	head -n 40 "$SAN_DIR"/* >&2
	bad "sanitizer reports: $(echo $SAN_REPORTS)"
fi

# ---------------------------------------------------------------- figures

{
	printf '{\n  "date": %s, "minutes": %s, "cores": %s, "loadavg_end": %s,\n' \
	    "$(json_str "$(date -u +%FT%TZ)")" "$MINUTES" "$(nproc)" \
	    "$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")"
	printf '  "periods_s": {"warmup": %s, "reload": %s, "scale": %s, "logd_kill": %s, "update": %s, "sample": %s},\n' \
	    "$WARM" "$RELOAD_EVERY" "$SCALE_EVERY" "$LOGD_EVERY" "$UPDATE_EVERY" "$SAMPLE_EVERY"
	printf '  "clmd_rss_kb": {"first": %s, "warmup_max": %s, "last_median": %s, "max_after": %s, "growth_pct": %s},\n' \
	    "$F_CRSS" "$B_CRSS" "$E_CRSS" "$M_CRSS" "$C_GROWTH"
	printf '  "logd_rss_kb": {"first": %s, "warmup_max": %s, "last_median": %s, "max_after": %s, "growth_pct": %s},\n' \
	    "$F_LRSS" "$B_LRSS" "$E_LRSS" "$M_LRSS" "$L_GROWTH"
	printf '  "clmd_fds": {"first": %s, "warmup_max": %s, "last_median": %s, "max_after": %s, "growth": %s},\n' \
	    "$F_CFDS" "$B_CFDS" "$E_CFDS" "$M_CFDS" "$FD_GROWTH"
	printf '  "logd_fds": {"first": %s, "warmup_max": %s, "last_median": %s, "max_after": %s, "growth": %s},\n' \
	    "$F_LFDS" "$B_LFDS" "$E_LFDS" "$M_LFDS" "$L_FD_GROWTH"
	printf '  "clmd_anon_kb": {"first": %s, "warmup_max": %s, "last_median": %s, "max_after": %s},\n' \
	    "$F_CANON" "$B_CANON" "$E_CANON" "$M_CANON"
	printf '  "logd_anon_kb": {"first": %s, "warmup_max": %s, "last_median": %s, "max_after": %s},\n' \
	    "$F_LANON" "$B_LANON" "$E_LANON" "$M_LANON"
	printf '  "keeper_rss_kb": {"first": %s, "warmup_max": %s, "last_median": %s, "max_after": %s, "growth_pct": %s},\n' \
	    "$F_KRSS" "$B_KRSS" "$E_KRSS" "$M_KRSS" "$K_GROWTH"
	printf '  "keeper_fds": {"first": %s, "warmup_max": %s, "last_median": %s, "max_after": %s, "growth": %s},\n' \
	    "$F_KFDS" "$B_KFDS" "$E_KFDS" "$M_KFDS" "$K_FD_GROWTH"
	printf '  "workers_started": %s, "workers_started_since_warmup": %s,\n' \
	    "$E_STARTED" "$STARTED_SINCE"
	printf '  "requests": %s,\n' "${LOAD:-null}"
	printf '  "events": {'
	sep=
	for n in reload scale logd update client; do
		read -r ok ko <<<"${RUNS[$n]}"
		printf '%s"%s": {"done": %s, "failed": %s}' "$sep" "$n" "$ok" "$ko"
		sep=', '
	done
	printf '},\n  "crash_restarts": %s, "flood_rotated_files": %s,\n' \
	    "${CRASH_RESTARTS:-null}" "$ROTATED"
	printf '  "failures": ['
	sep=
	for f in "${FAILS[@]}"; do
		printf '%s%s' "$sep" "$(json_str "$f")"
		sep=', '
	done
	printf '],\n  "passed": %s\n}\n' "$([ ${#FAILS[@]} = 0 ] && echo true || echo false)"
} >"$OUT/soak.json"
say "figures: $OUT/soak.json, $DAT"

if command -v gnuplot >/dev/null; then
	# A grey line at each clm update (a new clmd image: its RSS dips);
	# no point where clm-logd was not there (killed, not back yet).
	UPDATE_MARKS=
	for ((u = UPDATE_FIRST; u < TOTAL; u += UPDATE_EVERY)); do
		UPDATE_MARKS+="set arrow from $u, graph 0 to $u, graph 1 nohead dt 4 lc rgb 'gray'"$'\n'
	done
	gnuplot >/dev/null 2>&1 <<EOF || true
set terminal pngcairo size 1100,600 noenhanced
set output "$OUT/soak.png"
set title "clm soak, $MINUTES min: RSS and open fds (warm-up until $WARM s; grey: clm update)"
set xlabel "seconds"
set ylabel "RSS (MB)"
set y2label "open fds"
set ytics nomirror
set y2tics
set key outside bottom center horizontal
set grid
set arrow from $WARM, graph 0 to $WARM, graph 1 nohead dt 2
$UPDATE_MARKS
plot "$DAT" using 1:(\$2/1024) with lines lw 2 title "clmd RSS", \
     "" using 1:(\$4 > 0 ? \$4/1024 : 1/0) with lines lw 2 title "clm-logd RSS", \
     "" using 1:3 axes x1y2 with lines dt 3 title "clmd fds", \
     "" using 1:(\$4 > 0 ? \$5 : 1/0) axes x1y2 with lines dt 3 title "clm-logd fds", \
     "" using 1:(\$8/1024) with lines lw 2 title "clm-keeper RSS", \
     "" using 1:(\$10/1024) with lines lw 1 title "clmd RssAnon", \
     "" using 1:9 axes x1y2 with lines dt 3 title "clm-keeper fds"
EOF
	[ -s "$OUT/soak.png" ] && say "plot: $OUT/soak.png"
fi

if [ ${#FAILS[@]} -gt 0 ]; then
	warn "${#FAILS[@]} check(s) failed:"
	printf '  %s\n' "${FAILS[@]}" >&2
	exit 1
fi
say "soak: passed"
exit 0
