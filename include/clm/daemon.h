/* clmd's life: detach, lock the home, listen, serve, shut down. */
#ifndef CLM_DAEMON_H
#define CLM_DAEMON_H

#include "clm/common.h"

struct clm_daemon_options {
	bool		 foreground;	/* stay attached, log to stderr too */
	bool		 check_only;	/* -n: check the configuration, exit */
	bool		 resurrect;	/* start the saved apps at start-up */
	const char	*apps;		/* --apps FILE: start its apps */
	const char	*config;	/* -f FILE; NULL: $CLM_HOME/clm.ini */
	int		 upgrade_fd;	/* --upgrade-from FD (clm update); -1 */
};

/* Run a daemon until it is told to stop; returns the exit status. */
int clm_daemon_run(const struct clm_daemon_options *);

#endif
