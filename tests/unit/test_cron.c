/* cron_restart schedules: every field form, the DOM/DOW rule, the next
 * time in a zone with clock changes (Europe/Berlin, 2026). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clm/common.h"
#include "clm/cron.h"
#include "unit.h"

/* "2026-03-29 00:30" UTC as seconds. */
static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

static void
parse_ok(const char *s, struct cron *c)
{
	char	*cause = NULL;

	if (cron_parse(s, c, &cause) != 0)
		unit_fail(__FILE__, __LINE__, "'%s': %s", s, cause);
}

static void
parse_fails(const char *s, const char *want)
{
	struct cron	 c;
	char		*cause = NULL;

	if (cron_parse(s, &c, &cause) == 0)
		unit_fail(__FILE__, __LINE__, "'%s' was taken", s);
	ASSERT_CONTAINS(cause, want);
	free(cause);
}

/* The next time after `after` of schedule s in tz. */
static int64_t
next(const char *s, const char *tz, int64_t after)
{
	struct cron	c;

	parse_ok(s, &c);
	return cron_next(&c, tz, after);
}

#define BIT(n) (1ULL << (n))

TEST(cron_parses_every_field_form)
{
	struct cron	c;

	parse_ok("* * * * *", &c);
	ASSERT_TRUE(c.minutes == (BIT(60) - 1));
	ASSERT_TRUE(c.hours == (uint32_t)(BIT(24) - 1));
	ASSERT_TRUE(c.doms == (uint32_t)(BIT(32) - 2));
	ASSERT_TRUE(c.months == (uint16_t)(BIT(13) - 2));
	ASSERT_TRUE(c.dows == 0x7f);
	ASSERT_TRUE(c.dom_star && c.dow_star);
	parse_ok("*/15 0 1 1 0", &c);			/* steps */
	ASSERT_TRUE(c.minutes == (BIT(0) | BIT(15) | BIT(30) | BIT(45)));
	ASSERT_TRUE(!c.dom_star && !c.dow_star);
	parse_ok("1,2,5-7 * * * *", &c);		/* list, range */
	ASSERT_TRUE(c.minutes == (BIT(1) | BIT(2) | BIT(5) | BIT(6) |
	    BIT(7)));
	parse_ok("0 9-17/2 * * mon-fri", &c);		/* range/step, names */
	ASSERT_TRUE(c.hours == (BIT(9) | BIT(11) | BIT(13) | BIT(15) |
	    BIT(17)));
	ASSERT_TRUE(c.dows == 0x3e);
	parse_ok("5/20 * * JAN,Jul,dec *", &c);		/* A/N, month names */
	ASSERT_TRUE(c.minutes == (BIT(5) | BIT(25) | BIT(45)));
	ASSERT_TRUE(c.months == (BIT(1) | BIT(7) | BIT(12)));
	parse_ok("0 0 * * 7", &c);			/* 7 is Sunday */
	ASSERT_TRUE(c.dows == 1);
	parse_ok("0 0 * * 5-7", &c);
	ASSERT_TRUE(c.dows == (BIT(0) | BIT(5) | BIT(6)));
	parse_ok("  0   3\t* * *  ", &c);		/* blanks */
	ASSERT_TRUE(c.hours == BIT(3));
	parse_ok("@daily", &c);
	ASSERT_TRUE(c.minutes == 1 && c.hours == 1 && c.dom_star);
	parse_ok("@hourly", &c);
	ASSERT_TRUE(c.minutes == 1 && c.hours == (uint32_t)(BIT(24) - 1));
	parse_ok("@weekly", &c);
	ASSERT_TRUE(c.dows == 1 && c.dom_star);
	parse_ok("@monthly", &c);
	ASSERT_TRUE(c.doms == BIT(1));
	parse_ok("@yearly", &c);
	ASSERT_TRUE(c.doms == BIT(1) && c.months == BIT(1));
}

TEST(cron_refuses_what_is_not_a_schedule)
{
	parse_fails("* * * *", "not a schedule of 5 fields");
	parse_fails("* * * * * *", "not a schedule of 5 fields");
	parse_fails("", "not a schedule of 5 fields");
	parse_fails("60 * * * *", "minute '60' is not *, a value from 0 to 59");
	parse_fails("0 24 * * *", "hour '24'");
	parse_fails("0 0 0 * *", "day of month '0'");
	parse_fails("0 0 * 13 *", "month '13' is not *, a value from 1 to 12 "
	    "(or jan..dec)");
	parse_fails("0 0 * * 8", "day of week '8'");
	parse_fails("0 0 * * sunday", "day of week 'sunday'");
	parse_fails("5-1 * * * *", "the range goes backwards");
	parse_fails("*/0 * * * *", "minute '*/0'");
	parse_fails("*/ * * * *", "minute '*/'");
	parse_fails("1-/2 * * * *", "minute '1-/2'");
	parse_fails("x * * * *", "minute 'x'");
	parse_fails(",1 * * * *", "minute ',1' has an empty item");
	parse_fails("1,,2 * * * *", "has an empty item");
	parse_fails("0 0 30 2 *", "never happens");
	parse_fails("0 0 31 apr,jun *", "never happens");
	parse_fails("@often", "not a schedule of 5 fields");
}

TEST(cron_next_in_utc)
{
	int64_t	t0 = utc(2026, 1, 1, 0, 0);	/* a Thursday */

	ASSERT_TRUE(next("30 2 * * *", "UTC", t0) == utc(2026, 1, 1, 2, 30));
	/* Strictly after: the same minute is not "next". */
	ASSERT_TRUE(next("0 0 * * *", "UTC", t0) == utc(2026, 1, 2, 0, 0));
	ASSERT_TRUE(next("* * * * *", "UTC", t0 + 59) ==
	    utc(2026, 1, 1, 0, 1));
	ASSERT_TRUE(next("*/10 * * * *", "UTC", t0 + 61) ==
	    utc(2026, 1, 1, 0, 10));
	ASSERT_TRUE(next("0 3 1 * *", "UTC", utc(2026, 1, 31, 12, 0)) ==
	    utc(2026, 2, 1, 3, 0));
	ASSERT_TRUE(next("0 0 1 1 *", "UTC", t0) == utc(2027, 1, 1, 0, 0));
	/* 29 February: the next leap year. */
	ASSERT_TRUE(next("0 0 29 feb *", "UTC", t0) ==
	    utc(2028, 2, 29, 0, 0));
	ASSERT_TRUE(next("0 12 * * sat,sun", "UTC", t0) ==
	    utc(2026, 1, 3, 12, 0));
}

/* Both DOM and DOW restricted: either; one of them '*': both. */
TEST(cron_day_of_month_and_week_rules)
{
	int64_t	t0 = utc(2026, 1, 1, 0, 0);	/* Thu 1 January */

	/* The 13th or a Friday: Friday 2 January comes first, then
	 * Friday the 9th, then Tuesday the 13th. */
	ASSERT_TRUE(next("0 0 13 * fri", "UTC", t0) == utc(2026, 1, 2, 0, 0));
	ASSERT_TRUE(next("0 0 13 * fri", "UTC", utc(2026, 1, 9, 0, 0)) ==
	    utc(2026, 1, 13, 0, 0));
	/* DOW '*': the day of month alone. */
	ASSERT_TRUE(next("0 0 13 * *", "UTC", t0) == utc(2026, 1, 13, 0, 0));
	/* DOM '*': the day of week alone. */
	ASSERT_TRUE(next("0 0 * * fri", "UTC", t0) == utc(2026, 1, 2, 0, 0));
	/* DOM "*\/2" begins with '*': both must match (odd days that are
	 * Fridays: the 9th), as cron does. */
	ASSERT_TRUE(next("0 0 */2 * fri", "UTC", t0) ==
	    utc(2026, 1, 9, 0, 0));
	/* A restricted month applies to both. */
	ASSERT_TRUE(next("0 0 13 mar fri", "UTC", t0) ==
	    utc(2026, 3, 6, 0, 0));
}

/* Europe/Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC). */
TEST(cron_spring_forward_skips_the_missing_hour)
{
	const char	*tz = "Europe/Berlin";
	int64_t		 t0 = utc(2026, 3, 28, 12, 0);

	/* 02:30 does not exist on the 29th: the next is the 30th's. */
	ASSERT_TRUE(next("30 2 * * *", tz, t0) == utc(2026, 3, 30, 0, 30));
	ASSERT_TRUE(next("30 1 * * *", tz, t0) == utc(2026, 3, 29, 0, 30));
	ASSERT_TRUE(next("30 3 * * *", tz, t0) == utc(2026, 3, 29, 1, 30));
	/* Every 30 minutes: 01:30 CET, then 03:00 CEST. */
	ASSERT_TRUE(next("*/30 * * * *", tz, utc(2026, 3, 29, 0, 30)) ==
	    utc(2026, 3, 29, 1, 0));
	/* Before the change, CET is UTC+1. */
	ASSERT_TRUE(next("0 3 * * *", tz, utc(2026, 3, 27, 12, 0)) ==
	    utc(2026, 3, 28, 2, 0));
}

/* Europe/Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC):
 * 02:00-02:59 happen twice, and fire once. */
TEST(cron_fall_back_fires_once)
{
	const char	*tz = "Europe/Berlin";
	int64_t		 t0 = utc(2026, 10, 24, 12, 0);
	int64_t		 first;

	first = next("30 2 * * *", tz, t0);
	ASSERT_TRUE(first == utc(2026, 10, 25, 0, 30));	/* 02:30 CEST */
	/* Not again at 02:30 CET (01:30 UTC): the next day. */
	ASSERT_TRUE(next("30 2 * * *", tz, first) ==
	    utc(2026, 10, 26, 1, 30));
	/* Hourly: 02:00 CEST (00:00 UTC), not 02:00 CET, then 03:00 CET. */
	ASSERT_TRUE(next("0 * * * *", tz, utc(2026, 10, 24, 23, 30)) ==
	    utc(2026, 10, 25, 0, 0));
	ASSERT_TRUE(next("0 * * * *", tz, utc(2026, 10, 25, 0, 0)) ==
	    utc(2026, 10, 25, 2, 0));
	ASSERT_TRUE(next("*/30 * * * *", tz, utc(2026, 10, 25, 0, 30)) ==
	    utc(2026, 10, 25, 2, 0));
	/* An hour that is not repeated is not affected. */
	ASSERT_TRUE(next("30 3 * * *", tz, t0) == utc(2026, 10, 25, 2, 30));
}

/* A zone is switched for the call only: TZ is as it was. */
TEST(cron_leaves_the_zone_as_it_was)
{
	char	*saved = getenv("TZ") ? clm_strdup(getenv("TZ")) : NULL;

	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	ASSERT_TRUE(next("0 9 * * *", "UTC", utc(2026, 1, 1, 0, 0)) ==
	    utc(2026, 1, 1, 9, 0));
	ASSERT_EQ_STR(getenv("TZ"), "Asia/Tokyo");
	/* The local zone: 09:00 in Tokyo is 00:00 UTC. */
	ASSERT_TRUE(next("0 9 * * *", NULL, utc(2026, 1, 1, 1, 0)) ==
	    utc(2026, 1, 2, 0, 0));
	unsetenv("TZ");
	ASSERT_TRUE(next("0 9 * * *", "Asia/Tokyo", utc(2026, 1, 1, 1, 0)) ==
	    utc(2026, 1, 2, 0, 0));
	ASSERT_NULL(getenv("TZ"));
	if (saved != NULL)
		setenv("TZ", saved, 1);
	tzset();
	free(saved);
}

TEST(cron_zone_names)
{
	char	*cause = NULL;

	ASSERT_EQ_INT(cron_check_tz("Europe/Berlin", &cause), 0);
	ASSERT_EQ_INT(cron_check_tz("UTC", &cause), 0);
	ASSERT_EQ_INT(cron_check_tz("Mars/Olympus", &cause), -1);
	ASSERT_CONTAINS(cause, "'Mars/Olympus' is not a time zone");
	free(cause);
	ASSERT_EQ_INT(cron_check_tz("../../etc/passwd", &cause), -1);
	ASSERT_CONTAINS(cause, "is not a time zone name");
	free(cause);
	ASSERT_EQ_INT(cron_check_tz("Europe", &cause), -1);	/* a folder */
	free(cause);
}
