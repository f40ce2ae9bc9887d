/*
 * clm-logd: reads workers' output pipes and writes their log files (see
 * include/clm/logwriter.h). clmd starts one, with fd 3 a SOCK_SEQPACKET
 * socket to it, and hands it every stream.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/limits.h"
#include "clm/logconsole.h"
#include "clm/logwriter.h"

#define CTL_FD 3

static void
usage(FILE *f)
{
	fprintf(f, "usage: clm-logd [--version]\n"
	    "clm-logd writes workers' log files for clmd, which starts it "
	    "with its\ncontrol socket as fd 3; it is not run by hand.\n");
}

int
main(int argc, char **argv)
{
	struct logwriter	*lw;
	struct stat		 st;
	struct sigaction	 sa;
	sigset_t		 set;
	char			*cause = NULL;
	int			 rc;

	if (argc > 1) {
		if (strcmp(argv[1], "--version") == 0) {
			printf("clm-logd %s\n", CLM_VERSION);
			return 0;
		}
		if (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (fstat(CTL_FD, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "clm-logd: fd 3 is not clmd's socket "
		    "(clm-logd is started by clmd, not by hand)\n");
		return 1;
	}

	/* clmd decides when this ends: only SIGTERM (after flushing). */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);	/* a too large file: EFBIG */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	/* A pipe a stream, and the log files in what is left (clmd has
	 * raised its own limit already, if it could: this is in case it
	 * could not tell). */
	limits_raise_nofile();
	lw = logwriter_new();
	rc = logwriter_run(lw, CTL_FD, &cause);
	if (rc == -1) {
		fprintf(stderr, "clm-logd: %s\n", cause);
		free(cause);
	}
	logwriter_free(lw);
	if (logconsole_dropped() > 0)
		fprintf(stderr, "clm-logd: clmd's stdout or stderr was not "
		    "read for %d ms after shutdown began: %llu bytes of console "
		    "lines dropped (the log files have them with log_target = "
		    "both)\n", LOGCONSOLE_SHUTDOWN_MS,
		    (unsigned long long)logconsole_dropped());
	return rc == -1 ? 1 : 0;
}
