/* Restart policy: pure arithmetic, so that it can be tested alone. */
#ifndef CLM_BACKOFF_H
#define CLM_BACKOFF_H

#include "clm/common.h"

#define CLM_BACKOFF_FIRST_MS	100
#define CLM_BACKOFF_MAX_MS	15000

/*
 * Delay before the next start of a worker that has had `unstable` unstable
 * runs in a row (0 after a stable run): 100 ms, 100, 200, 400, ... 15 s.
 */
uint32_t backoff_delay_ms(unsigned unstable);

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
