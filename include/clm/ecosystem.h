/*
 * PM2's ecosystem files as they are: ecosystem.config.js (.cjs) evaluated
 * by Node, .json, .yaml/.yml. Their apps become the app specs an app file
 * (config.h) makes, checked all or nothing, and `clm import` writes them
 * as an app file. Which PM2 key becomes which option: ecosystem.c's
 * table (and the README's "Coming from PM2").
 */
#ifndef CLM_ECOSYSTEM_H
#define CLM_ECOSYSTEM_H

#include <stdbool.h>
#include <stddef.h>

#include "clm/app.h"

struct ecosystem_opts {
	char *const	*only;		/* these apps (NULL: all) */
	const char	*profile;	/* --env NAME: env_NAME over env */
	bool		 strict;	/* unknown keys are errors */
};

/* Whether a file's name says it is an ecosystem file (.json, .yaml,
 * .yml, .config.js, .config.cjs). */
bool ecosystem_is_file(const char *path);

/*
 * Load its apps, over env (the CLI's environment) as config_load_apps
 * does. *warnings (may be NULL) gets a line for each key not carried over
 * ("FILE: app 'web': unknown key 'foo'"), errors when strict. Returns 0,
 * or -1 with *errors (lines "FILE: ...") and no apps.
 */
int ecosystem_load(const char *path, char *const *env,
    const struct ecosystem_opts *, struct clm_app_spec ***apps, size_t *napps,
    char ***warnings, char ***errors);

/*
 * The app file (INI text) that declares the same apps, every profile
 * kept (env_NAME.KEY lines), with a comment for each key not carried
 * over. out_dir is the folder the file will be written in: paths are
 * written relative to it when the ecosystem file's folder is the same,
 * else absolute. -1 with *errors.
 */
int ecosystem_import(const char *path, const char *out_dir,
    const struct ecosystem_opts *, char **text, char ***warnings,
    char ***errors);

#endif
