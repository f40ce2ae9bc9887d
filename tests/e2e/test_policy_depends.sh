#!/bin/bash
# depends_on (tracker 18): an app file's apps start in dependency order
# (each once the ones it depends on are online), a cycle or an unknown
# name is refused naming it, and clm stop all / clm kill stop in the
# reverse order.
. "$(dirname "$0")/lib.sh"

events=$TEST_TMP/events
svc=$TEST_TMP/svc.sh
cat >"$svc" <<'SH'
#!/bin/sh
trap 'echo "stop $SVC" >>"$EVENTS"; exit 0' INT TERM
echo "start $SVC" >>"$EVENTS"
while :; do sleep 1 & wait $!; done
SH
export EVENTS=$events
order_of() { grep "^$1 " "$events" | awk '{print $2}' | tr '\n' ' ' |
    sed 's/ $//'; }

check "an app file in reverse order: db, then api, then web start"
cat >"$TEST_TMP/apps.ini" <<INI
[web]
script = $svc
depends_on = api
min_uptime = 700
env.SVC = web

[api]
script = $svc
depends_on = db
min_uptime = 700
env.SVC = api

[db]
script = $svc
min_uptime = 700
env.SVC = db
INI
capture clm start "$TEST_TMP/apps.ini"
show_capture
assert_eq "$RC" 0 "clm start exit status"
for a in db api web; do wait_until 15 all_online "$a" 1; done
assert_eq "$(order_of start)" "db api web" "start order"
grep -E "waiting for its dependencies|dependencies are online" \
    "$CLM_HOME/clmd.log" | sed 's/^/  clmd.log| /'
capture clm describe web
assert_contains "$OUT" "api" "describe's depends_on"

check "clm stop all: web, then api, then db (the file listing db first)"
# The apps in dependency order: stopped all at once, db would go first.
capture clm delete all
cat >"$TEST_TMP/fwd.ini" <<INI
[db]
script = $svc
min_uptime = 700
env.SVC = db

[api]
script = $svc
depends_on = db
min_uptime = 700
env.SVC = api

[web]
script = $svc
depends_on = api
min_uptime = 700
env.SVC = web
INI
: >"$events"
capture clm start "$TEST_TMP/fwd.ini"
assert_eq "$RC" 0 "clm start exit status"
assert_eq "$(order_of start)" "db api web" "start order"
capture clm stop all
show_capture
assert_eq "$RC" 0 "clm stop all exit status"
stopped3() { [ "$(grep -c '^stop ' "$events")" = 3 ]; }
wait_until 15 stopped3
assert_eq "$(order_of stop)" "web api db" "stop order"

check "clm kill stops in the reverse order too"
: >"$events"
capture clm delete all
capture clm start "$TEST_TMP/fwd.ini"
assert_eq "$RC" 0 "clm start exit status"
assert_eq "$(order_of start)" "db api web" "start order"
capture clm kill
show_capture
assert_eq "$RC" 0 "clm kill exit status"
wait_until 15 stopped3
assert_eq "$(order_of stop)" "web api db" "stop order at clm kill"

check "a cycle is refused, naming it, and nothing starts"
cat >"$TEST_TMP/cycle.ini" <<INI
[a]
script = $svc
depends_on = b
[b]
script = $svc
depends_on = c
[c]
script = $svc
depends_on = a
[d]
script = $svc
INI
: >"$events"
capture clm start "$TEST_TMP/cycle.ini"
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_contains "$ERR" "depends_on makes a cycle: a -> b -> c -> a" "stderr"
assert_eq "$(count_workers d)" 0 "workers of d"
[ ! -s "$events" ] || fail "something started: $(cat "$events")"
ok "nothing started"

check "a name that is neither running nor in the file is refused"
capture clm start "$svc" --name lone --depends-on nosuch
show_capture
assert_eq "$RC" 1 "clm start exit status"
assert_contains "$ERR" "depends_on names 'nosuch'" "stderr"

clm delete all >/dev/null 2>&1
echo "PASS: $TEST_NAME"
