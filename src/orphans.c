/* The processes an app leaves behind, reparented to clmd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/nametab.h"
#include "clm/orphans.h"
#include "clm/reaper.h"

#define ORPHANS_PASSES	5		/* kill, let the next ones reparent */
#define ORPHANS_WAIT_NS	(10 * 1000 * 1000)
#define APP_VAR		"CLM_APP_NAME="
#define ENVIRON_MAX	(256 * 1024)	/* bytes of an environ read */

/* The app pid's environment names (CLM_APP_NAME=...), in the set apps:
 * its index in names, or -1. */
static int
app_of(int pid, const struct nametab *apps)
{
	char	 path[64], *buf;
	size_t	 off = 0;
	ssize_t	 n;
	void	*v = NULL;
	int	 fd;

	snprintf(path, sizeof path, "/proc/%d/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	buf = clm_malloc(ENVIRON_MAX + 1);
	while (off < ENVIRON_MAX &&
	    (n = read(fd, buf + off, ENVIRON_MAX - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	for (n = 0; (size_t)n < off; n += (ssize_t)strlen(buf + n) + 1) {
		if (strncmp(buf + n, APP_VAR, strlen(APP_VAR)) == 0) {
			v = nametab_get(apps, buf + n + strlen(APP_VAR));
			break;
		}
	}
	free(buf);
	return v != NULL ? (int)((intptr_t)v - 1) : -1;
}

/* clmd's children (every thread's), from /proc/self/task/N/children:
 * how many, in *out (the caller frees it). */
static size_t
children(int **out)
{
	DIR		*d;
	struct dirent	*e;
	FILE		*f;
	char		 path[300];
	size_t		 n = 0, cap = 0;
	int		 pid;

	*out = NULL;
	if ((d = opendir("/proc/self/task")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/children",
		    e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		while (fscanf(f, "%d", &pid) == 1) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				*out = clm_realloc(*out, cap * sizeof **out);
			}
			(*out)[n++] = pid;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

int
orphans_kill(const char *app)
{
	char	*apps[] = { (char *)app, NULL };

	return orphans_kill_apps(apps);
}

int
orphans_kill_apps(char *const *apps)
{
	struct timespec	 ts = { 0, ORPHANS_WAIT_NS };
	struct nametab	*set = nametab_new();
	int		*pids, *counts, pass, killed = 0, now, k;
	size_t		 i, n, napps;

	for (napps = 0; apps[napps] != NULL; napps++)
		nametab_put(set, apps[napps], (void *)(intptr_t)(napps + 1));
	counts = clm_calloc(napps + 1, sizeof *counts);
	/* One look at clmd's children for every app: not one per app. */
	for (pass = 0; pass < ORPHANS_PASSES && napps > 0; pass++) {
		now = 0;
		n = children(&pids);
		for (i = 0; i < n; i++) {
			if (reaper_knows(pids[i]) ||
			    (k = app_of(pids[i], set)) == -1)
				continue;
			if (kill(pids[i], SIGKILL) == 0) {
				now++;
				counts[k]++;
			}
		}
		free(pids);
		if (now == 0)
			break;
		killed += now;
		nanosleep(&ts, NULL);	/* their children reparent to us */
	}
	for (i = 0; i < napps; i++) {
		if (counts[i] > 0)
			log_info("%s: killed %d process%s it left behind "
			    "(reparented to clmd)", apps[i], counts[i],
			    counts[i] == 1 ? "" : "es");
	}
	free(counts);
	nametab_free(set);
	return killed;
}
