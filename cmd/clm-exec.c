/*
 * clm-exec: runs a worker that was handed listening sockets. systemd's
 * protocol wants LISTEN_PID to be the worker's own pid, which clmd cannot
 * know before the fork: this sets it, then becomes the app.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char	pid[32];

	if (argc < 2) {
		fprintf(stderr, "usage: clm-exec PROGRAM [ARGS...]\n");
		return 2;
	}
	if (getenv("LISTEN_FDS") != NULL) {
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		setenv("LISTEN_PID", pid, 1);
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "clm: cannot run %s: %s\n", argv[1], strerror(errno));
	return 127;
}
