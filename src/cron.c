/*
 * cron_restart schedules: parsing the five fields and finding the next
 * time they match (see cron.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "clm/common.h"
#include "clm/cron.h"

#define CRON_YEARS	5	/* cron_next looks this far ahead */

struct cron_field {
	const char	*name;
	int		 min;
	int		 max;
	const char	*const *names;	/* names[i] is min + i */
};

static const char *const cron_months[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec", NULL
};
static const char *const cron_days[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const struct cron_field cron_fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, cron_months },
	{ "day of week", 0, 7, cron_days },
};

static const struct {
	const char	*name;
	const char	*means;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* A value of field f at *s (a number or a name); its end, or NULL. */
static const char *
cron_value(const struct cron_field *f, const char *s, int *v)
{
	size_t	i;
	long	n;
	char	*end;

	if (isdigit((unsigned char)*s)) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || n < f->min || n > f->max)
			return NULL;
		*v = (int)n;
		return end;
	}
	for (i = 0; f->names != NULL && f->names[i] != NULL; i++) {
		if (strncasecmp(s, f->names[i], 3) == 0 &&
		    !isalpha((unsigned char)s[3])) {
			*v = f->min + (int)i;
			return s + 3;
		}
	}
	return NULL;
}

/* One item of a list ("*", "A", "A-B", with "/N"): its bits. */
static int
cron_item(const struct cron_field *f, const char *s, uint64_t *bits,
    char **cause)
{
	const char	*p = s;
	char		*end;
	int		 lo, hi, v;
	long		 step = 1;

	if (*p == '*') {
		lo = f->min;
		hi = f->max;
		p++;
	} else {
		if ((p = cron_value(f, p, &lo)) == NULL)
			goto bad;
		hi = lo;
		if (*p == '-') {
			if ((p = cron_value(f, p + 1, &hi)) == NULL)
				goto bad;
			if (hi < lo) {
				*cause = clm_asprintf("%s '%s': the range "
				    "goes backwards (write the smaller value "
				    "first)", f->name, s);
				return -1;
			}
		} else if (*p == '/')
			hi = f->max;
	}
	if (*p == '/') {
		errno = 0;
		step = strtol(p + 1, &end, 10);
		if (!isdigit((unsigned char)p[1]) || errno != 0 ||
		    step < 1 || step > f->max)
			goto bad;
		p = end;
	}
	if (*p != '\0')
		goto bad;
	for (v = lo; v <= hi; v += (int)step)
		*bits |= 1ULL << v;
	return 0;
bad:
	*cause = clm_asprintf("%s '%s' is not *, a value from %d to %d%s, a "
	    "range A-B or a step */N", f->name, s, f->min, f->max,
	    f->names == NULL ? "" : f->names == cron_months ?
	    " (or jan..dec)" : " (or sun..sat)");
	return -1;
}

/* A field: a list of items. */
static int
cron_field(const struct cron_field *f, const char *s, uint64_t *bits,
    char **cause)
{
	char	*copy, *item, *save = NULL;
	int	 rc = 0;

	*bits = 0;
	copy = clm_strdup(s);
	if (*s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,") != NULL) {
		*cause = clm_asprintf("%s '%s' has an empty item", f->name, s);
		rc = -1;
	}
	for (item = strtok_r(copy, ",", &save); rc == 0 && item != NULL;
	    item = strtok_r(NULL, ",", &save))
		rc = cron_item(f, item, bits, cause);
	free(copy);
	return rc;
}

static int
cron_month_days(int month)	/* the most a month has (February: 29) */
{
	static const int	days[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
					     30, 31, 30, 31 };

	return days[month - 1];
}

int
cron_parse(const char *s, struct cron *c, char **cause)
{
	char		*copy, *word, *save = NULL, *words[6], *why = NULL;
	uint64_t	 bits[5];
	size_t		 i, n = 0;
	int		 m, d, rc = -1;
	bool		 possible;

	memset(c, 0, sizeof *c);
	while (isspace((unsigned char)*s))
		s++;
	for (i = 0; i < CLM_ARRAY_SIZE(cron_macros); i++) {
		if (strcasecmp(s, cron_macros[i].name) == 0)
			return cron_parse(cron_macros[i].means, c, cause);
	}
	copy = clm_strdup(s);
	for (word = strtok_r(copy, " \t", &save); word != NULL && n < 6;
	    word = strtok_r(NULL, " \t", &save))
		words[n++] = word;
	if (n != 5) {
		*cause = clm_asprintf("'%s' is not a schedule of 5 fields, "
		    "MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK (write "
		    "'0 3 * * *' for 03:00 every day)", s);
		goto out;
	}
	for (i = 0; i < 5; i++) {
		if (cron_field(&cron_fields[i], words[i], &bits[i], &why) != 0) {
			*cause = clm_asprintf("'%s': %s", s, why);
			free(why);
			goto out;
		}
	}
	c->minutes = bits[0];
	c->hours = (uint32_t)bits[1];
	c->doms = (uint32_t)bits[2];
	c->months = (uint16_t)bits[3];
	c->dows = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f);
	c->dom_star = words[2][0] == '*';
	c->dow_star = words[4][0] == '*';
	/* With the days of the week unrestricted, some month of the set must
	 * have some day of the set: "0 0 30 2 *" never happens. */
	possible = !c->dow_star && !c->dom_star;
	for (m = 1; m <= 12 && !possible; m++) {
		for (d = 1; d <= cron_month_days(m) && !possible; d++)
			possible = (c->months >> m & 1) &&
			    (c->doms >> d & 1);
	}
	if (!possible) {
		*cause = clm_asprintf("'%s' never happens: no month of it has "
		    "that day", s);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int
cron_check_tz(const char *tz, char **cause)
{
	const char	*dir = getenv("TZDIR");
	struct stat	 st;
	char		*path;
	int		 rc;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if (*tz == '\0' || *tz == '/' || strstr(tz, "..") != NULL ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(tz)) {
		*cause = clm_asprintf("'%s' is not a time zone name (write one "
		    "of the tz database, like Europe/Berlin or UTC)", tz);
		return -1;
	}
	path = clm_asprintf("%s/%s", dir, tz);
	rc = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
	if (rc != 0)
		*cause = clm_asprintf("'%s' is not a time zone of the tz "
		    "database (%s is missing; write a name like "
		    "Europe/Berlin or UTC)", tz, path);
	free(path);
	return rc;
}

static bool
cron_day(const struct cron *c, const struct tm *tm)
{
	bool	dom = c->doms >> tm->tm_mday & 1;
	bool	dow = c->dows >> tm->tm_wday & 1;

	if (!(c->months >> (tm->tm_mon + 1) & 1))
		return false;
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

static bool
cron_same_wall(const struct tm *a, const struct tm *b)
{
	return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon &&
	    a->tm_mday == b->tm_mday && a->tm_hour == b->tm_hour &&
	    a->tm_min == b->tm_min;
}

/* t's local time happened already, shortly before (autumn's repeated
 * hour: offsets change by 30 minutes to 2 hours). */
static bool
cron_repeated(time_t t, const struct tm *tm)
{
	static const int	back[] = { 1800, 3600, 7200 };
	struct tm		earlier;
	time_t			e;
	size_t			i;

	for (i = 0; i < CLM_ARRAY_SIZE(back); i++) {
		e = t - back[i];
		if (localtime_r(&e, &earlier) != NULL &&
		    cron_same_wall(&earlier, tm))
			return true;
	}
	return false;
}

static int64_t
cron_search(const struct cron *c, int64_t after)
{
	struct tm	tm;
	time_t		t, limit;

	t = (time_t)(after - (after % 60 + 60) % 60 + 60);
	limit = (time_t)(after + (int64_t)CRON_YEARS * 366 * 86400);
	while (t <= limit) {
		if (localtime_r(&t, &tm) == NULL)
			return -1;
		if (!cron_day(c, &tm) || !(c->hours >> tm.tm_hour & 1)) {
			/* to the next local hour */
			t += (60 - tm.tm_min) * 60 - tm.tm_sec;
			continue;
		}
		if (!(c->minutes >> tm.tm_min & 1) || cron_repeated(t, &tm)) {
			t += 60 - tm.tm_sec;
			continue;
		}
		return (int64_t)t;
	}
	return -1;
}

int64_t
cron_next(const struct cron *c, const char *tz, int64_t after)
{
	char	*old = NULL;
	int64_t	 t;

	if (tz == NULL)
		return cron_search(c, after);
	/* localtime_r reads the zone that tzset last loaded. */
	if (getenv("TZ") != NULL)
		old = clm_strdup(getenv("TZ"));
	setenv("TZ", tz, 1);
	tzset();
	t = cron_search(c, after);
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	return t;
}
