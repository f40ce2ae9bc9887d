#!/bin/bash
# metrics_listen's probes: /healthz is 200 while clmd runs; /readyz is 200
# when every worker of every app is online, else 503 with JSON naming what
# is missing (an app a person stopped counts: `clm delete` takes it out);
# `clm ping --ready` exits 0 or 1 the same way.
. "$(dirname "$0")/lib.sh"

# probe PORT PATH: prints "STATUS BODY" (the body on one line).
probe() {
	"$PY" -c '
import sys, urllib.request, urllib.error
url = "http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2])
try:
    with urllib.request.urlopen(url, timeout=5) as r:
        print(r.status, r.read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
' "$1" "$2"
}
ready_code() { probe "$mport" /readyz | cut -d" " -f1; }
ready_is() { [ "$(ready_code)" = "$1" ]; }

mport=$(free_port)
mkdir -p "$CLM_HOME"
printf '[daemon]\nmetrics_listen = 127.0.0.1:%s\n' "$mport" >"$CLM_HOME/clm.ini"

check "all workers online: /readyz 200, /healthz 200, clm ping --ready 0"
capture clm start "$FIXTURES/sleeper.js" --name a -i 2
assert_eq "$RC" 0 "clm start a"
capture clm start "$FIXTURES/sleeper.js" --name b
assert_eq "$RC" 0 "clm start b"
got=$(probe "$mport" /readyz)
assert_eq "${got%% *}" 200 "/readyz status"
printf '%s\n' "${got#* }" | jpy 'd["ready"] is True and d["missing"] == []' |
    grep -qx true || fail "ready body: $got"
got=$(probe "$mport" /healthz)
assert_eq "$got" "200 ok" "/healthz"
capture clm ping --ready
assert_eq "$RC" 0 "clm ping --ready exit status"
got=$(probe "$mport" /metrics)
assert_contains "$got" 'clm_app_workers_desired{app="a"} 2' "other paths: metrics"
ok "ready"

check "clm stop b: /readyz 503 naming b; /healthz stays 200"
capture clm stop b
assert_eq "$RC" 0 "clm stop b"
got=$(probe "$mport" /readyz)
assert_eq "${got%% *}" 503 "/readyz status"
printf '%s\n' "${got#* }" | jpy '[m["app"] for m in d["missing"]] == ["b"]
    and d["missing"][0]["status"] == "stopped" and d["ready"] is False' |
    grep -qx true || fail "not ready body: $got"
assert_eq "$(probe "$mport" /healthz)" "200 ok" "/healthz"
capture clm ping --ready
assert_eq "$RC" 1 "clm ping --ready exit status"
assert_contains "$ERR" '"app":"b"' "clm ping --ready names the app"
ok "not ready: $got"

check "clm delete b: ready again"
capture clm delete b
wait_until 10 ready_is 200
capture clm ping --ready
assert_eq "$RC" 0 "clm ping --ready exit status"
ok "ready"

check "a worker in backoff: 503 naming it"
capture clm start "$FIXTURES/crash.js" --name c --restart-delay 5s
wait_until 20 status_is c 0 waiting-restart
got=$(probe "$mport" /readyz)
assert_eq "${got%% *}" 503 "/readyz status"
printf '%s\n' "${got#* }" | jpy '[(m["app"], m["status"]) for m in d["missing"]]
    == [("c", "waiting-restart")]' | grep -qx true || fail "body: $got"
assert_eq "$(probe "$mport" /healthz)" "200 ok" "/healthz"
capture clm ping --ready
assert_eq "$RC" 1 "clm ping --ready exit status"
ok "backoff: $got"
capture clm delete c
wait_until 10 ready_is 200
rm -f "$CLM_HOME/clm.ini"
