/* CPU and memory of a process from /proc/PID/stat. */
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
	static long		 hz, pagesize;
	char			 path[64], buf[1024], *p;
	unsigned long long	 v[25];
	int			 field;

	if (hz == 0) {
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
		pagesize = sysconf(_SC_PAGESIZE) > 0 ?
		    sysconf(_SC_PAGESIZE) : 4096;
	}
	/* One file (thousands of workers are listed): utime is field 14,
	 * stime 15, rss (pages, as statm's resident) 24. */
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof buf) <= 0)
		return -1;
	/* The command name may hold spaces and parentheses: skip past the
	 * last ')'; then state is field 3. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	p += 3;
	for (field = 4; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (*p == '-')		/* priority, nice...: not ours */
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (v[field] = 0; *p >= '0' && *p <= '9'; p++)
			v[field] = v[field] * 10 + (unsigned long long)(*p - '0');
	}
	*cpu_ms = (v[14] + v[15]) * 1000ULL / (unsigned long long)hz;
	*rss_bytes = v[24] * (unsigned long long)pagesize;
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
