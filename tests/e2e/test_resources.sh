#!/bin/bash
# --max-memory-restart replaces a growing worker gracefully; clm metrics
# (and metrics_listen over HTTP) print valid Prometheus text with the
# documented families.
. "$(dirname "$0")/lib.sh"

# prom_check: stdin must parse as Prometheus text; prints the sample names.
prom_check() {
	"$PY" -c '
import re, sys
sample = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$")
typed, names = {}, set()
for n, line in enumerate(sys.stdin.read().splitlines(), 1):
    if line.startswith("# HELP ") or not line:
        continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ", 3)
        assert kind in ("counter", "gauge", "untyped"), line
        typed[name] = kind
        continue
    m = sample.match(line)
    if not m:
        sys.exit(f"line {n} is not a sample: {line!r}")
    if m.group(1) not in typed:
        sys.exit(f"line {n}: {m.group(1)} has no TYPE line")
    names.add(m.group(1))
print(" ".join(sorted(names)))
'
}
mem_of() { field_of "$1" 0 memory; }
pid_changed() { local p; p=$(pid_of "$1" 0); [ -n "$p" ] && [ "$p" != "$2" ]; }

check "clm metrics is Prometheus text with every documented family"
port=$(free_port)
capture env PORT="$port" clm start "$FIXTURES/http_pid.js" -i 2 --name web
assert_eq "$RC" 0 "clm start exit status"
capture clm metrics
assert_eq "$RC" 0 "clm metrics exit status"
names=$(printf '%s\n' "$OUT" | prom_check) || fail "not Prometheus text: $names"
for f in clm_worker_up clm_worker_restarts_total clm_worker_cpu_seconds_total \
    clm_worker_resident_bytes clm_app_workers_desired clm_app_workers_online \
    clm_daemon_resident_bytes; do
	assert_contains " $names " " $f " "metric families"
done
assert_contains "$OUT" 'clm_worker_up{app="web",id="1"} 1' "worker 1 up"
assert_contains "$OUT" 'clm_app_workers_online{app="web"} 2' "online count"
capture clm stop web
capture clm metrics
assert_contains "$OUT" 'clm_worker_up{app="web",id="0"} 0' "stopped worker"
assert_contains "$OUT" 'clm_app_workers_online{app="web"} 0' "online count"

check "metrics_listen serves the same over HTTP"
capture clm kill
mport=$(free_port)
mkdir -p "$CLM_HOME"
printf '[daemon]\nmetrics_listen = 127.0.0.1:%s\n' "$mport" >"$CLM_HOME/clm.ini"
capture clm start "$FIXTURES/sleeper.js" --name s
assert_eq "$RC" 0 "clm start exit status"
body=$(http_get "$mport" /metrics)
names=$(printf '%s\n' "$body" | prom_check) || fail "not Prometheus text: $names"
assert_contains "$body" 'clm_app_workers_desired{app="s"} 1' "over HTTP"
rm -f "$CLM_HOME/clm.ini"
capture clm kill

check "--max-memory-restart: a growing worker is replaced, gracefully"
port=$(free_port)
capture env PORT="$port" clm start "$FIXTURES/m_grow.js" --name grow \
    --max-memory-restart 90M
show_capture
assert_eq "$RC" 0 "clm start exit status"
old=$(pid_of grow 0)
capture clm describe grow
assert_contains "$OUT" "max_memory" "describe shows the limit"
# Node starts near 45 MB and grows 8 MB/s: over 90 MB within ~10 s.
wait_until 40 pid_changed grow "$old"
new=$(pid_of grow 0)
ok "worker $old replaced by $new"
assert_contains "$(cat "$CLM_HOME/clmd.log")" "over its limit" "clmd.log"
wait_until 10 pid_dead "$old"
assert_eq "$(status_of grow 0)" online "status after the replacement"
body=$(http_get "$port")
assert_eq "$body" "$new" "the new worker serves"
