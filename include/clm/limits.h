/*
 * The open-file limit (RLIMIT_NOFILE) of clmd and its helpers. Every
 * worker costs clmd 3 file descriptors (its channel and the read ends of
 * its two output pipes: no pidfd for its own children, libuv's SIGCHLD
 * tells it their end), clm-keeper the same 3 (the copies it holds for a
 * crash of clmd), and clm-logd 2 (the pipes; its log files are a bounded
 * cache). clmd raises its soft limit to the hard one when it starts, as
 * clm-keeper and clm-logd do, and refuses a start that would run more
 * workers than that limit allows, before starting any of them, rather
 * than failing halfway.
 */
#ifndef CLM_LIMITS_H
#define CLM_LIMITS_H

#include "clm/common.h"

#define LIMITS_FDS_BASE		96	/* the daemons' own (clmd: 50, 32
					   of them spawn's slots), clients,
					   spares */
#define LIMITS_FDS_PER_WORKER	3	/* clmd's and clm-keeper's: the
					   larger share */

/* Raise the soft limit on open files to the hard limit; log what it did. */
void limits_raise_nofile(void);
/* The same, quietly: 0 (*from, *to: the soft limit before and now), or -1
 * with errno. For a process without clmd's log (clm-keeper). */
int limits_raise_soft(unsigned long long *from, unsigned long long *to);

/* The open files that running this many workers needs. */
uint64_t limits_fds_needed(size_t workers);

/*
 * 0 if `workers` workers in all fit in the open-file limit; otherwise -1
 * and *cause says how many files they need, what the limit is, and how to
 * raise it.
 */
int limits_check_workers(size_t workers, char **cause);

#endif
