#!/bin/bash
# Coming from PM2: `clm start` takes PM2's ecosystem files as they are.
# One set of apps in three formats (tests/fixtures/pm2: ecosystem.config.js
# evaluated by Node, ecosystem.json, ecosystem.yaml): a Node app with
# instances "max", increment_var PORT (instance i listens on base + i),
# node_args and array args; a Python app with string args; both with env
# and env_production. Checked: --env production gives the production
# environment, without it the plain one; --only picks; keys clm does not
# carry over are named (pid_file: on purpose; vizion: unknown) and
# --strict refuses them; stop_exit_codes, cron_restart, watch (true: the
# cwd), ignore_watch and watch_delay are carried over (describe --json),
# not reported; a syntax error in the .js shows Node's message and starts
# nothing; clm delete FILE removes the file's apps.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/pm2_lib.sh"

# From /, so that paths relative to the file's folder are proven.
clm_root() { clm_in / "$@"; }
get() { http_get "$1" / 2>/dev/null; }
web_online() { all_online web "$ncpu"; }

# check_apps ENV: web's instances each on base + i, jobs on its port, with
# the NODE_ENV (and APP_MODE) of ENV.
check_apps() {
	local want_env=$1 want_mode=$2 i body
	wait_until 30 web_online
	for ((i = 0; i < ncpu; i++)); do
		wait_until 20 get $((base + i))
		body=$(get $((base + i)))
		assert_eq "$(jpy 'd["instance"]' <<<"$body")" "$i" \
		    "NODE_APP_INSTANCE of the worker on port $((base + i))"
		assert_eq "$(jpy 'd["port"]' <<<"$body")" "$((base + i))" \
		    "PORT of instance $i (increment_var)"
		assert_eq "$(jpy 'd["NODE_ENV"]' <<<"$body")" "$want_env" \
		    "NODE_ENV of web:$i"
		assert_eq "$(jpy 'd["APP_MODE"]' <<<"$body")" "$want_mode" \
		    "APP_MODE of web:$i"
		assert_eq "$(jpy '[d["argv"]]' <<<"$body")" \
		    '["--greeting", "hello world"]' "web's args (an array)"
		assert_eq "$(jpy '[d["execArgv"]]' <<<"$body")" \
		    '["--max-old-space-size=64"]' "web's node_args"
	done
	ok "web: $ncpu instances on $base..$((base + ncpu - 1)), $want_env"
}
check_jobs() {
	local body
	wait_until 20 get "$jobs_port"
	body=$(get "$jobs_port")
	assert_eq "$(jpy 'd["NODE_ENV"]' <<<"$body")" "$1" "NODE_ENV of jobs"
	assert_eq "$(jpy '[d["argv"]]' <<<"$body")" '["--queue", "default jobs"]' \
	    "jobs' args (a string split like a shell)"
	ok "jobs on $jobs_port, $1"
}
serving_logged() { grep -q "jobs: serving on $jobs_port" "$proj/jobs-out.log"; }
# out_file, error_file: jobs' stdout in $proj/jobs-out.log (each line
# stamped as log_date_format YYYY-MM-DD HH:mm:ss says), its stderr nowhere
# (/dev/null); web's stderr in web-err-ID.log (several instances).
check_log_files() {
	local i
	wait_until 20 serving_logged
	grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} jobs: serving on $jobs_port\$" \
	    "$proj/jobs-out.log" || { cat "$proj/jobs-out.log";
	    fail "jobs' line lacks its log_date_format stamp"; }
	[ ! -e "$CLM_HOME/logs/jobs-0-out.log" ] ||
	    fail "jobs' stdout went to the default log too"
	[ ! -e "$CLM_HOME/logs/jobs-0-err.log" ] ||
	    fail "jobs' stderr (/dev/null) has a log file"
	for ((i = 0; i < ncpu; i++)); do
		# Made at its first line: "web: serving on PORT".
		wait_until 20 grep -q "web: serving on" "$proj/web-err-$i.log"
	done
	ok "out_file, error_file (/dev/null, and -ID per instance)"
}
delete_file() {
	clm_root delete "$1"
	[ "$RC" = 0 ] || { show_capture; fail "clm delete $1"; }
	wait_until 20 app_absent web
	wait_until 20 app_absent jobs
}

for f in ecosystem.config.js ecosystem.json ecosystem.yaml; do
	check "clm start $f --env production: the production environment"
	clm_root start "$proj/$f" --env production
	[ "$RC" = 0 ] || { show_capture; fail "clm start $f --env production"; }
	assert_contains "$ERR" "$f: app 'web': pid_file: clm keeps no pid files" \
	    "a key left out on purpose is named with its app"
	for k in stop_exit_codes cron_restart watch ignore_watch watch_delay; do
		assert_not_contains "$ERR" ": $k" "$k reported"
	done
	assert_contains "$ERR" "$f: app 'jobs': vizion: unknown key" \
	    "an unknown key is named with its app"
	check_apps production prod
	check_jobs production
	check_log_files
	rm -f "$proj/jobs-out.log" "$proj"/web-err-*.log
	clm describe web --json >"$TEST_TMP/web-$f.json" ||
	    fail "describe web"
	assert_eq "$(jpy 'd["spec"]["restart_delay_ms"]' \
	    <"$TEST_TMP/web-$f.json")" 500 "restart_delay"
	assert_eq "$(jpy 'd["spec"]["max_memory"]' <"$TEST_TMP/web-$f.json")" \
	    $((200 * 1024 * 1024)) "max_memory_restart 200M"
	assert_eq "$(jpy '[[d["spec"][k] for k in ("stop_exit_codes", "cron_restart")]]' \
	    <"$TEST_TMP/web-$f.json")" '[["3"], "0 3 * * *"]' \
	    "web's stop_exit_codes, cron_restart"
	clm describe jobs --json >"$TEST_TMP/jobs-$f.json" ||
	    fail "describe jobs"
	assert_eq "$(jpy '[[d["spec"][k] for k in ("stop_exit_codes", "watch", "ignore_watch", "watch_delay_ms", "autorestart")]]' \
	    <"$TEST_TMP/jobs-$f.json")" \
	    '[["0", "3"], ["yes"], ["*.log", "*.ini"], 2000, "always"]' \
	    "jobs' stop_exit_codes, watch, ignore_watch, watch_delay"
	check "clm delete $f: its apps go"
	delete_file "$proj/$f"
	ok "deleted"

	check "clm start $f --only web: web alone, the plain env"
	clm_root start "$proj/$f" --only web
	[ "$RC" = 0 ] || { show_capture; fail "clm start $f --only web"; }
	check_apps development dev
	assert_eq "$(count_workers jobs)" 0 "jobs (not in --only)"
	delete_file "$proj/$f"
done

check "the three formats make the same apps"
for f in ecosystem.json ecosystem.yaml; do
	a=$(jpy 'd["spec"]' <"$TEST_TMP/web-ecosystem.config.js.json")
	b=$(jpy 'd["spec"]' <"$TEST_TMP/web-$f.json")
	assert_eq "$b" "$a" "web's spec from $f and from the .js"
done
ok "same spec"

check "--strict: the unknown key is an error and nothing starts"
clm_root start "$proj/ecosystem.json" --strict
[ "$RC" = 1 ] || { show_capture; fail "--strict started (rc $RC)"; }
assert_contains "$ERR" "app 'jobs': vizion: unknown key" "the strict error"
assert_eq "$(count_workers web)$(count_workers jobs)" 00 "apps after --strict"
ok "refused: $(grep -m1 vizion <<<"$ERR")"

check "--env with a profile no app has"
clm_root start "$proj/ecosystem.yaml" --env staging
[ "$RC" = 1 ] || { show_capture; fail "--env staging started"; }
assert_contains "$ERR" "no app of the file has env_staging" "the error"
ok "refused"

check "a syntax error in the .js: Node's message, nothing starts"
clm_root start "$proj/broken.config.js"
[ "$RC" = 1 ] || { show_capture; fail "broken.config.js started"; }
assert_contains "$ERR" "broken.config.js:5" "Node's file:line"
assert_contains "$ERR" "SyntaxError: Unexpected token" "Node's message"
assert_eq "$(count_workers web)$(count_workers jobs)" 00 "apps after it"
ok "$(grep -m1 SyntaxError <<<"$ERR")"

check "a .js that leaves a timer running is read at once; one that never ends, cut at 10 s"
cat >"$proj/timer.config.js" <<'JS'
setInterval(() => {}, 1000);	// as a file that opens a client would
module.exports = { apps: [{ name: 'timer', script: './web.js',
  env: { PORT: process.env.PM2T_JOBS_PORT } }] };
JS
t0=$(now_ms)
clm_root import "$proj/timer.config.js"
[ "$RC" = 0 ] || { show_capture; fail "import timer.config.js"; }
assert_lt $(($(now_ms) - t0)) 8000 "ms to read a file that leaves a timer"
assert_contains "$OUT" "[timer]" "its app"
printf 'for (;;) {}\n' >"$proj/loop.config.js"
clm_root import "$proj/loop.config.js"
[ "$RC" = 1 ] || { show_capture; fail "loop.config.js was read"; }
assert_contains "$ERR" "Node did not finish evaluating it within 10 s" \
    "the timeout's error"
ok "timer: read; endless loop: $ERR"

check "--only names an app the file lacks"
clm_root start "$proj/ecosystem.config.js" --only web,nope
[ "$RC" = 1 ] || { show_capture; fail "--only nope started"; }
assert_contains "$ERR" "no app named 'nope'" "the error"
assert_eq "$(count_workers web)" 0 "web after it (all or nothing)"
ok "refused, nothing started"

check "clm reload FILE: the file's apps, new workers"
clm_root start "$proj/ecosystem.config.js"
[ "$RC" = 0 ] || { show_capture; fail "clm start"; }
wait_until 30 web_online
old=$(pids_of web | tr '\n' ' ')
clm_root reload "$proj/ecosystem.config.js" --env production
[ "$RC" = 0 ] || { show_capture; fail "clm reload FILE"; }
wait_until 30 web_online
new=$(pids_of web | tr '\n' ' ')
[ "$old" != "$new" ] || fail "reload kept the pids ($old)"
check_apps production prod
ok "reloaded: $old -> $new"

check "restart_delay: a crashed worker comes back after 500 ms, not the backoff"
victim=$(pids_of web | head -n1)
kill -9 "$victim"
restart_logged() { grep -q "web:0: restarting in 500 ms" "$CLM_HOME/clmd.log"; }
wait_until 20 restart_logged
wait_until 30 web_online
ok "$(grep -m1 'web:0: restarting in' "$CLM_HOME/clmd.log")"
delete_file "$proj/ecosystem.config.js"
