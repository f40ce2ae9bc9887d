# Sourced by bench/run.sh and bench/soak.sh (BENCH_DIR and ROOT set).

# bench_find_clm: CLM and CLMD from $CLM_BIN_DIR, ./build, the repo's build
# or PATH; CLM_DAEMON exported so that clm starts this clmd.
bench_find_clm() {
	local d
	CLM= CLMD=
	for d in "${CLM_BIN_DIR:-}" "$PWD/build" "$ROOT/build"; do
		if [ -n "$d" ] && [ -x "$d/clm" ] && [ -x "$d/clmd" ]; then
			CLM=$d/clm CLMD=$d/clmd
			break
		fi
	done
	if [ -z "$CLM" ] && command -v clm >/dev/null &&
	    command -v clmd >/dev/null; then
		CLM=$(command -v clm) CLMD=$(command -v clmd)
	fi
	if [ -z "$CLM" ]; then
		printf '%s\n' "$(basename "$0"): clm and clmd not found in" \
		    "\$CLM_BIN_DIR, ./build or PATH (build them: cmake -S . -B build" \
		    "-DCMAKE_BUILD_TYPE=Release && cmake --build build)" >&2
		return 1
	fi
	export CLM_DAEMON=$CLMD
}

# rss_kb PID: VmRSS in kB (nothing if PID is gone).
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# bench_free_port: a TCP port of 127.0.0.1 that nothing listens on.
bench_free_port() {
	if command -v node >/dev/null; then
		node -e 'const s = require("net").createServer();
		    s.listen(0, "127.0.0.1", () => {
		    console.log(s.address().port); s.close(); });'
	else
		python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
	fi
}

# json_str S: S as a JSON string (newlines and tabs become spaces).
json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/ }
	s=${s//$'\t'/ }
	printf '"%s"' "$s"
}

# bench_kill_env NAME=VALUE...: SIGKILL every process whose environment
# holds one of these entries (what a daemon left behind, e.g. PM2's workers
# once its God daemon was killed); prints how many. grep runs without them
# in its own environment, and this shell is spared.
bench_kill_env() {
	local e f p n=0 args=()
	for e in "$@"; do
		args+=(-e "$e")
	done
	for f in $(env -u CLM_HOME -u PM2_HOME grep -lzxF "${args[@]}" \
	    /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/} p=${p%/environ}
		[ "$p" != $$ ] && [ "$p" != "$BASHPID" ] || continue
		kill -KILL "$p" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
