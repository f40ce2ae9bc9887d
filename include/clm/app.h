/* An app's specification: what the user asked for, independent of the
 * processes that currently run it. Pure data and pure functions. */
#ifndef CLM_APP_H
#define CLM_APP_H

#include "clm/common.h"

#define CLM_NAME_MAX 64

/* The largest instance count (-i, scale) accepted anywhere. */
#define CLM_INSTANCES_LIMIT 4096
/* The most apps one app file, request or dump may hold. */
#define CLM_APPS_MAX 4096

/*
 * Options the user did not set hold these; the daemon fills them from its
 * configuration's [defaults] (clm_app_spec_fill) when the app is added.
 * Which options, their types, limits and defaults: options.h.
 */
#define CLM_UNSET_MS		UINT32_MAX
#define CLM_UNSET_SIGNAL	0
#define CLM_UNSET_RESTARTS	(-1)
#define CLM_UNSET_SIZE		UINT64_MAX
#define CLM_UNSET_RETAIN	(-1)

/* Special values of clm_app_spec.instances as the user wrote them. */
#define CLM_INSTANCES_MAX 0		/* -i 0, -i max: every logical core */
#define CLM_INSTANCES_ALL_BUT_ONE (-1)	/* -i -1 */

/* log_target: where a worker's lines go (stdout: clmd's stdout and
 * stderr, through clm-logd; logconsole.h); log_format: how there. */
#define CLM_LOG_FILES	0
#define CLM_LOG_STDOUT	1
#define CLM_LOG_BOTH	2
#define CLM_LOG_TEXT	0
#define CLM_LOG_JSON	1

/* autorestart: when a worker that exits by itself is started again. */
#define CLM_RESTART_NEVER	0	/* false: it stays stopped */
#define CLM_RESTART_ALWAYS	1	/* true */
#define CLM_RESTART_ON_FAILURE	2	/* only after a non-zero exit or a
					   signal */

/* Every option is a row of options_table (options.c). */
struct clm_app_spec {
	char		 *name;
	char		 *script;	/* absolute path */
	char		 *interpreter;	/* program to run the script, or NULL */
	char		**interpreter_args; /* the interpreter's, before the
					   script; may be NULL */
	char		**args;		/* extra arguments, NULL-terminated, may be NULL */
	char		 *cwd;		/* absolute path */
	char		**env;		/* KEY=VALUE, NULL-terminated, may be NULL */
	char		 *env_file;	/* dotenv file read into env when the
					   app is loaded (absolute), or NULL */
	char		 *instance_var;	/* carries the slot number */
	char		 *increment_var; /* a number of env: slot i gets it
					   plus i; NULL: none */
	int		  instances;	/* as requested: N > 0, 0 = max, -1 = all but one */
	int		  kill_signal;
	uint32_t	  kill_timeout_ms;
	uint32_t	  min_uptime_ms;
	int		  max_restarts;
	int		  autorestart;	/* CLM_RESTART_* */
	char		**stop_exit_codes; /* exit codes that mean done:
					   stopped, not restarted */
	uint32_t	  errored_retry_ms; /* try an errored worker again
					   after this long; 0: never */
	uint32_t	  max_uptime_ms; /* recycle a worker after it ran
					   this long; 0: never */
	uint32_t	  max_uptime_jitter_ms; /* ... plus up to this */
	char		 *cron_restart;	/* "MIN HOUR DOM MON DOW": a rolling
					   reload then; NULL: none */
	char		 *on_event;	/* a shell command run for each event
					   of the app (events.c); NULL: none */
	char		 *cron_tz;	/* its time zone; NULL: clmd's */
	char		**watch;	/* reload when these change: paths
					   (relative to cwd), or yes: cwd */
	char		**ignore_watch;	/* globs never watched */
	uint32_t	  watch_delay_ms; /* a change reloads after this
					   long without another */
	char		**depends_on;	/* apps that must be online before
					   this one starts (and stop after) */
	char		 *pre_start;	/* sh command run before the workers
					   start; its failure stops the start */
	char		 *post_stop;	/* ... after the last one stopped */
	uint32_t	  restart_delay_ms; /* fixed wait before a restart;
					   0: the exponential backoff */
	uint32_t	  listen_timeout_ms;
	char		**listen;	/* --listen addresses, may be NULL */
	char		 *user;		/* run as this user (clmd as root) */
	char		 *group;	/* ... and group; NULL: the user's */
	bool		  inherit_env;	/* --user: the CLI's whole environment */
	uint64_t	  max_memory;	/* RSS that makes a worker reload; 0 */
	int		  log_target;	/* CLM_LOG_FILES, _STDOUT, _BOTH */
	int		  log_format;	/* CLM_LOG_TEXT, _JSON (stdout) */
	uint32_t	  watchdog_ms;
	char		 *health_check;	/* exec:COMMAND; NULL: none */
	uint32_t	  health_interval_ms;
	uint32_t	  health_timeout_ms;
	int		  health_retries; /* failures in a row: replaced */	/* WATCHDOG=1 at least this often, or
					   the worker is replaced; 0: off */
	bool		  log_time;	/* timestamp every log line */
	char		 *log_date_format; /* the stamp's strftime format (local
					   time; implies log_time), or NULL */
	bool		  merge_logs;	/* one out and one err file per app */
	char		 *out_file;	/* stdout's log (absolute; /dev/null);
					   NULL: $CLM_HOME/logs/NAME-ID-out.log */
	char		 *error_file;	/* stderr's, the same way */
	uint64_t	  max_log_size;	/* rotate past it; 0: never */
	int		  log_retain;	/* rotated files kept */
};

struct clm_app_spec *clm_app_spec_new(void);	/* options unset */
/* Set every unset option of spec to the one of defaults. */
void clm_app_spec_fill(struct clm_app_spec *spec,
    const struct clm_app_spec *defaults);
struct clm_app_spec *clm_app_spec_copy(const struct clm_app_spec *);
void clm_app_spec_free(struct clm_app_spec *);

/*
 * How many workers a requested instance count gives on a machine with
 * ncpu logical cores: N is clamped to ncpu, 0 means ncpu, -1 means
 * ncpu - 1 (at least 1). *clamped is set when N > ncpu.
 */
int clm_instances_resolve(int requested, int ncpu, bool *clamped);

/* Parse "-i" values: a number, "max". -1 and on error *cause is set. */
int clm_instances_parse(const char *s, int *out, char **cause);

/*
 * Environments as KEY=VALUE vectors. clm_env_minus: the entries of env that
 * base does not hold as they are. clm_env_merge: base, with the entries of
 * over replacing or adding to it. Both return new vectors.
 */
char **clm_env_minus(char *const *env, char *const *base);
char **clm_env_merge(char *const *base, char *const *over);

/* Logical cores available to this process (at least 1). */
int clm_ncpu(void);

/* 0 if name is a valid app name; else -1 and *cause says why and how. */
int clm_app_name_check(const char *name, char **cause);
/*
 * A target that names one worker: "NAME:ID" (ID a worker's id, from 0 in
 * each app). 1 with *name (the caller frees) and *slot; 0 when target has
 * no ':' (an app, or all); -1 with *cause when it is malformed.
 */
int clm_worker_target(const char *target, char **name, int *slot,
    char **cause);

/* The default name of a script: its base name without extension. */
char *clm_app_default_name(const char *script);

/* The interpreter for a script by extension ("node", "python3", "sh"), or
 * NULL when the script is executed directly. */
const char *clm_app_default_interpreter(const char *script);

/*
 * Resolve an app's files as `clm start` does, before anything starts. base
 * is the directory the user's relative paths are relative to (the CLI's
 * cwd, an app file's folder).
 * - spec->cwd (NULL: base) is made absolute against base; it must be a
 *   directory.
 * - spec->script is made absolute against that cwd; it must be a readable
 *   regular file. A bare name that cwd lacks is looked up in path_env, as
 *   PM2 does (script: npm, args: start).
 * - spec->out_file and spec->error_file are made absolute against cwd.
 * - spec->interpreter: NULL chooses one by the script's extension, "none"
 *   runs the script itself (which must then be executable), a name is
 *   looked up in path_env (a PATH value; NULL: /usr/local/bin:/usr/bin:/bin),
 *   a path with a '/' is relative to base. It becomes the program's
 *   absolute path, or NULL.
 * how_interp says how the user names an interpreter, for the hints in
 * messages ("pass --interpreter", "set interpreter = PROG").
 * Returns 0, or -1 with *field naming what is wrong ("cwd", "script" or
 * "interpreter"), *cause, and the spec unchanged.
 */
int clm_app_resolve(struct clm_app_spec *, const char *base,
    const char *path_env, const char *how_interp, const char **field,
    char **cause);

/* A program's absolute path: relative to base if it has a '/', else from
 * path_env (NULL: /usr/local/bin:/usr/bin:/bin). NULL if not found. */
char *clm_app_find_program(const char *prog, const char *base,
    const char *path_env);

/* base/rel (rel alone when absolute), without "//", "/./" or a trailing
 * "/". ".." stays: symbolic links (a "current" release) keep their
 * meaning. */
char *clm_path_join(const char *base, const char *rel);

/* The current directory; $PWD when it is the same one (keeps symbolic
 * links). NULL with *cause. */
char *clm_getcwd(char **cause);

/* Signals by name: "SIGINT", "INT", "int" or a number. -1 if unknown. */
int clm_signal_parse(const char *s);
const char *clm_signal_name(int sig);	/* "SIGINT"; "SIG?" if unknown */

#endif
