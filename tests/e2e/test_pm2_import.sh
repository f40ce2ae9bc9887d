#!/bin/bash
# clm import: the app file written from PM2's ecosystem file, started with
# clm start, gives the same apps (the same `describe --json` spec, options
# and environment) as the ecosystem file started directly, with --env
# production too (env_production becomes env_production.KEY lines), the
# restart and watch keys as their clm lines. Keys not carried over are
# comments that say why. Written elsewhere (-o in
# another folder), the paths still point at the ecosystem file's folder.
# And without Node on PATH: .json and .yaml files work, a .js file gets an
# error that says Node is needed, and nothing starts.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/pm2_lib.sh"

other=$TEST_TMP/elsewhere
mkdir -p "$other"
apps_online() { all_online web "$ncpu" && all_online jobs 1; }

# specs FILE: web's and jobs' describe --json specs, one JSON per line
specs() {
	clm describe web --json | jpy '[d["spec"]]' >"$1" || fail "describe web"
	clm describe jobs --json | jpy '[d["spec"]]' >>"$1" ||
	    fail "describe jobs"
}
delete_all() {
	clm delete all >/dev/null || fail "clm delete all"
	wait_until 20 app_absent web
	wait_until 20 app_absent jobs
}

check "clm import writes the app file, with a comment per key left out"
clm_in / import "$proj/ecosystem.config.js"
[ "$RC" = 0 ] || { show_capture; fail "clm import to stdout"; }
assert_contains "$OUT" "[web]" "web's section"
assert_contains "$OUT" "args = --greeting 'hello world'" "array args, quoted"
assert_contains "$OUT" "interpreter_args = --max-old-space-size=64" \
    "node_args"
assert_contains "$OUT" "env_production.NODE_ENV = production" "the profile"
assert_contains "$OUT" "; not carried over: pid_file = web.pid: clm keeps no pid files" \
    "pid_file's comment"
assert_contains "$OUT" "cron_restart = 0 3 * * *" "cron_restart"
assert_contains "$OUT" "stop_exit_codes = 3" "web's stop_exit_codes (a number)"
assert_contains "$OUT" $'stop_exit_codes = 0\nstop_exit_codes = 3' \
    "jobs' stop_exit_codes (an array)"
assert_contains "$OUT" "watch = yes" "watch: true"
assert_contains "$OUT" $'ignore_watch = *.log\nignore_watch = *.ini' \
    "ignore_watch"
assert_contains "$OUT" "watch_delay = 2000" "watch_delay"
assert_not_contains "$OUT" "not carried over: watch" "watch's comment"
assert_contains "$OUT" "; not carried over: vizion = false: unknown key" \
    "the unknown key's comment"
assert_contains "$ERR" "app 'jobs': vizion: unknown key" "the warning"
ok "$(grep -c '^\[' <<<"$OUT") sections"

for where in "$proj" "$other"; do
	check "import -o $where/apps.ini, started with --env production: the same apps"
	clm_in / start "$proj/ecosystem.config.js" --env production
	[ "$RC" = 0 ] || { show_capture; fail "start ecosystem.config.js"; }
	wait_until 30 apps_online
	specs "$TEST_TMP/direct"
	delete_all

	clm_in / import "$proj/ecosystem.config.js" -o "$where/apps.ini"
	[ "$RC" = 0 ] || { show_capture; fail "clm import -o"; }
	[ -s "$where/apps.ini" ] || fail "no $where/apps.ini"
	clm_in / start "$where/apps.ini" --env production
	[ "$RC" = 0 ] || { show_capture; cat "$where/apps.ini"; fail "start apps.ini"; }
	wait_until 30 apps_online
	specs "$TEST_TMP/imported"
	if ! diff "$TEST_TMP/direct" "$TEST_TMP/imported"; then
		cat "$where/apps.ini"
		fail "the imported apps differ from the ecosystem file's"
	fi
	assert_contains "$(cat "$TEST_TMP/imported")" '"NODE_ENV=production"' \
	    "the production environment"
	[ "$(http_get "$base" | jpy 'd["APP_MODE"]')" = prod ] ||
	    fail "web's APP_MODE is not prod"
	delete_all
	ok "same describe --json specs (web and jobs)"
done

check "without Node on PATH: .json and .yaml start, a .js says Node is needed"
nonode=$TEST_TMP/nonode-bin
mkdir -p "$nonode"
for f in ecosystem.json ecosystem.yaml; do
	capture env PATH="$nonode" "$CLM_BIN_DIR/clm" start "$proj/$f" \
	    --only jobs --env production
	[ "$RC" = 0 ] || { show_capture; fail "start $f without node"; }
	wait_until 20 all_online jobs 1
	[ "$(http_get "$jobs_port" | jpy 'd["NODE_ENV"]')" = production ] ||
	    fail "jobs' NODE_ENV from $f"
	delete_all
	ok "$f: jobs online"
done
capture env PATH="$nonode" "$CLM_BIN_DIR/clm" start "$proj/ecosystem.config.js"
[ "$RC" = 1 ] || { show_capture; fail ".js started without node (rc $RC)"; }
assert_contains "$ERR" "Node.js is needed to read a .js ecosystem file" \
    "the error"
assert_eq "$(count_workers web)$(count_workers jobs)" 00 "apps after it"
ok "$ERR"
