/*
 * INI files (inih): the daemon's configuration (clm.ini) and app files
 * (clm start apps.ini). This module is the only one that touches INI.
 * Every error is reported as "FILE:LINE: what is wrong (the fix)".
 */
#ifndef CLM_CONFIG_H
#define CLM_CONFIG_H

#include <sys/types.h>

#include "clm/app.h"

struct clm_daemon_config {
	char		*socket_path;	/* NULL: $CLM_HOME/clm.sock */
	mode_t		 socket_mode;	/* 0600; 0660 with socket_group */
	char		*socket_group;	/* NULL: none */
	char		*log_dir;	/* NULL: $CLM_HOME/logs */
	char		*metrics_listen; /* HOST:PORT for Prometheus; NULL */
	/* [defaults]: the options (CLM_OPT_DEFAULTS rows of options.h) of
	 * every app that does not set its own; no strings. */
	struct clm_app_spec defaults;
	uint32_t	 backoff_initial_ms;	/* 100 */
	uint32_t	 backoff_max_ms;	/* 15000 */
};

/* The built-in defaults (what config/clm.ini lists). */
void config_daemon_defaults(struct clm_daemon_config *);
void config_daemon_free(struct clm_daemon_config *);

/*
 * Load a daemon configuration over the defaults. Returns 0, or -1 with
 * *errors set to every problem found (a NULL-terminated vector of
 * "FILE:LINE: ..." lines; the caller frees it with clm_strv_free).
 */
int config_load_daemon(const char *path, struct clm_daemon_config *,
    char ***errors);

/*
 * Load an app file: one section per app. Relative paths are relative to
 * the file's folder, which is also the default cwd. env is the environment
 * the apps get (the CLI's), before their env.KEY lines. Only the sections
 * named in only (NULL: all) are returned; naming a section that the file
 * lacks is an error. profile (clm start --env NAME; NULL: none) puts the
 * apps' env_NAME.KEY lines over their env.KEY lines, and an env_file's
 * variables go under both. Scripts and interpreters are resolved and checked as
 * `clm start` does. Returns 0, or -1 with *errors as above and no apps.
 */
int config_load_apps(const char *path, char *const *env, char *const *only,
    const char *profile, struct clm_app_spec ***apps, size_t *napps,
    char ***errors);

/* The folder of path, absolute; NULL with *cause. */
char *config_folder(const char *path, char **cause);
/* Read a whole regular file of at most 1 MiB (an app file, an ecosystem
 * file, a .env); NUL-terminated. -1 with *cause (without the path). */
int config_read_file(const char *path, char **out, size_t *outlen,
    char **cause);

#endif
