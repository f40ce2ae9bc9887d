/*
 * Unit tests of src/logwriter.c: line splitting, timestamps, merged
 * files, partial and long lines, rotation, reopen, write errors, and the
 * pipe reader (peek, write, consume) on real pipes.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clm/logwriter.h"
#include "unit.h"

#define T0	1795674032123ULL	/* 2026-11-26T06:20:32.123Z */

static uint64_t	lwt_wall = T0;
static uint64_t	lwt_mono = 1000000;

static uint64_t
lwt_wall_ms(void)
{
	return lwt_wall;
}

static uint64_t
lwt_mono_ms(void)
{
	return lwt_mono;
}

struct lwt {
	char			 dir[64];
	struct logwriter	*lw;
	char			 warnings[8192];
	int			 nwarn;
};

static void
lwt_warn(void *arg, const char *msg)
{
	struct lwt	*t = arg;
	size_t		 len = strlen(t->warnings);

	snprintf(t->warnings + len, sizeof t->warnings - len, "%s\n", msg);
	t->nwarn++;
}

static void
lwt_init(struct lwt *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->dir, sizeof t->dir, "/tmp/clmlw.XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(t->dir));
	t->lw = logwriter_new();
	lwt_wall = T0;
	lwt_mono = 1000000;
	logwriter_set_clocks(t->lw, lwt_wall_ms, lwt_mono_ms);
	logwriter_set_warn(t->lw, lwt_warn, t);
}

static int
lwt_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
lwt_done(struct lwt *t)
{
	logwriter_free(t->lw);
	nftw(t->dir, lwt_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* A path in the test's folder (static: valid until the next call). */
static const char *
lwt_path(struct lwt *t, const char *name)
{
	static char	path[2][256];
	static int	which;

	which = !which;
	snprintf(path[which], sizeof path[which], "%s/%s", t->dir, name);
	return path[which];
}

static struct logwriter_stream *
lwt_add(struct lwt *t, const char *id, int flags, uint64_t max_size,
    unsigned retain, const char *name, int fd)
{
	struct logwriter_add	 a;
	struct logwriter_stream	*s;
	char			*cause = NULL;

	memset(&a, 0, sizeof a);
	a.id = clm_strdup(id);
	a.flags = flags;
	a.max_size = max_size;
	a.retain = retain;
	a.path = clm_strdup(lwt_path(t, name));
	s = logwriter_add(t->lw, &a, fd, &cause);
	ASSERT_NULL(cause);
	ASSERT_NOT_NULL(s);
	logwriter_add_clear(&a);
	return s;
}

/* The whole file, NUL-terminated ("" when missing); caller frees. */
static char *
lwt_read(struct lwt *t, const char *name)
{
	FILE	*f = fopen(lwt_path(t, name), "r");
	char	*buf;
	size_t	 n;
	long	 len;

	if (f == NULL)
		return clm_strdup("");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = clm_malloc((size_t)len + 1);
	n = fread(buf, 1, (size_t)len, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

#define ASSERT_FILE(t, name, want) do {					\
	char *lwt_got_ = lwt_read((t), (name));				\
	ASSERT_EQ_STR(lwt_got_, (want));				\
	free(lwt_got_);							\
} while (0)

static bool
lwt_exists(struct lwt *t, const char *name)
{
	return access(lwt_path(t, name), F_OK) == 0;
}

/*
 * A pretend pipe: what take leaves is still "in the pipe" and comes again
 * with the next bytes, as the real reader does.
 */
struct lwt_pipe {
	char	buf[1 << 19];
	size_t	len;
};

static size_t
lwt_feedn(struct lwt *t, struct logwriter_stream *s, struct lwt_pipe *p,
    const char *data, size_t n, bool force)
{
	size_t	k;

	ASSERT_TRUE(p->len + n <= sizeof p->buf);
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	k = logwriter_take(t->lw, s, p->buf, p->len, force);
	ASSERT_TRUE(k <= p->len);
	memmove(p->buf, p->buf + k, p->len - k);
	p->len -= k;
	return k;
}

static size_t
lwt_feed(struct lwt *t, struct logwriter_stream *s, struct lwt_pipe *p,
    const char *data)
{
	return lwt_feedn(t, s, p, data, strlen(data), false);
}

/* --- parsing ---------------------------------------------------------- */

TEST(logwriter_parse_add)
{
	struct logwriter_add	 a;
	char			*cause = NULL;
	const char		*m;
	static const struct {
		const char	*msg;
		const char	*want;
	} bad[] = {
		{ "ADD", "expected 'ADD id flags" },
		{ "ADD web:0:out - 0 5", "expected 'ADD id flags" },
		{ "ADD web:0:out - 0 5 ", "expected 'ADD id flags" },
		{ "ADD web:0:out x 0 5 /a", "unknown flag 'x'" },
		{ "ADD web:0:out t- 0 5 /a", "unknown flag '-'" },
		{ "ADD web:0:out - 10M 5 /a", "bad max_size '10M'" },
		{ "ADD web:0:out - -1 5 /a", "bad max_size '-1'" },
		{ "ADD web:0:out - 0 1001 /a", "bad retain '1001'" },
		{ "ADD web:0:out - 0 x /a", "bad retain 'x'" },
		{ "ADD web:0:out - 0 5 rel/a.log", "not absolute" },
		{ "ADD  - 0 5 /a", "expected" },
		{ "PING", "not an ADD" },
	};
	size_t			 i;

	m = "ADD web:0:1:out t 10485760 5 /var/log/my app/web-0-out.log";
	ASSERT_EQ_INT(logwriter_parse_add(m, strlen(m), &a, &cause), 0);
	ASSERT_NULL(cause);
	ASSERT_EQ_STR(a.id, "web:0:1:out");
	ASSERT_EQ_INT(a.flags, LOGWRITER_TIMESTAMP);
	ASSERT_EQ_INT(a.max_size, 10485760);
	ASSERT_EQ_INT(a.retain, 5);
	ASSERT_EQ_STR(a.path, "/var/log/my app/web-0-out.log");
	logwriter_add_clear(&a);

	m = "ADD x - 0 0 /a b \n";	/* one trailing newline is dropped */
	ASSERT_EQ_INT(logwriter_parse_add(m, strlen(m), &a, &cause), 0);
	ASSERT_EQ_INT(a.flags, 0);
	ASSERT_EQ_INT(a.max_size, 0);
	ASSERT_EQ_INT(a.retain, 0);
	ASSERT_EQ_STR(a.path, "/a b ");
	logwriter_add_clear(&a);

	/* Not NUL-terminated: only len bytes count. */
	m = "ADD x - 0 0 /ab/c.logGARBAGE";
	ASSERT_EQ_INT(logwriter_parse_add(m, strlen(m) - 7, &a, &cause), 0);
	ASSERT_EQ_STR(a.path, "/ab/c.log");
	logwriter_add_clear(&a);

	ASSERT_EQ_INT(logwriter_parse_add("ADD x - 0 0 /a\0b", 16, &a,
	    &cause), -1);
	ASSERT_CONTAINS(cause, "NUL");
	free(cause);
	cause = NULL;

	for (i = 0; i < CLM_ARRAY_SIZE(bad); i++) {
		if (logwriter_parse_add(bad[i].msg, strlen(bad[i].msg), &a,
		    &cause) != -1)
			unit_fail(__FILE__, __LINE__, "accepted '%s'",
			    bad[i].msg);
		ASSERT_CONTAINS(cause, bad[i].want);
		ASSERT_NULL(a.id);
		free(cause);
		cause = NULL;
	}
}

/* --- lines ------------------------------------------------------------ */

TEST(logwriter_splits_lines_across_reads)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;

	lwt_init(&t);
	s = lwt_add(&t, "a", 0, 0, 0, "a.log", -1);
	ASSERT_FILE(&t, "a.log", "");		/* created at ADD */

	ASSERT_EQ_INT(lwt_feed(&t, s, p, "hel"), 0);
	ASSERT_FILE(&t, "a.log", "");		/* no line yet */
	ASSERT_EQ_INT(p->len, 3);		/* still in the pipe */
	ASSERT_EQ_INT(lwt_feed(&t, s, p, "lo\nwor"), 6);
	ASSERT_FILE(&t, "a.log", "hello\n");
	ASSERT_EQ_INT(lwt_feed(&t, s, p, "ld\n\nthree\nfo"), 13);
	ASSERT_FILE(&t, "a.log", "hello\nworld\n\nthree\n");
	ASSERT_EQ_INT(p->len, 2);
	ASSERT_EQ_INT(lwt_feed(&t, s, p, "ur\n"), 5);
	ASSERT_FILE(&t, "a.log", "hello\nworld\n\nthree\nfour\n");
	ASSERT_EQ_INT(p->len, 0);

	/* Forced: the partial line moves into memory, all is consumed. */
	ASSERT_EQ_INT(lwt_feedn(&t, s, p, "five", 4, true), 4);
	ASSERT_EQ_INT(p->len, 0);
	ASSERT_FILE(&t, "a.log", "hello\nworld\n\nthree\nfour\n");
	/* Its start is out of the pipe: it must be finished. */
	ASSERT_EQ_INT(lwt_feed(&t, s, p, " and"), 4);
	ASSERT_EQ_INT(lwt_feed(&t, s, p, " six\nseven\nei"), 11);
	ASSERT_FILE(&t, "a.log",
	    "hello\nworld\n\nthree\nfour\nfive and six\nseven\n");
	ASSERT_EQ_INT(p->len, 2);
	ASSERT_EQ_INT(t.nwarn, 0);
	free(p);
	lwt_done(&t);
}

TEST(logwriter_timestamps_at_line_starts)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;

	lwt_init(&t);
	s = lwt_add(&t, "a", LOGWRITER_TIMESTAMP, 0, 0, "a.log", -1);
	lwt_feed(&t, s, p, "ab");
	lwt_wall = T0 + 1000;
	lwt_feed(&t, s, p, "c\nde");
	ASSERT_FILE(&t, "a.log", "2026-11-26T06:20:33.123Z abc\n");
	lwt_wall = T0 + 60007;
	lwt_feed(&t, s, p, "f\n\ng\n");
	ASSERT_FILE(&t, "a.log",
	    "2026-11-26T06:20:33.123Z abc\n"
	    "2026-11-26T06:21:32.130Z def\n"
	    "2026-11-26T06:21:32.130Z \n"
	    "2026-11-26T06:21:32.130Z g\n");
	free(p);
	lwt_done(&t);

	/* A partial line kept in memory carries the time of its start. */
	p = clm_calloc(1, sizeof *p);
	lwt_init(&t);
	s = lwt_add(&t, "a", LOGWRITER_TIMESTAMP, 0, 0, "a.log", -1);
	lwt_wall = T0 - 123;			/* a whole second */
	lwt_feedn(&t, s, p, "x", 1, true);
	lwt_wall = T0 + 5000;
	lwt_feedn(&t, s, p, "y", 1, true);
	lwt_feed(&t, s, p, "z\n");
	ASSERT_FILE(&t, "a.log", "2026-11-26T06:20:32.000Z xyz\n");
	logwriter_end(t.lw, s);		/* nothing pending: no line */
	ASSERT_FILE(&t, "a.log", "2026-11-26T06:20:32.000Z xyz\n");
	ASSERT_EQ_INT(logwriter_count(t.lw), 0);
	free(p);
	lwt_done(&t);
}

TEST(logwriter_flushed_partial_line_keeps_one_timestamp)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;

	lwt_init(&t);
	s = lwt_add(&t, "a", LOGWRITER_TIMESTAMP, 0, 0, "a.log", -1);
	lwt_wall = T0 - 123;
	lwt_feedn(&t, s, p, "step 1... ", 10, true);
	logwriter_flush(t.lw, s);	/* it waited: written, line open */
	ASSERT_FILE(&t, "a.log", "2026-11-26T06:20:32.000Z step 1... ");
	lwt_wall = T0 + 5000;
	lwt_feedn(&t, s, p, "step 2... ", 10, true);
	logwriter_flush(t.lw, s);
	logwriter_flush(t.lw, s);	/* nothing more: nothing written */
	lwt_feed(&t, s, p, "done\nnext\n");
	ASSERT_FILE(&t, "a.log",
	    "2026-11-26T06:20:32.000Z step 1... step 2... done\n"
	    "2026-11-26T06:20:37.123Z next\n");
	/* Flushed, then the stream ends: the line gets its newline. */
	lwt_feedn(&t, s, p, "last", 4, true);
	logwriter_flush(t.lw, s);
	logwriter_end(t.lw, s);
	ASSERT_FILE(&t, "a.log",
	    "2026-11-26T06:20:32.000Z step 1... step 2... done\n"
	    "2026-11-26T06:20:37.123Z next\n"
	    "2026-11-26T06:20:37.123Z last\n");
	free(p);
	lwt_done(&t);
}

TEST(logwriter_merged_streams_do_not_interleave)
{
	struct lwt		 t;
	struct lwt_pipe		*pa = clm_calloc(1, sizeof *pa);
	struct lwt_pipe		*pb = clm_calloc(1, sizeof *pb);
	struct lwt_pipe		*pc = clm_calloc(1, sizeof *pc);
	struct logwriter_stream	*a, *b, *c;

	lwt_init(&t);
	a = lwt_add(&t, "web:0:out", 0, 0, 0, "web.log", -1);
	b = lwt_add(&t, "web:1:out", LOGWRITER_TIMESTAMP, 0, 0, "web.log",
	    -1);
	c = lwt_add(&t, "web:0:err", 0, 0, 0, "err.log", -1);
	lwt_feed(&t, a, pa, "A1 st");
	lwt_feed(&t, b, pb, "B1 st");
	lwt_feedn(&t, a, pa, "art ", 4, true);	/* in memory now */
	lwt_feed(&t, b, pb, "art\nB2 ");
	lwt_feed(&t, c, pc, "E1\n");
	lwt_feed(&t, a, pa, "end\nA2");
	lwt_feed(&t, b, pb, "end\n");
	lwt_feed(&t, a, pa, "\n");
	ASSERT_FILE(&t, "web.log",
	    "2026-11-26T06:20:32.123Z B1 start\n"
	    "A1 start end\n"
	    "2026-11-26T06:20:32.123Z B2 end\n"
	    "A2\n");
	ASSERT_FILE(&t, "err.log", "E1\n");
	logwriter_end(t.lw, a);
	logwriter_end(t.lw, b);
	/* web.log has no stream left: it is closed and may be reopened. */
	a = lwt_add(&t, "web:0:out", 0, 0, 0, "web.log", -1);
	lwt_feed(&t, a, pa, "again\n");
	ASSERT_FILE(&t, "web.log",
	    "2026-11-26T06:20:32.123Z B1 start\n"
	    "A1 start end\n"
	    "2026-11-26T06:20:32.123Z B2 end\n"
	    "A2\nagain\n");
	free(pa);
	free(pb);
	free(pc);
	lwt_done(&t);
}

TEST(logwriter_partial_line_at_eof_gets_a_newline)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;

	lwt_init(&t);
	s = lwt_add(&t, "a", LOGWRITER_TIMESTAMP, 0, 0, "a.log", -1);
	lwt_feed(&t, s, p, "one\ntw");
	lwt_feedn(&t, s, p, "o", 1, true);	/* the end: all is final */
	ASSERT_EQ_INT(p->len, 0);
	ASSERT_EQ_INT(logwriter_count(t.lw), 1);
	logwriter_end(t.lw, s);
	ASSERT_EQ_INT(logwriter_count(t.lw), 0);
	ASSERT_NULL(logwriter_find(t.lw, "a"));
	ASSERT_FILE(&t, "a.log", "2026-11-26T06:20:32.123Z one\n"
	    "2026-11-26T06:20:32.123Z two\n");
	free(p);
	lwt_done(&t);
}

TEST(logwriter_long_line_is_written_as_it_is)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;
	char			*big, *want, *got;
	size_t			 n = 200 * 1024, i, k;

	lwt_init(&t);
	big = clm_malloc(n);
	for (i = 0; i < n; i++)
		big[i] = 'a' + i % 26;
	s = lwt_add(&t, "a", LOGWRITER_TIMESTAMP, 0, 0, "a.log", -1);

	/* Less than half a pipe of a partial line may wait in the pipe. */
	ASSERT_EQ_INT(lwt_feedn(&t, s, p, big, 1000, false), 0);
	/* A chunk of it, no newline: taken out of the pipe; the first
	 * LINE_MAX bytes (stamp included) are written as they are. */
	k = lwt_feedn(&t, s, p, big + 1000, LOGWRITER_CHUNK - 1000, false);
	ASSERT_EQ_INT(k, LOGWRITER_CHUNK);
	got = lwt_read(&t, "a.log");
	ASSERT_EQ_INT(strlen(got), LOGWRITER_LINE_MAX);
	ASSERT_EQ_INT(strncmp(got, "2026-11-26T06:20:32.123Z abcde", 30), 0);
	free(got);
	for (i = LOGWRITER_CHUNK; i < n; i += k) {
		k = n - i < 10000 ? n - i : 10000;
		lwt_feedn(&t, s, p, big + i, k, false);
	}
	lwt_feed(&t, s, p, "\nnext\n");
	want = clm_asprintf("2026-11-26T06:20:32.123Z %.*s\n"
	    "2026-11-26T06:20:32.123Z next\n", (int)n, big);
	ASSERT_FILE(&t, "a.log", want);	/* one stamp, no newline */
	free(want);

	/* Exactly LINE_MAX written, then the line's end: no stamp there. */
	s = lwt_add(&t, "b", LOGWRITER_TIMESTAMP, 0, 0, "b.log", -1);
	memset(big, 'z', LOGWRITER_LINE_MAX);
	lwt_feedn(&t, s, p, big, LOGWRITER_LINE_MAX - LOGWRITER_TS_LEN, true);
	ASSERT_EQ_INT(p->len, 0);
	lwt_feed(&t, s, p, "tail\nnext\n");
	want = clm_asprintf("2026-11-26T06:20:32.123Z %.*stail\n"
	    "2026-11-26T06:20:32.123Z next\n",
	    LOGWRITER_LINE_MAX - LOGWRITER_TS_LEN, big);
	ASSERT_FILE(&t, "b.log", want);
	free(want);
	free(big);
	free(p);
	lwt_done(&t);
}

/* --- rotation, reopen, errors ----------------------------------------- */

TEST(logwriter_rotation_names_and_retain)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;
	char			 line[32], long_line[152], *got;
	int			 i;

	lwt_init(&t);
	/* Lines of 10 bytes, max 100: ten lines per file. */
	s = lwt_add(&t, "a", 0, 100, 3, "r.log", -1);
	for (i = 0; i < 55; i++) {
		snprintf(line, sizeof line, "line %04d\n", i);
		lwt_feed(&t, s, p, line);
	}
	ASSERT_FILE(&t, "r.log", "line 0050\nline 0051\nline 0052\n"
	    "line 0053\nline 0054\n");
	ASSERT_FILE(&t, "r.log.1", "line 0040\nline 0041\nline 0042\n"
	    "line 0043\nline 0044\nline 0045\nline 0046\nline 0047\n"
	    "line 0048\nline 0049\n");
	ASSERT_FILE(&t, "r.log.2", "line 0030\nline 0031\nline 0032\n"
	    "line 0033\nline 0034\nline 0035\nline 0036\nline 0037\n"
	    "line 0038\nline 0039\n");
	ASSERT_FILE(&t, "r.log.3", "line 0020\nline 0021\nline 0022\n"
	    "line 0023\nline 0024\nline 0025\nline 0026\nline 0027\n"
	    "line 0028\nline 0029\n");
	ASSERT_FALSE(lwt_exists(&t, "r.log.4"));

	/* One big write is cut at line ends. */
	lwt_feed(&t, s, p, "0123456789\n0123456789\n0123456789\n"
	    "0123456789\n0123456789\n0123456789\n0123456789\n");
	ASSERT_FILE(&t, "r.log", "0123456789\n0123456789\n0123456789\n");
	ASSERT_FILE(&t, "r.log.1", "line 0050\nline 0051\nline 0052\n"
	    "line 0053\nline 0054\n0123456789\n0123456789\n0123456789\n"
	    "0123456789\n");
	/* A line longer than max_size gets a file of its own. */
	memset(long_line, 'y', 150);
	long_line[150] = '\n';
	long_line[151] = '\0';
	lwt_feed(&t, s, p, "x");
	lwt_feed(&t, s, p, long_line);
	lwt_feed(&t, s, p, "after\n");
	ASSERT_FILE(&t, "r.log", "after\n");
	got = lwt_read(&t, "r.log.1");
	ASSERT_EQ_INT(strlen(got), 152);
	ASSERT_EQ_INT(strspn(got, "xy"), 151);
	free(got);
	ASSERT_FILE(&t, "r.log.2", "0123456789\n0123456789\n0123456789\n");
	ASSERT_FALSE(lwt_exists(&t, "r.log.4"));
	free(p);
	lwt_done(&t);

	/* retain 0: nothing kept. */
	p = clm_calloc(1, sizeof *p);
	lwt_init(&t);
	s = lwt_add(&t, "a", 0, 20, 0, "z.log", -1);
	lwt_feed(&t, s, p, "line 0001\nline 0002\nline 0003\n");
	ASSERT_FILE(&t, "z.log", "line 0003\n");
	ASSERT_FALSE(lwt_exists(&t, "z.log.1"));
	ASSERT_EQ_INT(t.nwarn, 0);
	free(p);
	lwt_done(&t);
}

TEST(logwriter_rotation_sees_outside_truncation)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;

	lwt_init(&t);
	s = lwt_add(&t, "a", 0, 30, 2, "r.log", -1);
	lwt_feed(&t, s, p, "line 0001\nline 0002\n");
	ASSERT_EQ_INT(truncate(lwt_path(&t, "r.log"), 0), 0);	/* flush */
	lwt_feed(&t, s, p, "line 0003\nline 0004\n");
	ASSERT_FILE(&t, "r.log", "line 0003\nline 0004\n");
	ASSERT_FALSE(lwt_exists(&t, "r.log.1"));
	free(p);
	lwt_done(&t);
}

TEST(logwriter_reopen_after_move)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;
	char			 moved[256];

	lwt_init(&t);
	s = lwt_add(&t, "a", 0, 0, 0, "a.log", -1);
	lwt_feed(&t, s, p, "one\n");
	snprintf(moved, sizeof moved, "%s", lwt_path(&t, "a.log.old"));
	ASSERT_EQ_INT(rename(lwt_path(&t, "a.log"), moved), 0);
	lwt_feed(&t, s, p, "two\n");		/* still the moved file */
	ASSERT_FALSE(lwt_exists(&t, "a.log"));
	logwriter_reopen(t.lw);
	ASSERT_TRUE(lwt_exists(&t, "a.log"));
	lwt_feed(&t, s, p, "three\n");
	ASSERT_FILE(&t, "a.log.old", "one\ntwo\n");
	ASSERT_FILE(&t, "a.log", "three\n");
	free(p);
	lwt_done(&t);
}

TEST(logwriter_write_errors_reported_once_a_minute)
{
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s, *ok;
	struct logwriter_add	 a;
	char			*cause = NULL;
	int			 i;

	lwt_init(&t);
	a.id = clm_strdup("full");
	a.flags = 0;
	a.max_size = 0;
	a.retain = 0;
	a.path = clm_strdup("/dev/full");
	s = logwriter_add(t.lw, &a, -1, &cause);
	logwriter_add_clear(&a);
	ASSERT_NOT_NULL(s);
	ok = lwt_add(&t, "ok", 0, 0, 0, "ok.log", -1);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ_INT(lwt_feed(&t, s, p, "0123456789\n"), 11);
		lwt_mono += 100;
	}
	ASSERT_EQ_INT(t.nwarn, 1);
	ASSERT_CONTAINS(t.warnings, "/dev/full: cannot write: No space left "
	    "on device; 11 bytes of output dropped");
	lwt_mono += 60000;
	lwt_feed(&t, s, p, "again\n");
	ASSERT_EQ_INT(t.nwarn, 2);
	ASSERT_CONTAINS(t.warnings, "1095 bytes of output dropped");
	lwt_feed(&t, ok, p, "fine\n");		/* other files go on */
	ASSERT_FILE(&t, "ok.log", "fine\n");

	/* A folder that is not there yet: tried again at each write. */
	s = lwt_add(&t, "late", 0, 0, 0, "sub/late.log", -1);
	ASSERT_CONTAINS(t.warnings, "sub/late.log: cannot open");
	lwt_feed(&t, s, p, "lost\n");
	ASSERT_EQ_INT(mkdir(lwt_path(&t, "sub"), 0700), 0);
	lwt_feed(&t, s, p, "kept\n");
	ASSERT_FILE(&t, "sub/late.log", "kept\n");
	free(p);
	lwt_done(&t);
}

/* --- real pipes ------------------------------------------------------- */

static int
lwt_unread(int fd)
{
	int	n = -1;

	ASSERT_EQ_INT(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static void
lwt_write(int fd, const char *s)
{
	ASSERT_EQ_INT(write(fd, s, strlen(s)), (long long)strlen(s));
}

TEST(logwriter_pipe_leaves_partial_line_in_the_pipe)
{
	struct lwt		 t;
	struct logwriter_stream	*s;
	int			 p[2], keep, i;

	lwt_init(&t);
	ASSERT_EQ_INT(pipe(p), 0);
	keep = dup(p[0]);			/* clmd's copy */
	s = lwt_add(&t, "a", 0, 0, 0, "a.log", p[0]);
	ASSERT_EQ_INT(logwriter_service(t.lw, s), LOGWRITER_IDLE);

	lwt_write(p[1], "one\ntw");
	ASSERT_EQ_INT(logwriter_service(t.lw, s), LOGWRITER_IDLE);
	ASSERT_FILE(&t, "a.log", "one\n");
	ASSERT_EQ_INT(lwt_unread(keep), 2);	/* "tw" waits in the pipe */
	lwt_write(p[1], "o\nthr");
	ASSERT_EQ_INT(logwriter_service(t.lw, s), LOGWRITER_IDLE);
	ASSERT_FILE(&t, "a.log", "one\ntwo\n");
	ASSERT_EQ_INT(lwt_unread(keep), 3);

	/* The same pipe handed over again (clmd after a restart): the
	 * stream goes on. */
	s = lwt_add(&t, "a", 0, 0, 0, "a.log", dup(keep));
	ASSERT_EQ_INT(logwriter_count(t.lw), 1);
	lwt_write(p[1], "ee\n");
	ASSERT_EQ_INT(logwriter_service(t.lw, s), LOGWRITER_IDLE);
	ASSERT_FILE(&t, "a.log", "one\ntwo\nthree\n");

	/* The writer is gone: the partial line is written, then EOF. */
	lwt_write(p[1], "four");
	close(p[1]);
	for (i = 0; i < 5 && logwriter_count(t.lw) > 0; i++)
		logwriter_service(t.lw, s);
	ASSERT_EQ_INT(logwriter_count(t.lw), 0);
	ASSERT_FILE(&t, "a.log", "one\ntwo\nthree\nfour\n");
	ASSERT_EQ_INT(lwt_unread(keep), 0);
	close(keep);
	lwt_done(&t);
}

TEST(logwriter_pipe_eof_and_replacement)
{
	struct lwt		 t;
	struct logwriter_stream	*s, *s2;
	int			 p[2], q[2], r, i;

	lwt_init(&t);
	ASSERT_EQ_INT(pipe(p), 0);
	ASSERT_EQ_INT(pipe(q), 0);
	s = lwt_add(&t, "w:0:out", 0, 0, 0, "a.log", p[0]);
	lwt_write(p[1], "old run\nold partial");
	ASSERT_EQ_INT(logwriter_service(t.lw, s), LOGWRITER_IDLE);

	/* Another pipe under the same id: it takes the id, the old one is
	 * read to its end. */
	s2 = lwt_add(&t, "w:0:out", 0, 0, 0, "a.log", q[0]);
	ASSERT_TRUE(s2 != s);
	ASSERT_TRUE(logwriter_find(t.lw, "w:0:out") == s2);
	ASSERT_EQ_INT(logwriter_count(t.lw), 2);
	lwt_write(q[1], "new run\n");
	ASSERT_EQ_INT(logwriter_service(t.lw, s2), LOGWRITER_IDLE);
	close(p[1]);
	for (i = 0; i < 5; i++) {
		if ((r = logwriter_service(t.lw, s)) == LOGWRITER_EOF)
			break;
	}
	ASSERT_EQ_INT(r, LOGWRITER_EOF);
	ASSERT_EQ_INT(logwriter_count(t.lw), 1);
	ASSERT_FILE(&t, "a.log", "old run\nnew run\nold partial\n");
	close(q[1]);
	lwt_done(&t);
}

TEST(logwriter_pipe_big_output_in_order)
{
	struct lwt		 t;
	struct logwriter_stream	*s;
	char			 buf[4096], xs[64], *got;
	int			 p[2], i, r, len, n = 0, spins = 0;
	size_t			 want = 0, pos = 0;

	lwt_init(&t);
	memset(xs, 'x', sizeof xs);
	ASSERT_EQ_INT(pipe(p), 0);
	ASSERT_EQ_INT(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	s = lwt_add(&t, "a", 0, 0, 0, "a.log", p[0]);
	/* Lines of odd lengths, written in blocks that cut them. */
	for (i = 0; i < 20000;) {
		for (len = 0; i < 20000 && len < (int)sizeof buf - 64; i++)
			len += snprintf(buf + len, sizeof buf - len,
			    "%d %.*s\n", i, i % 50, xs);
		pos = 0;
		while (pos < (size_t)len) {
			r = (int)write(p[1], buf + pos, (size_t)len - pos);
			if (r > 0) {
				pos += (size_t)r;
				continue;
			}
			ASSERT_TRUE(++spins < 100000);
			logwriter_service(t.lw, s);
		}
		want += (size_t)len;
		if (i % 7 == 0)
			logwriter_service(t.lw, s);
	}
	close(p[1]);
	while (logwriter_count(t.lw) > 0)
		logwriter_service(t.lw, s);
	got = lwt_read(&t, "a.log");
	ASSERT_EQ_INT(strlen(got), want);
	{
		char	*line = got, *nl;

		for (n = 0; (nl = strchr(line, '\n')) != NULL; n++) {
			ASSERT_EQ_INT(atoi(line), n);
			ASSERT_EQ_INT(nl - strchr(line, ' ') - 1, n % 50);
			line = nl + 1;
		}
	}
	ASSERT_EQ_INT(n, 20000);
	free(got);
	lwt_done(&t);
}

TEST(logwriter_control_ping_add_reopen)
{
	struct lwt		 t;
	struct logwriter_stream	*s;
	char			 buf[16], *msg;
	int			 sv[2], p[2];

	lwt_init(&t);
	ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	logwriter_control(t.lw, "PING", 4, -1, sv[0]);
	ASSERT_EQ_INT(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 4);
	ASSERT_EQ_INT(memcmp(buf, "PONG", 4), 0);

	ASSERT_EQ_INT(pipe(p), 0);
	msg = clm_asprintf("ADD app:0:1:out t 0 0 %s", lwt_path(&t, "c.log"));
	logwriter_control(t.lw, msg, strlen(msg), p[0], sv[0]);
	free(msg);
	ASSERT_NOT_NULL(s = logwriter_find(t.lw, "app:0:1:out"));
	lwt_write(p[1], "hi\n");
	logwriter_service(t.lw, s);
	ASSERT_FILE(&t, "c.log", "2026-11-26T06:20:32.123Z hi\n");

	ASSERT_EQ_INT(rename(lwt_path(&t, "c.log"), lwt_path(&t, "c.old")),
	    0);
	logwriter_control(t.lw, "REOPEN\n", 7, -1, sv[0]);
	ASSERT_TRUE(lwt_exists(&t, "c.log"));

	ASSERT_EQ_INT(t.nwarn, 0);
	logwriter_control(t.lw, "ADD x - 0 0 /tmp/x.log", 22, -1, sv[0]);
	ASSERT_CONTAINS(t.warnings, "ADD x: no fd came with it");
	logwriter_control(t.lw, "BOGUS\001", 6, dup(p[1]), sv[0]);
	ASSERT_CONTAINS(t.warnings, "unknown message 'BOGUS?'");
	ASSERT_EQ_INT(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), -1);

	/* SIGTERM: the partial line is written, with a newline. */
	lwt_write(p[1], "bye");
	logwriter_shutdown(t.lw);
	ASSERT_EQ_INT(logwriter_count(t.lw), 0);
	ASSERT_FILE(&t, "c.log", "2026-11-26T06:20:32.123Z bye\n");
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	lwt_done(&t);
}

/* log_date_format: ADD's d flag carries a strftime format (in hex); its
 * lines get the local time in it. */
TEST(logwriter_date_format)
{
	struct logwriter_add	 a;
	struct lwt		 t;
	struct lwt_pipe		*p = clm_calloc(1, sizeof *p);
	struct logwriter_stream	*s;
	char			*cause = NULL, want[64];
	const char		*m;
	time_t			 sec;
	struct tm		 tm;

	/* "%H:%M [%Y]" */
	m = "ADD x td 0 0 25483a254d205b25595d /a b.log";
	ASSERT_EQ_INT(logwriter_parse_add(m, strlen(m), &a, &cause), 0);
	ASSERT_EQ_INT(a.flags, LOGWRITER_TIMESTAMP | LOGWRITER_DATEFMT);
	ASSERT_EQ_STR(a.datefmt, "%H:%M [%Y]");
	ASSERT_EQ_STR(a.path, "/a b.log");
	logwriter_add_clear(&a);
	m = "ADD x td 0 0 0a41 /a.log";		/* a control byte */
	ASSERT_EQ_INT(logwriter_parse_add(m, strlen(m), &a, &cause), -1);
	ASSERT_NOT_NULL(strstr(cause, "flag d needs a date format"));
	free(cause);
	cause = NULL;

	lwt_init(&t);
	memset(&a, 0, sizeof a);
	a.id = clm_strdup("a");
	a.flags = LOGWRITER_TIMESTAMP | LOGWRITER_DATEFMT;
	a.datefmt = clm_strdup("%Y-%m-%d %H:%M:%S");
	a.path = clm_strdup(lwt_path(&t, "a.log"));
	s = logwriter_add(t.lw, &a, -1, &cause);
	ASSERT_NULL(cause);
	logwriter_add_clear(&a);
	lwt_feed(&t, s, p, "one\ntw");
	lwt_feed(&t, s, p, "o\n");
	sec = (time_t)(lwt_wall / 1000);
	localtime_r(&sec, &tm);
	strftime(want, sizeof want, "%Y-%m-%d %H:%M:%S", &tm);
	{
		char	*both = clm_asprintf("%s one\n%s two\n", want, want);

		ASSERT_FILE(&t, "a.log", both);
		free(both);
	}
	free(p);
	lwt_done(&t);
}

/* --- open files: made at the first line, at most open_max open -------- */

TEST(logwriter_files_made_at_first_line_lru_bounded)
{
	struct lwt		 t;
	struct lwt_pipe		*p[6];
	struct logwriter_stream	*s[6];
	char			 id[8], name[16], moved[256];
	int			 i;

	lwt_init(&t);
	logwriter_set_open_max(t.lw, 3);
	for (i = 0; i < 6; i++) {
		p[i] = clm_calloc(1, sizeof *p[i]);
		snprintf(id, sizeof id, "s%d", i);
		snprintf(name, sizeof name, "f%d.log", i);
		s[i] = lwt_add(&t, id, 0, 0, 0, name, -1);
	}
	/* No line yet: no file, nothing open. */
	ASSERT_EQ_INT(logwriter_open_files(t.lw), 0);
	ASSERT_FALSE(lwt_exists(&t, "f0.log"));
	for (i = 0; i < 6; i++) {
		lwt_feed(&t, s[i], p[i], "one\n");
		ASSERT_TRUE(logwriter_open_files(t.lw) <= 3);
	}
	ASSERT_EQ_INT(logwriter_open_files(t.lw), 3);
	/* f0 was closed for room: opened again, appended to. */
	lwt_feed(&t, s[0], p[0], "two\n");
	ASSERT_FILE(&t, "f0.log", "one\ntwo\n");
	ASSERT_FILE(&t, "f5.log", "one\n");

	/* Open now, least recently written first: f4 f5 f0. Write f4: f5 f0
	 * f4. Move f5 and f0 away: f5, the least recent, is the one closed
	 * for f1; f0 stays open. A file still open writes into the moved
	 * one, a file closed is made again by its path. */
	lwt_feed(&t, s[4], p[4], "two\n");
	snprintf(moved, sizeof moved, "%s", lwt_path(&t, "f5.moved"));
	ASSERT_EQ_INT(rename(lwt_path(&t, "f5.log"), moved), 0);
	snprintf(moved, sizeof moved, "%s", lwt_path(&t, "f0.moved"));
	ASSERT_EQ_INT(rename(lwt_path(&t, "f0.log"), moved), 0);
	lwt_feed(&t, s[1], p[1], "two\n");	/* closes f5 */
	lwt_feed(&t, s[0], p[0], "three\n");	/* f0 still open */
	lwt_feed(&t, s[5], p[5], "two\n");	/* f5 made again; closes f4 */
	ASSERT_FILE(&t, "f0.moved", "one\ntwo\nthree\n");
	ASSERT_FALSE(lwt_exists(&t, "f0.log"));
	ASSERT_FILE(&t, "f5.moved", "one\n");
	ASSERT_FILE(&t, "f5.log", "two\n");
	ASSERT_EQ_INT(logwriter_open_files(t.lw), 3);

	/* Reopen: the open files (f1 f0 f5) made again, the others not. */
	ASSERT_EQ_INT(unlink(lwt_path(&t, "f1.log")), 0);
	ASSERT_EQ_INT(unlink(lwt_path(&t, "f4.log")), 0);
	logwriter_reopen(t.lw);
	ASSERT_TRUE(lwt_exists(&t, "f1.log"));
	ASSERT_TRUE(lwt_exists(&t, "f0.log"));
	ASSERT_FALSE(lwt_exists(&t, "f4.log"));
	ASSERT_EQ_INT(logwriter_open_files(t.lw), 3);
	ASSERT_EQ_INT(t.nwarn, 0);
	for (i = 0; i < 6; i++) {
		logwriter_end(t.lw, s[i]);
		free(p[i]);
	}
	ASSERT_EQ_INT(logwriter_open_files(t.lw), 0);
	lwt_done(&t);
}

TEST(logwriter_find_by_id_after_replacement)
{
	struct lwt		 t;
	struct logwriter_stream	*s1, *s2;

	lwt_init(&t);
	s1 = lwt_add(&t, "a", 0, 0, 0, "a.log", -1);
	ASSERT_TRUE(logwriter_find(t.lw, "a") == s1);
	/* Another pipe takes the id; the old stream is read to its end. */
	s2 = lwt_add(&t, "a", 0, 0, 0, "a.log", -1);
	ASSERT_TRUE(s2 != s1);
	ASSERT_TRUE(logwriter_find(t.lw, "a") == s2);
	logwriter_end(t.lw, s1);
	ASSERT_TRUE(logwriter_find(t.lw, "a") == s2);
	ASSERT_EQ_INT(logwriter_count(t.lw), 1);
	logwriter_end(t.lw, s2);
	ASSERT_NULL(logwriter_find(t.lw, "a"));
	ASSERT_EQ_INT(logwriter_count(t.lw), 0);
	lwt_done(&t);
}
