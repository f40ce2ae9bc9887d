/*
 * The table of app options and what every entry point does with a row:
 * parse a value as a user writes it, check a number's limits, set the
 * defaults, copy, free and format. See options.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clm/cron.h"
#include "clm/listeners.h"
#include "clm/logwriter.h"
#include "clm/health.h"
#include "clm/options.h"

#define OPT_SIZE_MAX	9007199254740991LL	/* 2^53 - 1: exact in JSON */
#define OPT_RESTARTS_MAX 1000000

static int options_check_listen(const char *, char **);
static int options_check_var(const char *, char **);
static int options_check_datefmt(const char *, char **);
static int options_check_code(const char *, char **);
static int options_check_cron(const char *, char **);
static int options_check_tz(const char *, char **);

/* log_target's and log_format's values, by CLM_LOG_*. */
static const char *const options_log_targets[] = {
	"files", "stdout", "both", NULL
};
static const char *const options_log_formats[] = { "text", "json", NULL };

/* autorestart's values, by CLM_RESTART_*. */
static const char *const options_restart_modes[] = {
	"never", "always", "on-failure", NULL
};

#define F(field) offsetof(struct clm_app_spec, field)

/* In --help, README and describe order. */
const struct clm_option options_table[] = {
	{ "name", "name", 'n', "name", CLM_OPT_STRING, F(name), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_WIRE | CLM_OPT_REQUIRED, "NAME",
	  "app name (default: the script's base name; in an app file,\n"
	  "the section's name)", clm_app_name_check, NULL },
	{ "script", NULL, 0, "script", CLM_OPT_STRING, F(script), 0, 0, NULL,
	  CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_REQUIRED, "PATH",
	  "the program to run (clm start SCRIPT); relative to cwd", NULL, NULL },
	{ "args", NULL, 0, "args", CLM_OPT_ARGS, F(args), 0, 0, NULL,
	  CLM_OPT_FILE | CLM_OPT_WIRE, "ARGS",
	  "the script's arguments, split like a shell (clm start: after --)",
	  NULL, NULL },
	{ "interpreter", "interpreter", 0, "interpreter", CLM_OPT_STRING,
	  F(interpreter), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "PROG",
	  "program that runs the script (none: run it directly; default\n"
	  "by extension: .js .mjs .cjs node, .py python3, .sh sh)", NULL, NULL },
	{ "interpreter_args", "interpreter-args", 0, "interpreter_args",
	  CLM_OPT_ARGS, F(interpreter_args), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "ARGS",
	  "the interpreter's arguments, before the script, split like a\n"
	  "shell (--interpreter-args '--max-old-space-size=512')", NULL, NULL },
	{ "instances", "instances", 'i', "instances", CLM_OPT_INSTANCES,
	  F(instances), -1, CLM_INSTANCES_LIMIT, "1",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "N",
	  "workers: N, 0 or max (one per logical core), -1 (all cores\n"
	  "but one)", NULL, NULL },
	{ "cwd", "cwd", 0, "cwd", CLM_OPT_STRING, F(cwd), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "DIR",
	  "working directory (default: the current one; an app file's\n"
	  "folder)", NULL, NULL },
	{ "listen", "listen", 0, "listen", CLM_OPT_LIST, F(listen), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "[HOST:]PORT",
	  "bind this address up front and pass it to every worker as\n"
	  "LISTEN_FDS (systemd socket activation); repeatable. Apps that\n"
	  "bind a port themselves need none: their workers share it.",
	  options_check_listen, NULL },
	{ "kill_signal", "kill-signal", 0, "kill_signal", CLM_OPT_SIGNAL,
	  F(kill_signal), 1, 64, "SIGINT",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS, "SIG",
	  "signal that stops a worker (sent to its process group)", NULL, NULL },
	{ "kill_timeout", "kill-timeout", 0, "kill_timeout_ms",
	  CLM_OPT_DURATION, F(kill_timeout_ms), 0, CLM_DURATION_MAX, "1600ms",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS, "TIME",
	  "then SIGKILL after this long", NULL, NULL },
	{ "min_uptime", "min-uptime", 0, "min_uptime_ms", CLM_OPT_DURATION,
	  F(min_uptime_ms), 0, CLM_DURATION_MAX, "1s",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS, "TIME",
	  "a shorter run is unstable", NULL, NULL },
	{ "max_restarts", "max-restarts", 0, "max_restarts", CLM_OPT_INT,
	  F(max_restarts), 0, OPT_RESTARTS_MAX, "16",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS, "N",
	  "unstable runs in a row before errored", NULL, NULL },
	{ "autorestart", "autorestart", 0, "autorestart", CLM_OPT_CHOICE,
	  F(autorestart), 0, 0, "always",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_NEGATE, "MODE",
	  "restart a worker that exits by itself: always (yes), on-failure\n"
	  "(only after a non-zero exit or a signal) or never (no;\n"
	  "--no-autorestart)", NULL, options_restart_modes },
	{ "stop_exit_codes", "stop-exit-codes", 0, "stop_exit_codes",
	  CLM_OPT_LIST, F(stop_exit_codes), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "CODES",
	  "exit codes that mean done: the worker stays stopped, not\n"
	  "restarted (0,3; repeatable)", options_check_code, NULL },
	{ "errored_retry", "errored-retry", 0, "errored_retry_ms",
	  CLM_OPT_DURATION, F(errored_retry_ms), 0, CLM_DURATION_MAX, "0",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS, "TIME",
	  "try an errored worker again after this long, and again after\n"
	  "each failure (0: it stays errored until clm restart)", NULL, NULL },
	{ "max_uptime", "max-uptime", 0, "max_uptime_ms", CLM_OPT_DURATION,
	  F(max_uptime_ms), 0, CLM_DURATION_MAX, "0",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "TIME",
	  "replace a worker gracefully after it has run this long\n"
	  "(0: never)", NULL, NULL },
	{ "max_uptime_jitter", "max-uptime-jitter", 0, "max_uptime_jitter_ms",
	  CLM_OPT_DURATION, F(max_uptime_jitter_ms), 0, CLM_DURATION_MAX, "0",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "TIME",
	  "... plus a random part of this, different for each worker, so\n"
	  "that they do not all go at once", NULL, NULL },
	{ "cron_restart", "cron-restart", 0, "cron_restart", CLM_OPT_STRING,
	  F(cron_restart), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "'MIN HOUR DOM MON DOW'",
	  "reload the app (rolling) at these times, as cron reads them\n"
	  "('0 3 * * *': 03:00 every day)", options_check_cron, NULL },
	{ "cron_tz", "cron-tz", 0, "cron_tz", CLM_OPT_STRING, F(cron_tz), 0, 0,
	  NULL, CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "ZONE",
	  "cron_restart's time zone (Europe/Berlin; default: clmd's)",
	  options_check_tz, NULL },
	{ "watch", "watch", 0, "watch", CLM_OPT_LIST, F(watch), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "PATHS",
	  "reload the app (rolling) when files under these paths change\n"
	  "(relative to cwd; yes: cwd); node_modules, .git and the logs\n"
	  "are never watched", NULL, NULL },
	{ "ignore_watch", "ignore-watch", 0, "ignore_watch", CLM_OPT_LIST,
	  F(ignore_watch), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "GLOBS",
	  "names or paths (relative to a watched folder) not watched\n"
	  "('*.log', 'tmp')", NULL, NULL },
	{ "watch_delay", "watch-delay", 0, "watch_delay_ms", CLM_OPT_DURATION,
	  F(watch_delay_ms), 0, CLM_DURATION_MAX, "1s",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "TIME",
	  "a change reloads once this long has passed without another", NULL,
	  NULL },
	{ "depends_on", "depends-on", 0, "depends_on", CLM_OPT_LIST,
	  F(depends_on), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "APPS",
	  "start once these apps are online (an app file's apps start in\n"
	  "that order; a cycle is refused); clm stop all and clm kill stop\n"
	  "this app before them", clm_app_name_check, NULL },
	{ "pre_start", "pre-start", 0, "pre_start", CLM_OPT_STRING,
	  F(pre_start), 0, 0, NULL, CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE,
	  "COMMAND",
	  "run this (sh -c, the app's environment and cwd) before the\n"
	  "workers start; if it fails, they do not (at most 60 s)", NULL,
	  NULL },
	{ "post_stop", "post-stop", 0, "post_stop", CLM_OPT_STRING,
	  F(post_stop), 0, 0, NULL, CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE,
	  "COMMAND", "run this after the app's last worker stopped", NULL,
	  NULL },
	{ "restart_delay", "restart-delay", 0, "restart_delay_ms",
	  CLM_OPT_DURATION, F(restart_delay_ms), 0, CLM_DURATION_MAX, "0",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "TIME",
	  "wait this long before each restart (0: back off exponentially,\n"
	  "from clm.ini's backoff_initial)", NULL, NULL },
	{ "listen_timeout", "listen-timeout", 0, "listen_timeout_ms",
	  CLM_OPT_DURATION, F(listen_timeout_ms), 0, CLM_DURATION_MAX, "3s",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS, "TIME",
	  "how long a worker may take to be ready", NULL, NULL },
	{ "user", "user", 0, "user", CLM_OPT_STRING, F(user), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "NAME",
	  "run the workers as this user (clmd must run as root)", NULL, NULL },
	{ "group", "group", 0, "group", CLM_OPT_STRING, F(group), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "NAME",
	  "... and this group (default: the user's)", NULL, NULL },
	{ "inherit_env", "inherit-env", 0, "inherit_env", CLM_OPT_BOOL,
	  F(inherit_env), 0, 1, "false",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, NULL,
	  "with --user: give the workers clm's whole environment (default:\n"
	  "PATH, LANG, LC_*, TZ, the user's HOME, USER, LOGNAME, SHELL and\n"
	  "the app file's env lines)", NULL, NULL },
	{ "max_memory_restart", "max-memory-restart", 0, "max_memory",
	  CLM_OPT_SIZE, F(max_memory), 1024 * 1024, OPT_SIZE_MAX, "0",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "SIZE",
	  "reload a worker gracefully when its memory (RSS) passes SIZE\n"
	  "(300M, 1G; 0: never)", NULL, NULL },
	{ "watchdog", "watchdog", 0, "watchdog_ms", CLM_OPT_DURATION,
	  F(watchdog_ms), 0, CLM_DURATION_MAX, "0",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "TIME",
	  "replace a worker (gracefully, then SIGKILL) that has not said\n"
	  "WATCHDOG=1 for this long (Node: clm says it from the app's event\n"
	  "loop; 0: never)", NULL, NULL },
	{ "health_check", "health-check", 0, "health_check", CLM_OPT_STRING,
	  F(health_check), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "CHECK",
	  "exec:COMMAND, run for each online worker (sh -c, with\n"
	  "CLM_APP_NAME, CLM_INSTANCE and CLM_PID): exit 0 is healthy;\n"
	  "health_retries failures in a row replace the worker;\n"
	  "http://HOST:PORT/PATH (2xx, 3xx) or tcp:HOST:PORT: the app's\n"
	  "port, its failures mark the app unhealthy (no replacement)",
	  health_check_spec, NULL },
	{ "health_interval", "health-interval", 0, "health_interval_ms",
	  CLM_OPT_DURATION, F(health_interval_ms), 1000, CLM_DURATION_MAX,
	  "10s", CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "TIME",
	  "how often the health check runs (at least 1s)", NULL, NULL },
	{ "health_timeout", "health-timeout", 0, "health_timeout_ms",
	  CLM_OPT_DURATION, F(health_timeout_ms), 100, CLM_DURATION_MAX,
	  "5s", CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "TIME",
	  "a health check still running this long failed (SIGKILLed)",
	  NULL, NULL },
	{ "health_retries", "health-retries", 0, "health_retries",
	  CLM_OPT_INT, F(health_retries), 1, 1000, "3",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "N",
	  "failed health checks in a row that replace a worker", NULL,
	  NULL },
	{ "time", "time", 0, "log_time", CLM_OPT_BOOL, F(log_time), 0, 1,
	  "false", CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, NULL,
	  "prefix every log line with an ISO 8601 time", NULL, NULL },
	{ "log_date_format", "log-date-format", 0, "log_date_format",
	  CLM_OPT_STRING, F(log_date_format), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "FORMAT",
	  "prefix every log line with the local time in this strftime\n"
	  "format (\"%Y-%m-%d %H:%M:%S\"; implies --time)",
	  options_check_datefmt, NULL },
	{ "merge_logs", "merge-logs", 0, "merge_logs", CLM_OPT_BOOL,
	  F(merge_logs), 0, 1, "false",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, NULL,
	  "one out and one err log for all the app's workers", NULL, NULL },
	{ "out_file", "out-file", 0, "out_file", CLM_OPT_STRING, F(out_file),
	  0, 0, NULL, CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "PATH",
	  "stdout's log file instead of $CLM_HOME/logs/NAME-ID-out.log;\n"
	  "relative to cwd; -ID before the extension for several\n"
	  "instances (unless merge_logs); /dev/null: none", NULL, NULL },
	{ "error_file", "error-file", 0, "error_file", CLM_OPT_STRING,
	  F(error_file), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "PATH",
	  "stderr's log file, the same way", NULL, NULL },
	{ "log_target", "log-target", 0, "log_target", CLM_OPT_CHOICE,
	  F(log_target), 0, 0, "files",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS,
	  "TARGET", "where the workers' lines go: files, stdout (clmd's\n"
	  "stdout and stderr, each line prefixed NAME:ID; for containers),\n"
	  "or both", NULL, options_log_targets },
	{ "log_format", "log-format", 0, "log_format", CLM_OPT_CHOICE,
	  F(log_format), 0, 0, "text",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS,
	  "FORMAT", "the lines on stdout: text, or json (an object a line:\n"
	  "time, app, id, pid, stream, message)", NULL, options_log_formats },
	{ "max_log_size", "max-log-size", 0, "max_log_size", CLM_OPT_SIZE,
	  F(max_log_size), 1024, OPT_SIZE_MAX, "10M",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS, "SIZE",
	  "rotate a log file past SIZE (0: never)", NULL, NULL },
	{ "log_retain", "log-retain", 0, "log_retain", CLM_OPT_INT,
	  F(log_retain), 0, LOGWRITER_RETAIN_MAX, "5",
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE | CLM_OPT_DEFAULTS, "N",
	  "rotated files kept of each log", NULL, NULL },
	{ "instance_var", "instance-var", 0, "instance_var", CLM_OPT_STRING,
	  F(instance_var), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "NAME",
	  "the variable that carries a worker's instance number (0, 1, ...;\n"
	  "default NODE_APP_INSTANCE; CLM_INSTANCE carries it too)",
	  options_check_var, NULL },
	{ "increment_var", "increment-var", 0, "increment_var", CLM_OPT_STRING,
	  F(increment_var), 0, 0, NULL,
	  CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "NAME",
	  "a number of the app's environment (PORT) that instance i gets\n"
	  "plus i: a port each", options_check_var, NULL },
	{ "env_file", "env-file", 0, "env_file", CLM_OPT_STRING, F(env_file),
	  0, 0, NULL, CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE, "PATH",
	  "read KEY=VALUE lines (dotenv) into the environment when the app\n"
	  "is started; relative to cwd; env.NAME keys win", NULL, NULL },
	{ "on_event", "on-event", 0, "on_event", CLM_OPT_STRING, F(on_event),
	  0, 0, "", CLM_OPT_CLI | CLM_OPT_FILE | CLM_OPT_WIRE |
	  CLM_OPT_DEFAULTS, "COMMAND",
	  "run COMMAND (with /bin/sh) for each event of the app (clm events),"
	  "\nwith CLM_EVENT, CLM_APP_NAME, CLM_INSTANCE, CLM_PID, CLM_EXIT_CODE,"
	  "\nCLM_SIGNAL, CLM_RESTARTS set; one at a time, its output in "
	  "clmd.log", NULL, NULL },
	{ "env", NULL, 0, "env", CLM_OPT_ENV, F(env), 0, 0, NULL,
	  CLM_OPT_FILE | CLM_OPT_WIRE, "NAME",
	  "the app's environment: clm's, then the app file's env.NAME\n"
	  "= VALUE lines", NULL, NULL },
};

const size_t options_count = CLM_ARRAY_SIZE(options_table);

#undef F

/* listeners_parse's words name --listen: say it for every entry. */
static int
options_check_listen(const char *s, char **cause)
{
	struct clm_listen_addr	 addr;
	char			*why = NULL, *shown;

	if (listeners_parse(s, &addr, &why) == 0) {
		listeners_addr_clear(&addr);
		return 0;
	}
	free(why);
	shown = clm_shown(s);
	*cause = clm_asprintf("'%s' is not an address (write PORT, HOST:PORT "
	    "or [IPV6]:PORT with a port from 1 to 65535, a numeric host)",
	    shown);
	free(shown);
	return -1;
}

/* A variable's name: letters, digits and _, not starting with a digit. */
static int
options_check_var(const char *s, char **cause)
{
	const char	*p;
	char		*shown;

	for (p = s; *p != '\0'; p++) {
		if (!isalpha((unsigned char)*p) && *p != '_' &&
		    (p == s || !isdigit((unsigned char)*p)))
			break;
	}
	if (p != s && *p == '\0')
		return 0;
	shown = clm_shown(s);
	*cause = clm_asprintf("'%s' is not a variable name (letters, digits "
	    "and _, not starting with a digit)", shown);
	free(shown);
	return -1;
}

/* A log date format: printable, short enough for clm-logd. */
static int
options_check_datefmt(const char *s, char **cause)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			break;
	}
	if (*s != '\0' && *p == '\0' && strlen(s) <= LOGWRITER_DATEFMT_MAX)
		return 0;
	*cause = clm_asprintf("a date format is 1 to %d printable "
	    "characters (strftime: %%Y-%%m-%%d %%H:%%M:%%S)",
	    LOGWRITER_DATEFMT_MAX);
	return -1;
}

/* An exit code: 0 to 255. */
static int
options_check_code(const char *s, char **cause)
{
	long long	 v;
	char		*shown;

	if (clm_parse_int(s, 0, 255, &v) == 0)
		return 0;
	shown = clm_shown(s);
	*cause = clm_asprintf("'%s' is not an exit code (0 to 255)", shown);
	free(shown);
	return -1;
}

static int
options_check_cron(const char *s, char **cause)
{
	struct cron	c;

	return cron_parse(s, &c, cause);
}

static int
options_check_tz(const char *s, char **cause)
{
	return cron_check_tz(s, cause);
}

/* ------------------------------------------------------------------ */
/* Finding rows. */

const struct clm_option *
options_by_key(const char *key)
{
	size_t	i;

	for (i = 0; i < options_count; i++) {
		if (strcmp(options_table[i].key, key) == 0)
			return &options_table[i];
	}
	return NULL;
}

const struct clm_option *
options_by_flag(const char *name, size_t len)
{
	const struct clm_option	*o;
	size_t			 i;

	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if (o->flag != NULL && strlen(o->flag) == len &&
		    strncmp(o->flag, name, len) == 0)
			return o;
	}
	if (len > 3 && strncmp(name, "no-", 3) == 0) {
		o = options_by_flag(name + 3, len - 3);
		if (o != NULL && o->type == CLM_OPT_CHOICE &&
		    (o->flags & CLM_OPT_NEGATE))
			return o;
	}
	return NULL;
}

const struct clm_option *
options_by_json(const char *field)
{
	size_t	i;

	for (i = 0; i < options_count; i++) {
		if (options_table[i].json != NULL &&
		    strcmp(options_table[i].json, field) == 0)
			return &options_table[i];
	}
	return NULL;
}

void *
options_field(const struct clm_option *o, struct clm_app_spec *spec)
{
	return (char *)spec + o->offset;
}

const void *
options_cfield(const struct clm_option *o, const struct clm_app_spec *spec)
{
	return (const char *)spec + o->offset;
}

/* ------------------------------------------------------------------ */
/* Durations and sizes. */

/* A decimal number "12" or "1.25" (at most 6 decimals). */
struct options_number {
	uint64_t	whole;
	uint64_t	frac;		/* the decimals as an integer */
	uint64_t	scale;		/* 10^(number of decimals) */
};

/* Parse a number at s; its end, or NULL if there is none. */
static const char *
options_number(const char *s, struct options_number *n)
{
	n->whole = 0;
	n->frac = 0;
	n->scale = 1;
	if (!isdigit((unsigned char)*s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++) {
		if (n->whole > (UINT64_MAX - 9) / 10)
			return NULL;
		n->whole = n->whole * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '.')
		return s;
	s++;
	if (!isdigit((unsigned char)*s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++) {
		if (n->scale == 1000000)
			return NULL;
		n->frac = n->frac * 10 + (uint64_t)(*s - '0');
		n->scale *= 10;
	}
	return s;
}

/* n times unit, which must be a whole number no larger than max. */
static int
options_scale(const struct options_number *n, uint64_t unit, uint64_t max,
    uint64_t *out)
{
	uint64_t	whole, frac;

	if (n->whole > max / unit)
		return -1;
	whole = n->whole * unit;
	frac = n->frac * unit;		/* < 10^6 * 2^40: no overflow */
	if (frac % n->scale != 0)
		return -1;
	frac /= n->scale;
	if (whole > max - frac)
		return -1;
	*out = whole + frac;
	return 0;
}

int
options_parse_duration(const char *s, uint32_t *ms)
{
	static const struct {
		const char	*suffix;
		uint64_t	 unit;
	} units[] = {
		{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 },
	};
	struct options_number	 n;
	const char		*end;
	uint64_t		 v;
	size_t			 i;

	if (s == NULL || (end = options_number(s, &n)) == NULL)
		return -1;
	for (i = 0; i < CLM_ARRAY_SIZE(units); i++) {
		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		if (options_scale(&n, units[i].unit, UINT32_MAX, &v) != 0)
			return -1;
		*ms = (uint32_t)v;
		return 0;
	}
	return -1;
}

int
options_parse_size(const char *s, uint64_t *bytes)
{
	static const struct {
		const char	*suffix;
		uint64_t	 unit;
	} units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", 1ULL << 10 }, { "kb", 1ULL << 10 }, { "kib", 1ULL << 10 },
		{ "m", 1ULL << 20 }, { "mb", 1ULL << 20 }, { "mib", 1ULL << 20 },
		{ "g", 1ULL << 30 }, { "gb", 1ULL << 30 }, { "gib", 1ULL << 30 },
		{ "t", 1ULL << 40 }, { "tb", 1ULL << 40 }, { "tib", 1ULL << 40 },
	};
	struct options_number	 n;
	const char		*end;
	size_t			 i;

	if (s == NULL || (end = options_number(s, &n)) == NULL)
		return -1;
	for (i = 0; i < CLM_ARRAY_SIZE(units); i++) {
		if (strcasecmp(end, units[i].suffix) == 0)
			return options_scale(&n, units[i].unit, INT64_MAX,
			    bytes);
	}
	return -1;
}

/* A size as a user writes it: "10M" when exact, else bytes. */
static char *
options_size_text(uint64_t v)
{
	static const char	units[] = "KMGT";
	int			i;

	if (v == 0)
		return clm_strdup("0");
	for (i = 3; i >= 0; i--) {
		if (v % (1ULL << (10 * (i + 1))) == 0)
			return clm_asprintf("%" PRIu64 "%c",
			    v >> (10 * (i + 1)), units[i]);
	}
	return clm_asprintf("%" PRIu64, v);
}

static bool
options_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t			 i;

	for (i = 0; i < CLM_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

int
options_choice(const struct clm_option *o, const char *s)
{
	size_t	i;
	bool	b;

	for (i = 0; o->choices[i] != NULL; i++) {
		if (strcasecmp(s, o->choices[i]) == 0)
			return (int)i;
	}
	if (options_bool(s, &b))
		return b ? 1 : 0;
	return -1;
}

/* "always, on-failure or never (or yes/no)": choices[0] (false) last. */
static char *
options_choices_text(const struct clm_option *o)
{
	char	*out = clm_strdup(""), *tmp;
	size_t	 i, n = 0;

	while (o->choices[n] != NULL)
		n++;
	for (i = 1; i <= n; i++) {
		tmp = clm_asprintf("%s%s%s", out, i == 1 ? "" : i == n ?
		    " or " : ", ", o->choices[i % n]);
		free(out);
		out = tmp;
	}
	tmp = clm_asprintf("%s (or yes/no)", out);
	free(out);
	return tmp;
}

int
options_split_args(const char *s, char ***out, char **cause)
{
	char	*word;
	size_t	 n;
	bool	 in_word;
	char	 q;

	word = clm_malloc(strlen(s) + 1);
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		n = 0;
		in_word = true;
		while (in_word && *s != '\0') {
			switch (*s) {
			case ' ':
			case '\t':
				in_word = false;
				break;
			case '\'':
			case '"':
				q = *s++;
				while (*s != '\0' && *s != q) {
					if (q == '"' && *s == '\\' &&
					    strchr("\"\\$`", s[1]) != NULL &&
					    s[1] != '\0')
						s++;
					word[n++] = *s++;
				}
				if (*s == '\0') {
					*cause = clm_asprintf("the %c quote "
					    "is not closed", q);
					free(word);
					return -1;
				}
				s++;
				break;
			case '\\':
				if (s[1] == '\0') {
					*cause = clm_strdup("a '\\' ends the "
					    "line (escape it as '\\\\')");
					free(word);
					return -1;
				}
				word[n++] = s[1];
				s += 2;
				break;
			default:
				word[n++] = *s++;
				break;
			}
		}
		word[n] = '\0';
		clm_strv_push(out, word);
	}
	free(word);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Values. */

int
options_check_number(const struct clm_option *o, long long v, char **cause)
{
	if (o->type == CLM_OPT_SIZE) {
		if (v == 0 || (v >= o->min && v <= o->max))
			return 0;
		*cause = clm_asprintf("must be 0 or an integer from %lld to "
		    "%lld", o->min, o->max);
		return -1;
	}
	if (v >= o->min && v <= o->max)
		return 0;
	*cause = clm_asprintf("must be an integer from %lld to %lld", o->min,
	    o->max);
	return -1;
}

/* A size's limits in words: "0 (never) or a size of at least 1K". */
static char *
options_size_words(const struct clm_option *o)
{
	char	*min, *s;

	min = options_size_text((uint64_t)o->min);
	s = clm_asprintf("0 or a size of at least %s (write 512K, 10M or "
	    "1G)", min);
	free(min);
	return s;
}

/* One value of a list: checked, then appended. */
static int
options_list_item(const struct clm_option *o, const char *what,
    const char *item, bool comma, char ***v, char **cause)
{
	char	*why;

	if (*item == '\0') {
		*cause = clm_asprintf("%s: an empty value (write %s%s)", what,
		    o->arg, comma ? ", several separated by commas" : "");
		return -1;
	}
	if (o->check != NULL && o->check(item, &why) != 0) {
		*cause = clm_asprintf("%s: %s", what, why);
		free(why);
		return -1;
	}
	clm_strv_push(v, item);
	return 0;
}

int
options_parse(const struct clm_option *o, const char *what,
    const char *value, bool comma, struct clm_app_spec *spec, char **cause)
{
	void		*field = options_field(o, spec);
	char		*shown = NULL, *why = NULL, *item, *words;
	const char	*s, *end;
	long long	 v;
	uint64_t	 size;
	uint32_t	 ms;
	size_t		 n;
	int		 sig, rc = -1;
	bool		 b;

	if (value == NULL) {
		/* A flag without a value: a bool, or --no-FLAG of a choice. */
		if (o->type == CLM_OPT_CHOICE)
			*(int *)field = 0;
		else
			*(bool *)field = (o->flags & CLM_OPT_NEGATE) == 0;
		return 0;
	}
	shown = clm_shown(value);
	switch (o->type) {
	case CLM_OPT_STRING:
		if (o->check != NULL && o->check(value, &why) != 0) {
			*cause = clm_asprintf("%s: %s", what, why);
			break;
		}
		free(*(char **)field);
		*(char **)field = clm_strdup(value);
		rc = 0;
		break;
	case CLM_OPT_ARGS:
		if (options_split_args(value, (char ***)field, &why) != 0) {
			*cause = clm_asprintf("%s: %s", what, why);
			break;
		}
		if (*(char ***)field == NULL)
			*(char ***)field = clm_calloc(1, sizeof(char *));
		rc = 0;
		break;
	case CLM_OPT_LIST:
		if (!comma) {
			rc = options_list_item(o, what, value, false,
			    (char ***)field, cause);
			break;
		}
		for (s = value;; s = end + 1) {
			end = strchr(s, ',');
			if (end == NULL)
				end = s + strlen(s);
			while (s < end && isspace((unsigned char)*s))
				s++;
			n = (size_t)(end - s);
			while (n > 0 && isspace((unsigned char)s[n - 1]))
				n--;
			item = clm_strndup(s, n);
			rc = options_list_item(o, what, item, true,
			    (char ***)field, cause);
			free(item);
			if (rc != 0 || *end == '\0')
				break;
		}
		break;
	case CLM_OPT_ENV:
		if (*value == '=' || strchr(value, '=') == NULL) {
			*cause = clm_asprintf("%s: '%s' is not NAME=VALUE",
			    what, shown);
			break;
		}
		clm_strv_push((char ***)field, value);
		rc = 0;
		break;
	case CLM_OPT_INSTANCES:
		if (clm_instances_parse(value, (int *)field, &why) != 0) {
			*cause = clm_asprintf("%s: %s", what, why);
			break;
		}
		rc = 0;
		break;
	case CLM_OPT_INT:
		if (clm_parse_int(value, o->min, o->max, &v) != 0) {
			*cause = clm_asprintf("%s: '%s' is not a number from "
			    "%lld to %lld", what, shown, o->min, o->max);
			break;
		}
		*(int *)field = (int)v;
		rc = 0;
		break;
	case CLM_OPT_DURATION:
		if (options_parse_duration(value, &ms) != 0 ||
		    options_check_number(o, ms, &why) != 0) {
			*cause = clm_asprintf("%s: '%s' is not a duration from "
			    "%lldms to %lldms (write 1600, 1600ms, 1.6s, 2m or "
			    "1h)", what, shown, o->min, o->max);
			break;
		}
		*(uint32_t *)field = ms;
		rc = 0;
		break;
	case CLM_OPT_SIZE:
		if (options_parse_size(value, &size) != 0 ||
		    size > (uint64_t)LLONG_MAX ||
		    options_check_number(o, (long long)size, &why) != 0) {
			words = options_size_words(o);
			*cause = clm_asprintf("%s: '%s' is not %s", what,
			    shown, words);
			free(words);
			break;
		}
		*(uint64_t *)field = size;
		rc = 0;
		break;
	case CLM_OPT_BOOL:
		if (!options_bool(value, &b)) {
			*cause = clm_asprintf("%s: '%s' is not true or false "
			    "(or yes/no, on/off, 1/0)", what, shown);
			break;
		}
		*(bool *)field = b;
		rc = 0;
		break;
	case CLM_OPT_CHOICE:
		if ((v = options_choice(o, value)) < 0) {
			words = options_choices_text(o);
			*cause = clm_asprintf("%s: '%s' is not %s", what,
			    shown, words);
			free(words);
			break;
		}
		*(int *)field = (int)v;
		rc = 0;
		break;
	case CLM_OPT_SIGNAL:
		if ((sig = clm_signal_parse(value)) <= 0) {
			*cause = clm_asprintf("%s: '%s' is not a signal (use a "
			    "name like SIGTERM or a number)", what, shown);
			break;
		}
		*(int *)field = sig;
		rc = 0;
		break;
	}
	free(why);
	free(shown);
	return rc;
}

/* ------------------------------------------------------------------ */
/* A spec's options as a whole. */

static void
options_set_unset(const struct clm_option *o, struct clm_app_spec *spec)
{
	void	*field = options_field(o, spec);

	switch (o->type) {
	case CLM_OPT_DURATION:
		*(uint32_t *)field = CLM_UNSET_MS;
		break;
	case CLM_OPT_SIZE:
		*(uint64_t *)field = CLM_UNSET_SIZE;
		break;
	case CLM_OPT_SIGNAL:
		*(int *)field = CLM_UNSET_SIGNAL;
		break;
	case CLM_OPT_STRING:
		*(char **)field = NULL;
		break;
	default:
		*(int *)field = -1;	/* CLM_UNSET_RESTARTS, _RETAIN */
		break;
	}
}

bool
options_unset(const struct clm_option *o, const struct clm_app_spec *spec)
{
	const void	*field = options_cfield(o, spec);

	if ((o->flags & CLM_OPT_DEFAULTS) == 0)
		return false;
	switch (o->type) {
	case CLM_OPT_DURATION:
		return *(const uint32_t *)field == CLM_UNSET_MS;
	case CLM_OPT_SIZE:
		return *(const uint64_t *)field == CLM_UNSET_SIZE;
	case CLM_OPT_SIGNAL:
		return *(const int *)field == CLM_UNSET_SIGNAL;
	case CLM_OPT_STRING:
		return *(char *const *)field == NULL;
	default:
		return *(const int *)field == -1;
	}
}

/* Set a row to its default; the defaults are written as users write
 * them, so a bad one is a bug the unit tests catch. */
static void
options_set_default(const struct clm_option *o, struct clm_app_spec *spec)
{
	char	*cause = NULL;

	if (o->def == NULL)
		return;
	if (options_parse(o, o->key, o->def, false, spec, &cause) != 0) {
		fprintf(stderr, "clm: bad default of option %s: %s\n", o->key,
		    cause);
		abort();
	}
}

void
options_init(struct clm_app_spec *spec)
{
	const struct clm_option	*o;
	size_t			 i;

	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if (o->flags & CLM_OPT_DEFAULTS)
			options_set_unset(o, spec);
		else
			options_set_default(o, spec);
	}
}

void
options_defaults(struct clm_app_spec *spec)
{
	size_t	i;

	for (i = 0; i < options_count; i++) {
		if (options_table[i].flags & CLM_OPT_DEFAULTS)
			options_set_default(&options_table[i], spec);
	}
}

/* A [defaults] row's value from one spec into another (a string is
 * copied; the one it replaces freed). */
static void
options_copy_value(const struct clm_option *o, struct clm_app_spec *to,
    const struct clm_app_spec *from)
{
	size_t	size;

	if (o->type == CLM_OPT_STRING) {
		free(*(char **)options_field(o, to));
		*(char **)options_field(o, to) =
		    clm_strdup(*(char *const *)options_cfield(o, from));
		return;
	}
	size = o->type == CLM_OPT_DURATION ? sizeof(uint32_t) :
	    o->type == CLM_OPT_SIZE ? sizeof(uint64_t) : sizeof(int);
	memcpy(options_field(o, to), options_cfield(o, from), size);
}

void
options_fill(struct clm_app_spec *spec, const struct clm_app_spec *def)
{
	size_t	i;

	for (i = 0; i < options_count; i++) {
		if (options_unset(&options_table[i], spec))
			options_copy_value(&options_table[i], spec, def);
	}
}

void
options_apply_set(struct clm_app_spec *to, const struct clm_app_spec *from)
{
	const struct clm_option	*o;
	size_t			 i;

	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_DEFAULTS) != 0 && !options_unset(o, from))
			options_copy_value(o, to, from);
	}
}

void
options_copy(struct clm_app_spec *to, const struct clm_app_spec *from)
{
	const struct clm_option	*o;
	size_t			 i;

	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if (o->type == CLM_OPT_STRING)
			*(char **)options_field(o, to) =
			    clm_strdup(*(char *const *)options_cfield(o, from));
		else if (o->type == CLM_OPT_ARGS || o->type == CLM_OPT_LIST ||
		    o->type == CLM_OPT_ENV)
			*(char ***)options_field(o, to) = clm_strv_dup(
			    *(char **const *)options_cfield(o, from));
	}
}

void
options_clear(struct clm_app_spec *spec)
{
	const struct clm_option	*o;
	size_t			 i;

	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if (o->type == CLM_OPT_STRING) {
			free(*(char **)options_field(o, spec));
			*(char **)options_field(o, spec) = NULL;
		} else if (o->type == CLM_OPT_ARGS || o->type == CLM_OPT_LIST ||
		    o->type == CLM_OPT_ENV) {
			clm_strv_free(*(char ***)options_field(o, spec));
			*(char ***)options_field(o, spec) = NULL;
		}
	}
}

char *
options_quote(const char *s)
{
	char		*out, *p;
	const char	*q;

	if (*s != '\0' && strpbrk(s, " \t\n'\"\\$`*?[]{}()<>|&;#~") == NULL)
		return clm_strdup(s);
	out = p = clm_malloc(strlen(s) * 4 + 3);
	*p++ = '\'';
	for (q = s; *q != '\0'; q++) {
		if (*q == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *q;
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}

char *
options_format(const struct clm_option *o, const struct clm_app_spec *spec)
{
	const void	*field = options_cfield(o, spec);
	char *const	*v;
	char		*out, *tmp, *item;
	size_t		 i;
	int		 n;

	if (options_unset(o, spec))
		return clm_strdup("(clmd's default)");
	switch (o->type) {
	case CLM_OPT_STRING:
		return clm_strdup(*(char *const *)field);
	case CLM_OPT_ARGS:
	case CLM_OPT_LIST:
		v = *(char **const *)field;
		if (v == NULL || v[0] == NULL)
			return NULL;
		out = NULL;
		for (i = 0; v[i] != NULL; i++) {
			item = o->type == CLM_OPT_ARGS ? options_quote(v[i]) :
			    clm_strdup(v[i]);
			tmp = out == NULL ? item :
			    clm_asprintf("%s %s", out, item);
			if (tmp != item)
				free(item);
			free(out);
			out = tmp;
		}
		return out;
	case CLM_OPT_ENV:
		return clm_asprintf("%zu variables",
		    clm_strv_len(*(char **const *)field));
	case CLM_OPT_INSTANCES:
		n = *(const int *)field;
		if (n == CLM_INSTANCES_MAX)
			return clm_strdup("max (every logical core)");
		if (n == CLM_INSTANCES_ALL_BUT_ONE)
			return clm_strdup("-1 (all logical cores but one)");
		return clm_asprintf("%d", n);
	case CLM_OPT_INT:
		return clm_asprintf("%d", *(const int *)field);
	case CLM_OPT_DURATION:
		return clm_asprintf("%" PRIu32 " ms",
		    *(const uint32_t *)field);
	case CLM_OPT_SIZE:
		return options_size_text(*(const uint64_t *)field);
	case CLM_OPT_BOOL:
		return clm_strdup(*(const bool *)field ? "yes" : "no");
	case CLM_OPT_SIGNAL:
		return clm_strdup(clm_signal_name(*(const int *)field));
	case CLM_OPT_CHOICE:
		return clm_strdup(o->choices[*(const int *)field]);
	}
	return NULL;
}
