#!/bin/bash
# health_check = http://HOST:PORT/PATH and tcp:HOST:PORT: app-level checks
# of the app's port, run by clmd on its loop. An http check against a
# Python app that answers 200 on /health, then 500 once a file appears:
# every worker shows the app's failing tally in clm list, describe, --json,
# metrics say 0, /readyz is 503 naming the app; no worker is replaced (the
# check cannot tell which one answered); it recovers when the file goes.
# A tcp check of a port nobody serves fails; one of a served port passes.
. "$(dirname "$0")/lib.sh"

mport=$(free_port)
port=$(free_port)
tport=$(free_port)
dead=$(free_port)
mkdir -p "$CLM_HOME"
printf '[daemon]\nmetrics_listen = 127.0.0.1:%s\n' "$mport" >"$CLM_HOME/clm.ini"
readyz() { http_status "$mport" /readyz; }
sick=$TEST_TMP/sick
hits=$TEST_TMP/hits
accepts=$TEST_TMP/accepts
cat >"$TEST_TMP/app.py" <<PYEOF
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        code = 200
        if self.path == "/health":
            with open("$hits", "a") as f:
                f.write("%d\n" % os.getpid())
            if os.path.exists("$sick"):
                code = 500
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PYEOF
cat >"$TEST_TMP/acceptor.py" <<PYEOF
import os, socket
s = socket.create_server(("127.0.0.1", int(os.environ["PORT"])))
while True:
    c, _ = s.accept()
    with open("$accepts", "a") as f:
        f.write("accepted\n")
    c.close()
PYEOF

health_of() { field_of "$1" "$2" health; }
health_is() { [ "$(health_of "$1" "$2")" = "$3" ]; }
nlines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
more_lines() { [ "$(nlines "$1")" -gt "$2" ]; }

check "an http check of a two-worker Python app's port, every second"
PORT=$port capture clm start "$TEST_TMP/app.py" --interpreter "$PY" --name h \
    -i 2 --listen "$port" --health-check "http://localhost:$port/health" \
    --health-interval 1s --health-timeout 2s --health-retries 2
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 30 all_online h 2
p0=$(pid_of h 0)
p1=$(pid_of h 1)
wait_until 20 more_lines "$hits" 1
assert_eq "$(health_of h 0)" ok "worker 0's health"
assert_eq "$(health_of h 1)" ok "worker 1's health"
assert_eq "$(readyz | cut -d' ' -f1)" 200 "/readyz while healthy"
capture clm metrics
assert_contains "$OUT" 'clm_worker_healthy{app="h",id="0"} 1' "metrics"
ok "checked $(nlines "$hits") times, healthy"

check "/health answers 500: the app is unhealthy, no worker replaced"
touch "$sick"
wait_until 20 health_is h 0 "failing 2/2"
assert_eq "$(health_of h 1)" "failing 2/2" "worker 1 shows the app's tally"
got=$(readyz)
case "$got" in
"503 "*'"app":"h"'*'"health":"failing'*) ;;
*) fail "/readyz while the app's check fails: $got" ;;
esac
capture clm list
assert_contains "$OUT" "online (health failing 2/2)" "clm list"
capture clm describe h
assert_contains "$OUT" "online (health failing 2/2)" "clm describe"
assert_contains "$OUT" "http://localhost:$port/health" "clm describe"
capture clm metrics
assert_contains "$OUT" 'clm_worker_healthy{app="h",id="1"} 0' "metrics"
grep -q "h: health check http://localhost:$port/health failed (status 500)" \
    "$CLM_HOME/clmd.log" || fail "clmd.log does not say why"
grep -q "h: unhealthy: its http://localhost:$port/health check failed 2 times" \
    "$CLM_HOME/clmd.log" || fail "clmd.log does not say the app is unhealthy"
n=$(nlines "$hits")
wait_until 20 more_lines "$hits" $((n + 2))	# what must NOT happen meanwhile
assert_eq "$(pid_of h 0)" "$p0" "worker 0's pid"
assert_eq "$(pid_of h 1)" "$p1" "worker 1's pid"
assert_eq "$(restarts_of h 0)$(restarts_of h 1)" 00 "restarts"
ok "$got"

check "the file goes: healthy again"
rm -f "$sick"
wait_until 20 health_is h 0 ok
assert_eq "$(health_of h 1)" ok "worker 1's health"
wait_until 10 eval '[ "$(readyz | cut -d" " -f1)" = 200 ]'
grep -q "h: health check http://localhost:$port/health passes again" \
    "$CLM_HOME/clmd.log" || fail "clmd.log does not say it passes again"
ok "recovered"

check "tcp: a port nobody serves fails, a served one passes"
capture clm start "$FIXTURES/sleeper.js" --name down \
    --health-check "tcp:127.0.0.1:$dead" --health-interval 1s \
    --health-retries 2
assert_eq "$RC" 0 "clm start down"
PORT=$tport capture clm start "$TEST_TMP/acceptor.py" --interpreter "$PY" \
    --name up --listen "$tport" --health-check "tcp:127.0.0.1:$tport" \
    --health-interval 1s --health-retries 2
assert_eq "$RC" 0 "clm start up"
wait_until 20 health_is down 0 "failing 2/2"
grep -q "down: health check tcp:127.0.0.1:$dead failed (connection refused)" \
    "$CLM_HOME/clmd.log" || fail "clmd.log does not say why"
wait_until 20 more_lines "$accepts" 1
assert_eq "$(health_of up 0)" ok "the served port's check"
got=$(readyz)
case "$got" in
"503 "*'"app":"down"'*) ;;
*) fail "/readyz with down failing: $got" ;;
esac
assert_not_contains "$got" '"app":"up"' "/readyz names the served app"
ok "down: failing 2/2, up: ok after $(nlines "$accepts") accepted checks"

check "a bad target is refused when the option is parsed"
capture clm start "$FIXTURES/sleeper.js" --name bad \
    --health-check "http://example.com:80/"
assert_eq "$RC" 2 "clm start exit status (a usage error)"
assert_contains "$ERR" "no DNS lookups" "the message"
ok "$(echo "$ERR" | head -1)"
