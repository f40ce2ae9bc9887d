/* The open-file limit: raised at start, checked before a start. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "clm/limits.h"
#include "clm/log.h"

/* The kernel's ceiling for any RLIMIT_NOFILE (fs.nr_open). */
static rlim_t
limits_nr_open(void)
{
	FILE		*f;
	unsigned long	 n = 0;

	if ((f = fopen("/proc/sys/fs/nr_open", "re")) == NULL)
		return 1048576;
	if (fscanf(f, "%lu", &n) != 1 || n == 0)
		n = 1048576;
	fclose(f);
	return (rlim_t)n;
}

int
limits_raise_soft(unsigned long long *from, unsigned long long *to)
{
	struct rlimit	rl;

	*from = *to = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	*from = *to = (unsigned long long)rl.rlim_cur;
	if (rl.rlim_cur >= rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > limits_nr_open())
		rl.rlim_cur = limits_nr_open();
	*to = (unsigned long long)rl.rlim_cur;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

void
limits_raise_nofile(void)
{
	unsigned long long	old, now;

	if (limits_raise_soft(&old, &now) == -1) {
		if (old == now)
			log_warn("getrlimit(RLIMIT_NOFILE)");
		else
			log_warn("cannot raise the open file limit from %llu "
			    "to %llu", old, now);
		return;
	}
	if (now != old)
		log_info("open file limit raised from %llu to %llu (the hard "
		    "limit)", old, now);
}

uint64_t
limits_fds_needed(size_t workers)
{
	return LIMITS_FDS_BASE + (uint64_t)LIMITS_FDS_PER_WORKER * workers;
}

int
limits_check_workers(size_t workers, char **cause)
{
	struct rlimit	rl;
	uint64_t	need = limits_fds_needed(workers), fix;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY ||
	    need <= rl.rlim_cur)
		return 0;
	fix = (need + 1023) / 1024 * 1024;
	*cause = clm_asprintf("%zu workers need about %" PRIu64 " open files "
	    "(%d a worker), more than clmd's limit of %llu (hard limit %llu): "
	    "nothing was started. Raise the hard limit in the shell that "
	    "starts clmd and restart it: clm kill; ulimit -Hn %" PRIu64
	    " (as root, or via /etc/security/limits.conf); then start again "
	    "(LimitNOFILE=%" PRIu64 " in clm.service under systemd)",
	    workers, need, LIMITS_FDS_PER_WORKER,
	    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
	    fix, fix);
	return -1;
}
