/*
 * The saved list of apps, $CLM_HOME/dump.json: written by `clm save`,
 * read by `clm resurrect` and `clmd --resurrect`. Written atomically: a
 * temporary file, fsync, rename; the previous dump stays as dump.json.bak.
 */
#ifndef CLM_STATE_H
#define CLM_STATE_H

#include "clm/app.h"
#include "clm/home.h"
#include "clm/proto.h"		/* CLM_DUMP_MAX */

char *state_path(const struct clm_home *);
/* stopped: the names of the apps a person stopped (see proto.h). */
int state_save(const struct clm_home *, struct clm_app_spec *const *apps,
    size_t n, char *const *stopped, char **cause);
/* -1 with *cause (and *missing when there is no dump at all). */
int state_load(const struct clm_home *, struct clm_app_spec ***apps,
    size_t *n, char ***stopped, bool *missing, char **cause);

#endif
