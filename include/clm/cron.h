/*
 * cron_restart: a schedule of five fields, "MIN HOUR DOM MON DOW", as
 * cron(8) reads them, and the next time it matches in a time zone. Pure:
 * no loop, no state (the zone is switched for the call and put back).
 *
 * Each field is "*", a value, a range "A-B", a step "*\/N", "A-B/N" or
 * "A/N" (A to the field's end), or a list of these ("1,15,30-40/5").
 * Months and days of the week may be named (jan..dec, sun..sat); a day of
 * the week is 0-7, 0 and 7 being Sunday. As cron does: when both DOM and
 * DOW are restricted (neither begins with '*'), a day that matches either
 * one matches; otherwise both must. @hourly, @daily (@midnight), @weekly,
 * @monthly and @yearly (@annually) stand for their usual schedules.
 *
 * Time changes: a local time that does not exist (the hour skipped in
 * spring) does not fire; one that happens twice (the hour repeated in
 * autumn) fires once, the first time.
 */
#ifndef CLM_CRON_H
#define CLM_CRON_H

#include <stdbool.h>
#include <stdint.h>

struct cron {
	uint64_t	minutes;	/* bit m: minute m (0-59) */
	uint32_t	hours;		/* 0-23 */
	uint32_t	doms;		/* 1-31 */
	uint16_t	months;		/* 1-12 */
	uint8_t		dows;		/* 0-6, Sunday 0 */
	bool		dom_star;	/* the field began with '*' */
	bool		dow_star;
};

/* 0, or -1 with *cause (what is wrong, which field, what to write). */
int	cron_parse(const char *s, struct cron *, char **cause);

/*
 * The first time (seconds since the epoch) after `after` at which the
 * schedule matches, in the zone tz (an IANA name, "Europe/Berlin"; NULL:
 * the process's local zone). -1 if none within five years.
 */
int64_t	cron_next(const struct cron *, const char *tz, int64_t after);

/* 0 if tz names a zone of the tz database (a file under
 * /usr/share/zoneinfo, or $TZDIR); -1 with *cause. */
int	cron_check_tz(const char *tz, char **cause);

#endif
