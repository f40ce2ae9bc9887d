/* CPU and memory of a process from /proc/PID/stat and /proc/PID/statm. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/procstat.h"

static ssize_t
read_small(const char *path, char *buf, size_t size)
{
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int
procstat_read(int pid, uint64_t *cpu_ms, uint64_t *rss_bytes)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 utime, stime, pages;
	long			 hz, pagesize;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof buf) <= 0)
		return -1;
	/* The command name may hold spaces and parentheses: skip past the
	 * last ')'; then state is field 3, utime 14, stime 15. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &utime, &stime) != 2)
		return -1;
	hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	*cpu_ms = (utime + stime) * 1000ULL / (unsigned long long)hz;

	snprintf(path, sizeof path, "/proc/%d/statm", pid);
	if (read_small(path, buf, sizeof buf) <= 0 ||
	    sscanf(buf, "%*u %llu", &pages) != 1)
		return -1;
	pagesize = sysconf(_SC_PAGESIZE);
	*rss_bytes = pages * (unsigned long long)(pagesize > 0 ? pagesize : 4096);
	return 0;
}

double
procstat_cpu_percent(struct procstat_sample *prev, uint64_t cpu_ms,
    uint64_t now_ms, uint64_t started_ms)
{
	uint64_t	from_cpu = 0, from_ms = started_ms;
	double		pct = 0;

	if (prev->at_ms != 0 && prev->cpu_ms <= cpu_ms) {
		from_cpu = prev->cpu_ms;
		from_ms = prev->at_ms;
	}
	if (now_ms > from_ms)
		pct = 100.0 * (double)(cpu_ms - from_cpu) /
		    (double)(now_ms - from_ms);
	prev->cpu_ms = cpu_ms;
	prev->at_ms = now_ms;
	return pct;
}
