/* The processes an app leaves behind, reparented to clmd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/orphans.h"
#include "clm/reaper.h"

#define ORPHANS_PASSES	5		/* kill, let the next ones reparent */
#define ORPHANS_WAIT_NS	(10 * 1000 * 1000)
#define ORPHANS_MAX	4096		/* children looked at per pass */
#define ENVIRON_MAX	(256 * 1024)	/* bytes of an environ read */

/* Does pid's environment hold the entry want (NAME=VALUE)? */
static bool
carries(int pid, const char *want)
{
	char	 path[64], *buf;
	size_t	 len = strlen(want), off = 0;
	ssize_t	 n;
	bool	 yes = false;
	int	 fd;

	snprintf(path, sizeof path, "/proc/%d/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	buf = clm_malloc(ENVIRON_MAX + 1);
	while (off < ENVIRON_MAX &&
	    (n = read(fd, buf + off, ENVIRON_MAX - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	for (n = 0; (size_t)n < off; n += (ssize_t)strlen(buf + n) + 1) {
		if (strncmp(buf + n, want, len) == 0 && buf[n + len] == '\0') {
			yes = true;
			break;
		}
	}
	free(buf);
	return yes;
}

/* clmd's children (every thread's), from /proc/self/task/N/children. */
static size_t
children(int *out, size_t max)
{
	DIR		*d;
	struct dirent	*e;
	FILE		*f;
	char		 path[300];
	size_t		 n = 0;
	int		 pid;

	if ((d = opendir("/proc/self/task")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/children",
		    e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		while (n < max && fscanf(f, "%d", &pid) == 1)
			out[n++] = pid;
		fclose(f);
	}
	closedir(d);
	return n;
}

int
orphans_kill(const char *app)
{
	struct timespec	 ts = { 0, ORPHANS_WAIT_NS };
	char		*want = clm_asprintf("CLM_APP_NAME=%s", app);
	int		*pids = clm_calloc(ORPHANS_MAX, sizeof *pids);
	int		 pass, killed = 0, now;
	size_t		 i, n;

	for (pass = 0; pass < ORPHANS_PASSES; pass++) {
		now = 0;
		n = children(pids, ORPHANS_MAX);
		for (i = 0; i < n; i++) {
			if (reaper_knows(pids[i]) || !carries(pids[i], want))
				continue;
			if (kill(pids[i], SIGKILL) == 0)
				now++;
		}
		if (now == 0)
			break;
		killed += now;
		nanosleep(&ts, NULL);	/* their children reparent to us */
	}
	if (killed > 0)
		log_info("%s: killed %d process%s it left behind (reparented "
		    "to clmd)", app, killed, killed == 1 ? "" : "es");
	free(pids);
	free(want);
	return killed;
}
