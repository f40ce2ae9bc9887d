/*
 * clmd's open-file limit (RLIMIT_NOFILE). Every worker costs clmd 3 file
 * descriptors (its channel and the read ends of its two output pipes) and
 * clm-logd 4 (those two pipes and its two log files); clm-logd inherits
 * clmd's limit. clmd raises its soft limit to the hard one when it starts,
 * and refuses a start that would run more workers than that limit allows,
 * before starting any of them, rather than failing halfway.
 */
#ifndef CLM_LIMITS_H
#define CLM_LIMITS_H

#include "clm/common.h"

#define LIMITS_FDS_BASE		64	/* the daemons' own, clients, spares */
#define LIMITS_FDS_PER_WORKER	4	/* clm-logd's: the larger share */

/* Raise the soft limit on open files to the hard limit; log what it did. */
void limits_raise_nofile(void);

/* The open files that running this many workers needs. */
uint64_t limits_fds_needed(size_t workers);

/*
 * 0 if `workers` workers in all fit in the open-file limit; otherwise -1
 * and *cause says how many files they need, what the limit is, and how to
 * raise it.
 */
int limits_check_workers(size_t workers, char **cause);

#endif
