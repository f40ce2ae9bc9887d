/* An app's specification: what the user asked for, independent of the
 * processes that currently run it. Pure data and pure functions. */
#ifndef CLM_APP_H
#define CLM_APP_H

#include "clm/common.h"

#define CLM_NAME_MAX 64

#define CLM_DEFAULT_KILL_SIGNAL 2	/* SIGINT */
#define CLM_DEFAULT_KILL_TIMEOUT_MS 1600
#define CLM_DEFAULT_MIN_UPTIME_MS 1000
#define CLM_DEFAULT_MAX_RESTARTS 16
#define CLM_DEFAULT_LISTEN_TIMEOUT_MS 3000

/* Special values of clm_app_spec.instances as the user wrote them. */
#define CLM_INSTANCES_MAX 0		/* -i 0, -i max: every logical core */
#define CLM_INSTANCES_ALL_BUT_ONE (-1)	/* -i -1 */

struct clm_app_spec {
	char		 *name;
	char		 *script;	/* absolute path */
	char		 *interpreter;	/* program to run the script, or NULL */
	char		**args;		/* extra arguments, NULL-terminated, may be NULL */
	char		 *cwd;		/* absolute path */
	char		**env;		/* KEY=VALUE, NULL-terminated, may be NULL */
	int		  instances;	/* as requested: N > 0, 0 = max, -1 = all but one */
	int		  kill_signal;
	uint32_t	  kill_timeout_ms;
	uint32_t	  min_uptime_ms;
	int		  max_restarts;
	bool		  autorestart;
	uint32_t	  listen_timeout_ms;
	char		**listen;	/* --listen addresses, may be NULL */
};

struct clm_app_spec *clm_app_spec_new(void);	/* all defaults */
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

/* Logical cores available to this process (at least 1). */
int clm_ncpu(void);

/* 0 if name is a valid app name; else -1 and *cause says why and how. */
int clm_app_name_check(const char *name, char **cause);

/* The default name of a script: its base name without extension. */
char *clm_app_default_name(const char *script);

/* The interpreter for a script by extension ("node", "python3", "sh"), or
 * NULL when the script is executed directly. */
const char *clm_app_default_interpreter(const char *script);

/* Signals by name: "SIGINT", "INT", "int" or a number. -1 if unknown. */
int clm_signal_parse(const char *s);
const char *clm_signal_name(int sig);	/* "SIGINT"; "SIG?" if unknown */

#endif
