/* Where a daemon and its CLI keep their files: $CLM_HOME, default ~/.clm. */
#ifndef CLM_HOME_H
#define CLM_HOME_H

#include "clm/common.h"

struct clm_home {
	char	*dir;		/* $CLM_HOME */
	char	*sock;		/* dir/clm.sock */
	char	*pidfile;	/* dir/clmd.pid */
	char	*logfile;	/* dir/clmd.log */
	char	*logdir;	/* dir/logs */
	char	*startlock;	/* dir/start.lock: serialises daemon start-up */
};

/*
 * Resolve the paths. With create, make dir (mode 0700) and logdir if they
 * are missing; refuse a dir that another user owns. -1 with *cause set.
 */
int clm_home_init(struct clm_home *, bool create, char **cause);
void clm_home_free(struct clm_home *);

/*
 * Files root trusts (ssh's StrictModes): when we run as root, path (a
 * file or a directory) and every directory that leads to it, before and
 * after symbolic links, must belong to root and be writable by nobody
 * else (a sticky directory, like /tmp, may be). Otherwise -1 with *cause
 * naming the file, what is wrong and the fix; 0 too for a path that does
 * not exist, and always for other users.
 */
int clm_trust_path(const char *what, const char *path, char **cause);

/* A program or file installed with clmd: beside the running binary (a
 * build tree), else in the package's library folder. NULL if neither has
 * it. */
char *clm_helper_path(const char *name);

#endif
