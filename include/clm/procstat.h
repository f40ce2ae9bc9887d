/* CPU and memory of a process, from /proc. Cheap reads, no blocking I/O. */
#ifndef CLM_PROCSTAT_H
#define CLM_PROCSTAT_H

#include "clm/common.h"

struct procstat_sample {
	uint64_t	cpu_ms;		/* user + system time so far */
	uint64_t	at_ms;		/* monotonic time of the sample */
};

/* Read pid's CPU time and resident bytes. -1 if the process is gone. */
int procstat_read(int pid, uint64_t *cpu_ms, uint64_t *rss_bytes);

/*
 * CPU use in percent of one core since *prev (or since started_ms when
 * prev->at_ms is 0); *prev becomes the new sample.
 */
double procstat_cpu_percent(struct procstat_sample *prev, uint64_t cpu_ms,
    uint64_t now_ms, uint64_t started_ms);

#endif
