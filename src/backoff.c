/* Restart policy: exponential backoff with a tally of unstable runs. */
#include "clm/backoff.h"

uint32_t
backoff_delay_ms(unsigned unstable, uint32_t first, uint32_t max)
{
	uint64_t	d = first;

	if (unstable > 1) {
		if (unstable > 33)
			return max;
		d <<= unstable - 1;
	}
	return d > max ? max : (uint32_t)d;
}

enum backoff_verdict
backoff_judge(unsigned *unstable, uint64_t uptime_ms, uint32_t min_uptime_ms,
    int max_restarts)
{
	if (uptime_ms >= min_uptime_ms) {
		*unstable = 0;
		return BACKOFF_RESTART;
	}
	if (max_restarts < 0 || *unstable >= (unsigned)max_restarts)
		return BACKOFF_GIVE_UP;
	(*unstable)++;
	return BACKOFF_RESTART;
}
