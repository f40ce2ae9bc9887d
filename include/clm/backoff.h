/* Restart policy: pure arithmetic, so that it can be tested alone. */
#ifndef CLM_BACKOFF_H
#define CLM_BACKOFF_H

#include "clm/common.h"


/*
 * Delay before the next start of a worker that has had `unstable` unstable
 * runs in a row (0 after a stable run): first, first, 2 first, 4 first, ...
 * at most max (100 ms, 100, 200, 400, ... 15 s by default).
 */
uint32_t backoff_delay_ms(unsigned unstable, uint32_t first, uint32_t max);

enum backoff_verdict {
	BACKOFF_RESTART,	/* start again after backoff_delay_ms() */
	BACKOFF_GIVE_UP,	/* too many unstable runs: errored */
};

/*
 * Judge a run that ended on its own after uptime_ms. Updates *unstable
 * (reset by a stable run, counted up by an unstable one).
 */
enum backoff_verdict backoff_judge(unsigned *unstable, uint64_t uptime_ms,
    uint32_t min_uptime_ms, int max_restarts);

#endif
