/*
 * clm-logd's log writer: streams (pipes) in, log files out. See
 * include/clm/logwriter.h for the guarantees and the protocol.
 *
 * Reading a pipe: tee(2) copies what it holds into a scratch pipe without
 * consuming it, we read the copy, write the complete lines, and only then
 * consume them (splice to /dev/null). A partial line stays in the pipe.
 * Pipes are watched edge-triggered (a partial line left there would
 * otherwise wake us forever): every write to a pipe wakes an epoll
 * reader on Linux >= 5.10, and a sweep every second looks again at the
 * streams that left a partial line, in case a kernel does not.
 */
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clm/logconsole.h"
#include "clm/logwriter.h"
#include "clm/nametab.h"

#define LW_OUT_CAP	(2 * LOGWRITER_LINE_MAX + 4 * LOGWRITER_TS_LEN)
#define LW_SCRATCH_SIZE	(1024 * 1024)	/* the slots of a 1 MiB pipe */
#define LW_PIPE_DEFAULT	(64 * 1024)
#define LW_REPORT_MS	60000		/* per file, at most */
#define LW_SWEEP_MS	LOGWRITER_PARTIAL_MS
#define LW_SHUTDOWN_READS 64		/* chunks per stream at SIGTERM */
#define LW_ID_MAX	255
#define LW_STAMP_CAP	(LOGWRITER_DATEFMT_MAX * 4 + 2)
/* Open log files, at most: what the open-file limit leaves once every
 * stream has its pipe and LW_FDS_SPARE are kept for the rest, within
 * [LW_OPEN_MIN, LOGWRITER_OPEN_MAX]. */
#define LW_FDS_SPARE	64
#define LW_OPEN_MIN	4
#define LW_TRIM_STREAMS	512	/* malloc_trim past this many, halved */

struct lw_file {
	char			*path;
	const char		*base;		/* its last component */
	int			 fd;		/* -1: not open */
	unsigned		 refs;
	uint64_t		 max_size;	/* 0: never rotate */
	unsigned		 retain;
	uint64_t		 size;		/* as far as we know */
	uint64_t		 reported_ms;	/* last report */
	bool			 reported;
	uint64_t		 dropped;	/* bytes, since last report */
	uint64_t		 norotate_until; /* after a failed rotation */
	TAILQ_HEAD(, logwriter_stream) streams;	/* that write here */
	TAILQ_ENTRY(lw_file)	 lru;		/* while open */
};

struct logwriter_stream {
	char			*id;		/* NULL once replaced */
	int			 fd;		/* -1: fed by hand */
	int			 flags;
	char			*datefmt;	/* log_date_format, or NULL */
	char			*stamp;		/* LW_STAMP_CAP, once used */
	size_t			 stamplen;
	int64_t			 stamp_sec;	/* of stamp; -1: none */
	bool			 is_pipe;	/* peeked with tee(2) */
	bool			 exact;		/* short peek: saw it all */
	size_t			 keep_max;	/* longest tail left there */
	dev_t			 dev;
	ino_t			 ino;
	struct lw_file		*file;
	struct logconsole_src	 console;	/* fd -1: files only */

	char			*part;		/* partial line, taken */
	size_t			 partlen;
	size_t			 partcap;
	bool			 midline;	/* line start written */

	bool			 hup;		/* no writer left */
	bool			 pending;	/* partial line unwritten */
	uint64_t		 pending_ms;	/* since when (mono) */
	bool			 flush;		/* write the partial line */
	bool			 queued;
	bool			 dead;
	TAILQ_ENTRY(logwriter_stream) entry;
	TAILQ_ENTRY(logwriter_stream) ready;
	TAILQ_ENTRY(logwriter_stream) pend;	/* while pending */
	TAILQ_ENTRY(logwriter_stream) fentry;	/* in its file's list */
};

TAILQ_HEAD(lw_streams, logwriter_stream);

struct logwriter {
	struct lw_streams	 streams;
	struct lw_streams	 readyq;
	struct lw_streams	 dead;
	struct lw_streams	 pendq;		/* streams pending */
	size_t			 nstreams;
	size_t			 peak;		/* most streams since a trim */
	size_t			 npending;
	struct nametab		*ids;		/* id -> live stream */
	struct nametab		*paths;		/* path -> file */
	TAILQ_HEAD(, lw_file)	 lru;		/* open files, least recently
						   written first */
	size_t			 nopen;
	size_t			 open_max;	/* 0: from the limit */
	uint64_t		 nofile;	/* RLIMIT_NOFILE, soft */

	int			 scratch[2];	/* -1 if no tee */
	int			 devnull;
	char			*chunk;		/* LOGWRITER_CHUNK */
	char			*out;		/* LW_OUT_CAP */
	size_t			 outlen;
	struct lw_file		*outfile;
	struct logwriter_stream	*outs;		/* whose lines: console */

	uint64_t		(*wall_ms)(void);
	uint64_t		(*mono_ms)(void);
	void			(*warn_fn)(void *, const char *);
	void			*warn_arg;

	char			 stamp[LOGWRITER_TS_LEN + 8];
	bool			 stamp_ok;	/* for this take */
	int64_t			 stamp_sec;

	int			 epfd;		/* -1: not running */
	int			 ctl;
	int			 sigfd;
	int			 ctl_tag;	/* epoll cookies */
	int			 sig_tag;
};

static void	lw_warn(struct logwriter *, const char *, ...)
		    CLM_PRINTF(2, 3);
static void	stream_drop(struct logwriter *, struct logwriter_stream *);

/* --- warnings --------------------------------------------------------- */

static void
lw_warn_stderr(void *arg, const char *msg)
{
	char		 stamp[40], line[2048];
	struct timespec	 ts;
	struct tm	 tm;
	int		 n;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "%s.%03ldZ clm-logd[%ld]: warning: "
	    "%s\n", stamp, ts.tv_nsec / 1000000, (long)getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line;
		line[n - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, n) == -1)
		(void)0;	/* nowhere else to say it */
}

static void
lw_warn(struct logwriter *lw, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = clm_vasprintf(fmt, ap);
	va_end(ap);
	lw->warn_fn(lw->warn_arg, msg);
	free(msg);
}

/*
 * A file's trouble: reported at most once a minute, with what was dropped
 * since the last report.
 */
static void
file_trouble(struct logwriter *lw, struct lw_file *f, const char *what,
    int errnum, size_t dropped)
{
	uint64_t	now = lw->mono_ms();

	f->dropped += dropped;
	if (f->reported && now - f->reported_ms < LW_REPORT_MS)
		return;
	lw_warn(lw, "%s: %s: %s; %llu bytes of output dropped (%s; "
	    "reported at most once a minute)", f->path, what,
	    errnum == EPERM ? "the folder is not safe for root" :
	    errnum == ELOOP ? "it is a symbolic link" : strerror(errnum),
	    (unsigned long long)f->dropped,
	    errnum == ENOSPC || errnum == EDQUOT ? "free some disk space" :
	    errnum == EPERM ? "clm-logd runs as root and writes only into a "
	    "folder that root owns and no one else can write: chown root "
	    "and chmod go-w the folder, or set another log_dir" :
	    errnum == ELOOP ? "clm-logd never writes through a link: "
	    "remove it" : "check the file and its folder");
	f->reported = true;
	f->reported_ms = now;
	f->dropped = 0;
}

/* --- parsing ---------------------------------------------------------- */

void
logwriter_add_clear(struct logwriter_add *a)
{
	free(a->id);
	free(a->datefmt);
	free(a->path);
	memset(a, 0, sizeof *a);
}

/* The next space-separated word of *s, NUL-terminated in place. */
static char *
next_word(char **s)
{
	char	*w = *s, *sp;

	if (w == NULL || *w == '\0' || *w == ' ')
		return NULL;	/* no word, or an empty one */
	if ((sp = strchr(w, ' ')) != NULL) {
		*sp = '\0';
		*s = sp + 1;
	} else
		*s = w + strlen(w);
	return w;
}

static int
lw_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A hex word as text: NULL if malformed, too long, or with a control
 * byte. */
static char *
lw_unhex(const char *w)
{
	char	*out;
	size_t	 n, i;
	int	 hi, lo;

	if (w == NULL || (n = strlen(w)) == 0 || n % 2 != 0 ||
	    n / 2 > LOGWRITER_DATEFMT_MAX)
		return NULL;
	out = clm_malloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		hi = lw_hexval(w[2 * i]);
		lo = lw_hexval(w[2 * i + 1]);
		if (hi < 0 || lo < 0 || hi * 16 + lo < 0x20 ||
		    hi * 16 + lo == 0x7f) {
			free(out);
			return NULL;
		}
		out[i] = (char)(hi * 16 + lo);
	}
	out[n / 2] = '\0';
	return out;
}

int
logwriter_parse_add(const char *msg, size_t len, struct logwriter_add *a,
    char **cause)
{
	char		*copy, *p, *id, *flags, *max, *retain, *f;
	long long	 v;
	size_t		 i;

	memset(a, 0, sizeof *a);
	if (len > 0 && msg[len - 1] == '\n')
		len--;
	if (memchr(msg, '\0', len) != NULL) {
		*cause = clm_strdup("ADD: the message contains a NUL byte");
		return -1;
	}
	copy = clm_strndup(msg, len);
	p = copy;
	if (strncmp(p, "ADD", 3) != 0 || (p[3] != ' ' && p[3] != '\0')) {
		*cause = clm_strdup("not an ADD message");
		goto fail;
	}
	p += p[3] == ' ' ? 4 : 3;
	id = next_word(&p);
	flags = next_word(&p);
	max = next_word(&p);
	retain = next_word(&p);
	if (id == NULL || flags == NULL || max == NULL || retain == NULL ||
	    *p == '\0') {
		*cause = clm_strdup("ADD: expected 'ADD id flags max_size "
		    "retain path'");
		goto fail;
	}
	if (strlen(id) > LW_ID_MAX) {
		*cause = clm_asprintf("ADD: id longer than %d bytes",
		    LW_ID_MAX);
		goto fail;
	}
	for (i = 0; id[i] != '\0'; i++) {
		if ((unsigned char)id[i] <= ' ' || id[i] == 0x7f) {
			*cause = clm_strdup("ADD: the id contains a control "
			    "character");
			goto fail;
		}
	}
	if (strcmp(flags, "-") != 0) {
		for (f = flags; *f != '\0'; f++) {
			if (strchr("tdoj", *f) == NULL) {
				*cause = clm_asprintf("ADD %s: unknown flag "
				    "'%c' (known: t, d, o, j, or - for none)",
				    id, *f);
				goto fail;
			}
			a->flags |= *f == 't' ? LOGWRITER_TIMESTAMP :
			    *f == 'd' ? LOGWRITER_DATEFMT : *f == 'o' ?
			    LOGWRITER_CONSOLE : LOGWRITER_JSON;
		}
	}
	if ((a->flags & LOGWRITER_DATEFMT) &&
	    (a->datefmt = lw_unhex(next_word(&p))) == NULL) {
		*cause = clm_asprintf("ADD %s: flag d needs a date format "
		    "(hex, at most %d bytes, no control byte) before the "
		    "path", id, LOGWRITER_DATEFMT_MAX);
		goto fail;
	}
	if (clm_parse_int(max, 0, INT64_MAX, &v) != 0) {
		*cause = clm_asprintf("ADD %s: bad max_size '%s' (bytes, 0 "
		    "for no rotation)", id, max);
		goto fail;
	}
	a->max_size = (uint64_t)v;
	if (clm_parse_int(retain, 0, LOGWRITER_RETAIN_MAX, &v) != 0) {
		*cause = clm_asprintf("ADD %s: bad retain '%s' (0 to %d)", id,
		    retain, LOGWRITER_RETAIN_MAX);
		goto fail;
	}
	a->retain = (unsigned)v;
	if (*p != '/') {
		*cause = clm_asprintf("ADD %s: the path '%s' is not absolute",
		    id, p);
		goto fail;
	}
	a->id = clm_strdup(id);
	a->path = clm_strdup(p);
	free(copy);
	return 0;

fail:
	free(copy);
	logwriter_add_clear(a);
	return -1;
}

/* --- setup ------------------------------------------------------------ */

static uint64_t
lw_wall_default(void)
{
	return clm_wall_ms();
}

static uint64_t
lw_mono_default(void)
{
	return clm_now_ms();
}

struct logwriter *
logwriter_new(void)
{
	struct logwriter	*lw = clm_calloc(1, sizeof *lw);
	struct rlimit		 rl;

	TAILQ_INIT(&lw->streams);
	TAILQ_INIT(&lw->readyq);
	TAILQ_INIT(&lw->dead);
	TAILQ_INIT(&lw->pendq);
	TAILQ_INIT(&lw->lru);
	lw->ids = nametab_new();
	lw->paths = nametab_new();
	lw->nofile = getrlimit(RLIMIT_NOFILE, &rl) == -1 ? 1024 :
	    rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
	lw->chunk = clm_malloc(LOGWRITER_CHUNK);
	lw->out = clm_malloc(LW_OUT_CAP);
	lw->wall_ms = lw_wall_default;
	lw->mono_ms = lw_mono_default;
	lw->warn_fn = lw_warn_stderr;
	lw->stamp_sec = -1;
	lw->epfd = lw->ctl = lw->sigfd = -1;

	/* Without a scratch pipe, pipes are read (not peeked). */
	if (pipe2(lw->scratch, O_CLOEXEC | O_NONBLOCK) == -1)
		lw->scratch[0] = lw->scratch[1] = -1;
	else
		(void)fcntl(lw->scratch[1], F_SETPIPE_SZ, LW_SCRATCH_SIZE);
	lw->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return lw;
}

void
logwriter_set_clocks(struct logwriter *lw, uint64_t (*wall_ms)(void),
    uint64_t (*mono_ms)(void))
{
	lw->wall_ms = wall_ms != NULL ? wall_ms : lw_wall_default;
	lw->mono_ms = mono_ms != NULL ? mono_ms : lw_mono_default;
	lw->stamp_sec = -1;
}

void
logwriter_set_warn(struct logwriter *lw, void (*fn)(void *, const char *),
    void *arg)
{
	lw->warn_fn = fn != NULL ? fn : lw_warn_stderr;
	lw->warn_arg = arg;
}

void
logwriter_set_open_max(struct logwriter *lw, size_t max)
{
	lw->open_max = max;
}

size_t
logwriter_open_files(struct logwriter *lw)
{
	return lw->nopen;
}

static void
stream_free(struct logwriter_stream *s)
{
	free((char *)s->console.app);
	free(s->id);
	free(s->datefmt);
	free(s->stamp);
	free(s->part);
	free(s);
}

static void
lw_reap(struct logwriter *lw)
{
	struct logwriter_stream	*s;

	while ((s = TAILQ_FIRST(&lw->dead)) != NULL) {
		TAILQ_REMOVE(&lw->dead, s, entry);
		stream_free(s);
	}
	/* Thousands of workers gone (clm delete all): give the memory of
	 * their streams back, as the count halves. */
	if (lw->peak >= LW_TRIM_STREAMS && lw->nstreams <= lw->peak / 2) {
		malloc_trim(0);
		lw->peak = lw->nstreams;
	}
}

void
logwriter_free(struct logwriter *lw)
{
	struct logwriter_stream	*s;

	if (lw == NULL)
		return;
	while ((s = TAILQ_FIRST(&lw->streams)) != NULL)
		stream_drop(lw, s);
	lw_reap(lw);
	if (lw->scratch[0] != -1) {
		close(lw->scratch[0]);
		close(lw->scratch[1]);
	}
	if (lw->devnull != -1)
		close(lw->devnull);
	nametab_free(lw->ids);
	nametab_free(lw->paths);
	free(lw->chunk);
	free(lw->out);
	free(lw);
}

/* --- files ------------------------------------------------------------ */

/*
 * The file's folder, opened: files are opened and renamed from it, never
 * through a symbolic link. As root, only a folder that root owns and that
 * no one else can write: anyone who can write it could aim root's writes
 * at any file. -1 with errno (EPERM: such a folder).
 */
static int
file_dir(const struct lw_file *f)
{
	struct stat	 st;
	char		*dir;
	int		 fd, err;

	dir = clm_strndup(f->path, (size_t)(f->base - f->path));
	fd = open(dir[0] != '\0' ? dir : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	free(dir);
	if (fd == -1)
		return -1;
	if (geteuid() == 0 && (fstat(fd, &st) == -1 || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)) {
		err = EPERM;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * How many log files may be open at once: the pipes come first (one fd a
 * stream), the files share what the limit leaves. A file closed to make
 * room is opened again at its next line.
 */
static size_t
lw_open_max(const struct logwriter *lw)
{
	uint64_t	used = (uint64_t)lw->nstreams + LW_FDS_SPARE, room;

	if (lw->open_max > 0)
		return lw->open_max;
	room = lw->nofile > used ? lw->nofile - used : 0;
	if (room < LW_OPEN_MIN)
		room = LW_OPEN_MIN;
	return room < LOGWRITER_OPEN_MAX ? (size_t)room : LOGWRITER_OPEN_MAX;
}

static void
file_close(struct logwriter *lw, struct lw_file *f)
{
	if (f->fd == -1)
		return;
	close(f->fd);
	f->fd = -1;
	TAILQ_REMOVE(&lw->lru, f, lru);
	lw->nopen--;
}

/* Close the least recently written files until at most max are open. */
static void
lw_trim(struct logwriter *lw, size_t max)
{
	while (lw->nopen > max)
		file_close(lw, TAILQ_FIRST(&lw->lru));
}

/* Open (create) the file from its folder, O_NOFOLLOW. -1 with errno. */
static int
file_openat(const struct lw_file *f)
{
	int	dfd, fd, err;

	if ((dfd = file_dir(f)) == -1)
		return -1;
	fd = openat(dfd, f->base, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0640);
	err = errno;
	close(dfd);
	errno = err;
	return fd;
}

/* Open the file, closing the least recently written ones for room. */
static void
file_open(struct logwriter *lw, struct lw_file *f)
{
	struct stat	st;

	lw_trim(lw, lw_open_max(lw) - 1);
	while ((f->fd = file_openat(f)) == -1 && (errno == EMFILE ||
	    errno == ENFILE) && lw->nopen > 0)
		file_close(lw, TAILQ_FIRST(&lw->lru));
	if (f->fd == -1) {
		file_trouble(lw, f, "cannot open", errno, 0);
		return;
	}
	TAILQ_INSERT_TAIL(&lw->lru, f, lru);
	lw->nopen++;
	f->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Written to now: the last to be closed for room. */
static void
file_touch(struct logwriter *lw, struct lw_file *f)
{
	if (f->fd != -1 && TAILQ_NEXT(f, lru) != NULL) {
		TAILQ_REMOVE(&lw->lru, f, lru);
		TAILQ_INSERT_TAIL(&lw->lru, f, lru);
	}
}

/*
 * A new file is opened (created) at its first line, not before: a worker
 * that never writes has no file and holds no fd. What would stop the
 * open is said now all the same (no folder, a folder unsafe for root, a
 * symbolic link in the file's place).
 */
static void
file_probe(struct logwriter *lw, struct lw_file *f)
{
	struct stat	st;
	int		dfd;

	if ((dfd = file_dir(f)) == -1) {
		file_trouble(lw, f, "cannot open", errno, 0);
		return;
	}
	if (fstatat(dfd, f->base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		file_trouble(lw, f, "cannot open", ELOOP, 0);
	close(dfd);
}

static struct lw_file *
file_get(struct logwriter *lw, const struct logwriter_add *a)
{
	struct lw_file	*f;

	if ((f = nametab_get(lw->paths, a->path)) == NULL) {
		f = clm_calloc(1, sizeof *f);
		f->path = clm_strdup(a->path);
		f->base = strrchr(f->path, '/') + 1;
		f->fd = -1;
		TAILQ_INIT(&f->streams);
		nametab_put(lw->paths, f->path, f);
		file_probe(lw, f);
	}
	/* Streams sharing a file: the last ADD sets its rotation. */
	f->max_size = a->max_size;
	f->retain = a->retain;
	f->refs++;
	return f;
}

static void
file_put(struct logwriter *lw, struct lw_file *f)
{
	if (--f->refs > 0)
		return;
	if (lw->outfile == f)
		lw->outfile = NULL;
	file_close(lw, f);
	nametab_del(lw->paths, f->path);
	free(f->path);
	free(f);
}

/* The stream writes into add's file from now on. */
static void
stream_set_file(struct logwriter *lw, struct logwriter_stream *s,
    const struct logwriter_add *a)
{
	struct lw_file	*f = file_get(lw, a);

	if (s->file != NULL) {
		TAILQ_REMOVE(&s->file->streams, s, fentry);
		file_put(lw, s->file);
	}
	s->file = f;
	TAILQ_INSERT_TAIL(&f->streams, s, fentry);
}

/*
 * path -> path.1 -> ... -> path.retain (the oldest is overwritten), then a
 * new path. retain 0 keeps nothing.
 */
static void
file_rotate(struct logwriter *lw, struct lw_file *f)
{
	char		*from, *to;
	unsigned	 i;
	int		 r, dfd;

	file_close(lw, f);
	if ((dfd = file_dir(f)) == -1) {
		file_trouble(lw, f, "cannot rotate", errno, 0);
		f->norotate_until = lw->mono_ms() + LW_REPORT_MS;
		file_open(lw, f);
		return;
	}
	for (i = f->retain; i > 1; i--) {
		from = clm_asprintf("%s.%u", f->base, i - 1);
		to = clm_asprintf("%s.%u", f->base, i);
		if (renameat(dfd, from, dfd, to) == -1 && errno != ENOENT)
			file_trouble(lw, f, "cannot rotate", errno, 0);
		free(from);
		free(to);
	}
	if (f->retain > 0) {
		to = clm_asprintf("%s.1", f->base);
		r = renameat(dfd, f->base, dfd, to);
		free(to);
	} else
		r = unlinkat(dfd, f->base, 0);
	close(dfd);
	if (r == -1 && errno != ENOENT) {
		/* Keep writing to it; try again in a minute. */
		file_trouble(lw, f, "cannot rotate", errno, 0);
		f->norotate_until = lw->mono_ms() + LW_REPORT_MS;
	}
	file_open(lw, f);
	f->size = 0;
}

/* One write(2) of the whole buffer, or the rest is dropped. */
static void
file_write_raw(struct logwriter *lw, struct lw_file *f, const char *buf,
    size_t n)
{
	ssize_t	w;

	if (f->fd == -1)
		file_open(lw, f);
	if (f->fd == -1) {
		f->dropped += n;
		return;
	}
	while (n > 0) {
		w = write(f->fd, buf, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			file_trouble(lw, f, "cannot write", w == 0 ? EIO :
			    errno, n);
			return;
		}
		buf += w;
		n -= (size_t)w;
		f->size += (uint64_t)w;
	}
	file_touch(lw, f);
	if (f->dropped > 0 && (!f->reported ||
	    lw->mono_ms() - f->reported_ms >= LW_REPORT_MS)) {
		lw_warn(lw, "%s: writing again; %llu bytes of output were "
		    "dropped", f->path, (unsigned long long)f->dropped);
		f->reported = true;
		f->reported_ms = lw->mono_ms();
		f->dropped = 0;
	}
}

/*
 * Write whole lines; with max_size, rotate before a write would make the
 * file larger than max_size, cutting the buffer at a line end. A file
 * grows past max_size only by a single line longer than max_size.
 */
static void
file_write(struct logwriter *lw, struct lw_file *f, const char *buf,
    size_t n)
{
	struct stat	 st;
	const char	*cut;
	size_t		 len, room;
	bool		 fresh = false;

	if (f->fd == -1 && n > 0) {
		/* Its first line, or its first since it was closed. */
		file_open(lw, f);
		if (f->fd == -1) {
			f->dropped += n;
			return;
		}
	}
	while (n > 0) {
		len = n;
		if (f->max_size > 0 && f->size + n > f->max_size &&
		    f->fd != -1 && lw->mono_ms() >= f->norotate_until) {
			if (!fresh) {
				/* Someone may have truncated it. */
				fresh = true;
				if (fstat(f->fd, &st) == 0)
					f->size = (uint64_t)st.st_size;
				continue;
			}
			room = f->size < f->max_size ? f->max_size - f->size :
			    0;
			cut = room > 0 ? memrchr(buf, '\n', room < n ? room :
			    n) : NULL;
			if (cut != NULL)
				len = (size_t)(cut - buf) + 1;
			else if (f->size > 0) {
				file_rotate(lw, f);
				continue;
			} else {
				/* One line longer than max_size. */
				cut = memchr(buf, '\n', n);
				len = cut != NULL ? (size_t)(cut - buf) + 1 : n;
			}
		}
		file_write_raw(lw, f, buf, len);
		buf += len;
		n -= len;
	}
}

/*
 * The open files, closed and opened again (created, if they were moved
 * away), in the same order; a file closed for room is opened again (by
 * its path) at its next line anyway.
 */
void
logwriter_reopen(struct logwriter *lw)
{
	struct lw_file	*f;
	size_t		 n = lw->nopen;

	while (n-- > 0 && (f = TAILQ_FIRST(&lw->lru)) != NULL) {
		file_close(lw, f);
		file_open(lw, f);
	}
}

/* --- output buffer: what one take writes, in as few writes as it can -- */

/* log_target stdout or both: the lines on clm-logd's stdout or stderr. */
static void
out_console(struct logwriter *lw, const char *p, size_t n)
{
	struct logwriter_stream	*s = lw->outs;

	if (s != NULL && s->console.fd != -1 && n > 0)
		logconsole_write(&s->console, lw->wall_ms(), p, n);
}

static void
out_flush(struct logwriter *lw)
{
	if (lw->outlen > 0 && lw->outfile != NULL)
		file_write(lw, lw->outfile, lw->out, lw->outlen);
	out_console(lw, lw->out, lw->outlen);
	lw->outlen = 0;
}

static void
out_begin(struct logwriter *lw, struct lw_file *f)
{
	lw->outlen = 0;
	lw->outfile = f;
	lw->outs = NULL;
}

static void
out_put(struct logwriter *lw, const char *p, size_t n)
{
	if (lw->outlen + n > LW_OUT_CAP)
		out_flush(lw);
	if (n > LW_OUT_CAP) {
		if (lw->outfile != NULL)
			file_write(lw, lw->outfile, p, n);
		out_console(lw, p, n);
		return;
	}
	memcpy(lw->out + lw->outlen, p, n);
	lw->outlen += n;
}

/* --- lines ------------------------------------------------------------ */

/* "2026-11-26T06:50:32.123Z ", once per take. */
static const char *
lw_stamp(struct logwriter *lw)
{
	uint64_t	ms;
	time_t		sec;
	struct tm	tm;
	char		buf[32];

	if (lw->stamp_ok)
		return lw->stamp;
	ms = lw->wall_ms();
	sec = (time_t)(ms / 1000);
	if ((int64_t)sec != lw->stamp_sec) {
		gmtime_r(&sec, &tm);
		if (strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
			memcpy(buf, "0000-00-00T00:00:00", 20);
		memcpy(lw->stamp, buf, 19);
		lw->stamp_sec = (int64_t)sec;
	}
	snprintf(lw->stamp + 19, sizeof lw->stamp - 19, ".%03uZ ",
	    (unsigned)(ms % 1000));
	lw->stamp_ok = true;
	return lw->stamp;
}

/* The stamp of a line of s, a blank after it: lw_stamp's, or s's own
 * format (log_date_format, local time; computed once a second). */
static const char *
stream_stamp(struct logwriter *lw, struct logwriter_stream *s, size_t *len)
{
	struct tm	tm;
	time_t		sec;
	size_t		n;

	if (s->datefmt == NULL) {
		*len = LOGWRITER_TS_LEN;
		return lw_stamp(lw);
	}
	sec = (time_t)(lw->wall_ms() / 1000);
	if (s->stamp == NULL)
		s->stamp = clm_malloc(LW_STAMP_CAP);
	if ((int64_t)sec != s->stamp_sec) {
		localtime_r(&sec, &tm);
		n = strftime(s->stamp, LW_STAMP_CAP - 1, s->datefmt, &tm);
		s->stamp[n] = ' ';
		s->stamplen = n + 1;
		s->stamp_sec = (int64_t)sec;
	}
	*len = s->stamplen;
	return s->stamp;
}

static void
part_put(struct logwriter_stream *s, const char *p, size_t n)
{
	size_t	cap;

	if (s->partlen + n > s->partcap) {
		cap = s->partcap == 0 ? 256 : s->partcap;
		while (cap < s->partlen + n)
			cap *= 2;
		s->part = clm_realloc(s->part, cap);
		s->partcap = cap;
	}
	memcpy(s->part + s->partlen, p, n);
	s->partlen += n;
}

static void
part_reset(struct logwriter_stream *s)
{
	s->partlen = 0;
	if (s->partcap > 4096) {
		/* Only long lines need much: do not keep it. */
		free(s->part);
		s->part = NULL;
		s->partcap = 0;
	}
}

/* Keep bytes of a partial line in memory; at LINE_MAX, write them. */
static void
part_append(struct logwriter *lw, struct logwriter_stream *s, const char *p,
    size_t n)
{
	const char	*stamp;
	size_t		 c, k;

	while (n > 0) {
		if (s->partlen == 0 && !s->midline &&
		    (s->flags & LOGWRITER_TIMESTAMP)) {
			stamp = stream_stamp(lw, s, &k);
			part_put(s, stamp, k);
		}
		c = LOGWRITER_LINE_MAX - s->partlen;
		if (c > n)
			c = n;
		part_put(s, p, c);
		p += c;
		n -= c;
		if (s->partlen >= LOGWRITER_LINE_MAX) {
			out_put(lw, s->part, s->partlen);
			part_reset(s);
			s->midline = true;
		}
	}
}

/* Write the partial line kept in memory: the line stays open (midline),
 * so what follows it gets no timestamp of its own. */
static void
part_write(struct logwriter *lw, struct logwriter_stream *s)
{
	if (s->partlen == 0)
		return;
	out_put(lw, s->part, s->partlen);
	part_reset(s);
	s->midline = true;
}

size_t
logwriter_take(struct logwriter *lw, struct logwriter_stream *s,
    const char *data, size_t len, bool force)
{
	const char	*nl, *p, *end, *stamp;
	size_t		 off = 0, k;

	lw->stamp_ok = false;
	out_begin(lw, s->file);
	lw->outs = s;
	if (s->partlen > 0) {
		/* The line's start is in memory: it must be finished. */
		if ((nl = memchr(data, '\n', len)) == NULL) {
			part_append(lw, s, data, len);
			if (s->flush)
				part_write(lw, s);
			out_flush(lw);
			return len;
		}
		k = (size_t)(nl - data) + 1;
		out_put(lw, s->part, s->partlen);
		out_put(lw, data, k);
		part_reset(s);
		s->midline = false;
		off = k;
	}
	if (off < len &&
	    (nl = memrchr(data + off, '\n', len - off)) != NULL) {
		end = nl + 1;
		if (!(s->flags & LOGWRITER_TIMESTAMP))
			out_put(lw, data + off, (size_t)(end - (data + off)));
		else {
			for (p = data + off; p < end; p = nl + 1) {
				nl = memchr(p, '\n', (size_t)(end - p));
				if (!s->midline) {
					stamp = stream_stamp(lw, s, &k);
					out_put(lw, stamp, k);
				}
				out_put(lw, p, (size_t)(nl + 1 - p));
				s->midline = false;
			}
		}
		s->midline = false;
		off = (size_t)(end - data);
	}
	if (off < len && (force || s->flush || len - off >= s->keep_max)) {
		part_append(lw, s, data + off, len - off);
		off = len;
	}
	if (s->flush)
		part_write(lw, s);
	out_flush(lw);
	return off;
}

void
logwriter_flush(struct logwriter *lw, struct logwriter_stream *s)
{
	if (s->partlen == 0)
		return;
	lw->stamp_ok = false;
	out_begin(lw, s->file);
	lw->outs = s;
	part_write(lw, s);
	out_flush(lw);
}

void
logwriter_end(struct logwriter *lw, struct logwriter_stream *s)
{
	out_begin(lw, s->file);
	lw->outs = s;
	if (s->partlen > 0 || s->midline) {
		out_put(lw, s->part, s->partlen);
		out_put(lw, "\n", 1);
	}
	out_flush(lw);
	part_reset(s);
	s->midline = false;
	stream_drop(lw, s);
}

/* --- streams ---------------------------------------------------------- */

static void
stream_queue(struct logwriter *lw, struct logwriter_stream *s)
{
	if (!s->queued && !s->dead) {
		TAILQ_INSERT_TAIL(&lw->readyq, s, ready);
		s->queued = true;
	}
}

static void
stream_unqueue(struct logwriter *lw, struct logwriter_stream *s)
{
	if (s->queued) {
		TAILQ_REMOVE(&lw->readyq, s, ready);
		s->queued = false;
	}
}

/* A partial line waits (in the pipe or in memory): it is written once
 * it has waited LOGWRITER_PARTIAL_MS, complete or not. */
static void
stream_set_pending(struct logwriter *lw, struct logwriter_stream *s, bool on)
{
	if (s->pending == on)
		return;
	if (on) {
		s->pending_ms = lw->mono_ms();
		TAILQ_INSERT_TAIL(&lw->pendq, s, pend);
		lw->npending++;
	} else {
		TAILQ_REMOVE(&lw->pendq, s, pend);
		lw->npending--;
	}
	s->pending = on;
}

static void
stream_watch(struct logwriter *lw, struct logwriter_stream *s)
{
	struct epoll_event	ev;

	if (lw->epfd == -1 || s->fd == -1)
		return;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.ptr = s;
	if (epoll_ctl(lw->epfd, EPOLL_CTL_ADD, s->fd, &ev) == -1) {
		/* Not pollable (a regular file?): read it until its end. */
		s->hup = true;
	}
	stream_queue(lw, s);
}

/*
 * Stop watching and close. clmd holds the same open pipe: closing our fd
 * would not remove it from the epoll set, so remove it first.
 */
static void
stream_unwatch(struct logwriter *lw, struct logwriter_stream *s)
{
	if (s->fd == -1)
		return;
	if (lw->epfd != -1)
		(void)epoll_ctl(lw->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->fd = -1;
}

/* Freed after the current batch of events, which may still name it. */
static void
stream_drop(struct logwriter *lw, struct logwriter_stream *s)
{
	if (s->dead)
		return;
	stream_unwatch(lw, s);
	stream_unqueue(lw, s);
	stream_set_pending(lw, s, false);
	TAILQ_REMOVE(&lw->streams, s, entry);
	lw->nstreams--;
	if (s->id != NULL)
		nametab_del(lw->ids, s->id);
	if (s->file != NULL) {
		TAILQ_REMOVE(&s->file->streams, s, fentry);
		file_put(lw, s->file);
	}
	s->file = NULL;
	s->dead = true;
	TAILQ_INSERT_TAIL(&lw->dead, s, entry);
}

struct logwriter_stream *
logwriter_find(struct logwriter *lw, const char *id)
{
	return nametab_get(lw->ids, id);
}

size_t
logwriter_count(struct logwriter *lw)
{
	return lw->nstreams;
}

/* What a stream's fd is: a pipe is peeked, anything else read. */
static void
stream_set_fd(struct logwriter *lw, struct logwriter_stream *s, int fd,
    const struct stat *st)
{
	int	size, fl;

	s->fd = fd;
	s->is_pipe = false;
	s->exact = false;
	s->keep_max = LW_PIPE_DEFAULT / 2;
	if (fd == -1)
		return;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (!S_ISFIFO(st->st_mode) || lw->scratch[0] == -1)
		return;
	s->is_pipe = true;
	size = fcntl(fd, F_GETPIPE_SZ);
	if (size <= 0)
		size = LW_PIPE_DEFAULT;
	/* A partial line may wait in the pipe if the writer keeps room. */
	s->keep_max = (size_t)size / 2;
	if (s->keep_max > LOGWRITER_LINE_MAX)
		s->keep_max = LOGWRITER_LINE_MAX;
	if (s->keep_max == 0)
		s->keep_max = 1;
	s->exact = fcntl(lw->scratch[1], F_GETPIPE_SZ) >= size;
}

/*
 * The console side of a stream (flag o): app, slot and stream from its id
 * NAME:SLOT:RUN:out|err (NAME has no ':'); fd -1 when off or unparsable.
 */
static void
stream_set_console(struct logwriter_stream *s, const char *id, int flags)
{
	const char	*c1, *c2, *c3;
	long long	 slot;
	char		*num;

	free((char *)s->console.app);
	memset(&s->console, 0, sizeof s->console);
	s->console.fd = -1;
	if ((flags & LOGWRITER_CONSOLE) == 0 || (c1 = strchr(id, ':')) ==
	    NULL || (c2 = strchr(c1 + 1, ':')) == NULL || (c3 = strchr(c2 + 1,
	    ':')) == NULL || (strcmp(c3 + 1, "out") != 0 && strcmp(c3 + 1,
	    "err") != 0))
		return;
	num = clm_strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	if (clm_parse_int(num, 0, INT32_MAX, &slot) == 0) {
		s->console.fd = strcmp(c3 + 1, "err") == 0 ?
		    LOGCONSOLE_ERR_FD : LOGCONSOLE_OUT_FD;
		s->console.json = (flags & LOGWRITER_JSON) != 0;
		s->console.app = clm_strndup(id, (size_t)(c1 - id));
		s->console.slot = (int)slot;
		s->console.stream = s->console.fd == LOGCONSOLE_ERR_FD ?
		    "err" : "out";
	}
	free(num);
}

struct logwriter_stream *
logwriter_add(struct logwriter *lw, const struct logwriter_add *a, int fd,
    char **cause)
{
	struct logwriter_stream	*s, *old;
	struct stat		 st;

	memset(&st, 0, sizeof st);
	if (fd != -1 && fstat(fd, &st) == -1) {
		*cause = clm_asprintf("ADD %s: bad fd: %s", a->id,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	old = logwriter_find(lw, a->id);
	if (old != NULL && fd != -1 && old->fd != -1 &&
	    S_ISFIFO(st.st_mode) && old->dev == st.st_dev &&
	    old->ino == st.st_ino) {
		/* The same pipe again: keep what was read of it. */
		stream_unwatch(lw, old);
		stream_set_fd(lw, old, fd, &st);
		old->flags = a->flags;
		stream_set_console(old, a->id, a->flags);
		free(old->datefmt);
		old->datefmt = clm_strdup(a->datefmt);
		old->stamp_sec = -1;
		stream_set_file(lw, old, a);
		stream_watch(lw, old);
		return old;
	}
	if (old != NULL) {
		/* Another pipe takes the id; the old one is read to its
		 * end. */
		nametab_del(lw->ids, old->id);
		free(old->id);
		old->id = NULL;
	}
	s = clm_calloc(1, sizeof *s);
	s->id = clm_strdup(a->id);
	s->flags = a->flags;
	s->console.app = NULL;
	stream_set_console(s, a->id, a->flags);
	s->datefmt = clm_strdup(a->datefmt);
	s->stamp_sec = -1;
	stream_set_file(lw, s, a);
	stream_set_fd(lw, s, fd, &st);
	TAILQ_INSERT_TAIL(&lw->streams, s, entry);
	if (++lw->nstreams > lw->peak)
		lw->peak = lw->nstreams;
	nametab_put(lw->ids, s->id, s);
	/* Its pipe may take the room of an open file. */
	lw_trim(lw, lw_open_max(lw));
	stream_watch(lw, s);
	return s;
}

/* Read exactly n bytes that are known to be in a pipe. */
static int
read_exact(int fd, char *buf, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		r = read(fd, buf, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Drop n bytes (already written) from the front of the stream's pipe. */
static int
consume(struct logwriter *lw, struct logwriter_stream *s, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		if (lw->devnull != -1) {
			r = splice(s->fd, NULL, lw->devnull, NULL, n,
			    SPLICE_F_NONBLOCK);
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1 && errno != EAGAIN) {
				/* No splice to /dev/null here: read. */
				close(lw->devnull);
				lw->devnull = -1;
				continue;
			}
		} else {
			r = read(s->fd, lw->chunk, n < LOGWRITER_CHUNK ? n :
			    LOGWRITER_CHUNK);
			if (r == -1 && errno == EINTR)
				continue;
		}
		if (r <= 0)
			return -1;
		n -= (size_t)r;
	}
	return 0;
}

/* Not a pipe (or no scratch pipe): read, keep partial lines in memory. */
static int
service_read(struct logwriter *lw, struct logwriter_stream *s)
{
	ssize_t	n;

	n = read(s->fd, lw->chunk, LOGWRITER_CHUNK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return LOGWRITER_IDLE;
	if (n == -1) {
		lw_warn(lw, "%s: cannot read its output: %s",
		    s->id != NULL ? s->id : "stream", strerror(errno));
		n = 0;
	}
	if (n == 0) {
		logwriter_end(lw, s);
		return LOGWRITER_EOF;
	}
	logwriter_take(lw, s, lw->chunk, (size_t)n, true);
	return LOGWRITER_MORE;
}

/* One read of the pipe; *left: a partial line stays in it. */
static int
service_once(struct logwriter *lw, struct logwriter_stream *s, bool *left)
{
	struct pollfd	pfd;
	ssize_t		n;
	size_t		k;
	bool		force;
	int		avail;

	if (s->fd == -1) {
		logwriter_end(lw, s);
		return LOGWRITER_EOF;
	}
	if (!s->is_pipe)
		return service_read(lw, s);
	n = tee(s->fd, lw->scratch[1], LOGWRITER_CHUNK, SPLICE_F_NONBLOCK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return LOGWRITER_IDLE;
	if (n == -1) {
		s->is_pipe = false;
		return service_read(lw, s);
	}
	if (n == 0) {
		/* Empty, and no writer left. */
		logwriter_end(lw, s);
		return LOGWRITER_EOF;
	}
	if (read_exact(lw->scratch[0], lw->chunk, (size_t)n) == -1) {
		/* Cannot happen; read the pipe itself from now on. */
		while (read(lw->scratch[0], lw->chunk, LOGWRITER_CHUNK) > 0)
			continue;
		s->is_pipe = false;
		return LOGWRITER_MORE;
	}
	force = s->hup;
	if (!force && !s->exact && (size_t)n < LOGWRITER_CHUNK &&
	    ioctl(s->fd, FIONREAD, &avail) == 0 && avail > n)
		force = true;	/* the peek could not see it all */
	k = logwriter_take(lw, s, lw->chunk, (size_t)n, force);
	if (k > 0 && consume(lw, s, k) == -1) {
		lw_warn(lw, "%s: cannot read its output: %s",
		    s->id != NULL ? s->id : "stream", strerror(errno));
		logwriter_end(lw, s);
		return LOGWRITER_EOF;
	}
	if ((size_t)n == LOGWRITER_CHUNK || s->hup)
		return LOGWRITER_MORE;
	if (k < (size_t)n) {
		/* A partial line waits: is there still a writer to end it? */
		pfd.fd = s->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP)) {
			s->hup = true;
			return LOGWRITER_MORE;
		}
		*left = true;
	}
	return LOGWRITER_IDLE;
}

int
logwriter_service(struct logwriter *lw, struct logwriter_stream *s)
{
	bool	left = false;
	int	r;

	if (s->dead)
		return LOGWRITER_EOF;
	r = service_once(lw, s, &left);
	if (s->dead)
		return r;
	if (s->flush && r == LOGWRITER_IDLE) {
		/* Written up to what the pipe held: the flush is done. */
		logwriter_flush(lw, s);
		s->flush = false;
	}
	stream_set_pending(lw, s, left || s->partlen > 0);
	return r;
}

void
logwriter_shutdown(struct logwriter *lw)
{
	struct logwriter_stream	*s;
	int			 i;

	while ((s = TAILQ_FIRST(&lw->streams)) != NULL) {
		for (i = 0; i < LW_SHUTDOWN_READS; i++) {
			if (logwriter_service(lw, s) != LOGWRITER_MORE)
				break;
		}
		if (s->dead)
			continue;
		/* What is left in the pipe is final: take it whole. */
		s->hup = true;
		if (logwriter_service(lw, s) != LOGWRITER_EOF)
			logwriter_end(lw, s);
	}
}

/* --- control ---------------------------------------------------------- */

/* A control message, printable and short enough for a warning. */
static char *
ctl_quote(const char *msg, size_t len)
{
	char	*q;
	size_t	 i;

	if (len > 64)
		len = 64;
	q = clm_strndup(msg, len);
	for (i = 0; i < len && q[i] != '\0'; i++) {
		if ((unsigned char)q[i] < ' ' || q[i] == 0x7f)
			q[i] = '?';
	}
	return q;
}

/*
 * MARK path\ntext: write text into path once the streams that write there
 * have been read to their end (their workers are gone: the app was
 * deleted), so it comes after their last line.
 */
static void
lw_mark(struct logwriter *lw, const char *msg, size_t len)
{
	struct logwriter_stream	*s, *next;
	struct lw_file		*f, tmp;
	const char		*nl;
	char			*path;
	int			 i;

	if ((nl = memchr(msg, '\n', len)) == NULL || nl == msg ||
	    msg[0] != '/' || memchr(msg, '\0', len) != NULL) {
		lw_warn(lw, "clmd sent a bad MARK message");
		return;
	}
	path = clm_strndup(msg, (size_t)(nl - msg));
	if ((f = nametab_get(lw->paths, path)) == NULL) {
		memset(&tmp, 0, sizeof tmp);
		tmp.path = path;
		tmp.base = strrchr(path, '/') + 1;
		tmp.fd = -1;
		file_write_raw(lw, &tmp, nl + 1, len - (size_t)(nl + 1 - msg));
		file_close(lw, &tmp);
		free(path);
		return;
	}
	f->refs++;	/* kept while its streams end */
	for (s = TAILQ_FIRST(&f->streams); s != NULL; s = next) {
		next = TAILQ_NEXT(s, fentry);
		for (i = 0; i < LW_SHUTDOWN_READS; i++) {
			if (logwriter_service(lw, s) != LOGWRITER_MORE)
				break;
		}
	}
	file_write_raw(lw, f, nl + 1, len - (size_t)(nl + 1 - msg));
	file_put(lw, f);
	free(path);
}

/* "PID <id> <pid>": the console names the stream's pid. */
static void
lw_pid(struct logwriter *lw, const char *msg, size_t len)
{
	struct logwriter_stream	*s;
	char			*copy = clm_strndup(msg, len), *sp;
	long long		 pid;

	if ((sp = strrchr(copy, ' ')) != NULL) {
		*sp = '\0';
		if (clm_parse_int(sp + 1, 1, INT32_MAX, &pid) == 0 &&
		    (s = logwriter_find(lw, copy)) != NULL)
			s->console.pid = (int)pid;
	}
	free(copy);
}

void
logwriter_control(struct logwriter *lw, const char *msg, size_t len, int fd,
    int reply_fd)
{
	struct logwriter_add	 a;
	char			*cause = NULL, *q;

	if (len > 5 && memcmp(msg, "MARK ", 5) == 0) {
		if (fd != -1)
			close(fd);
		lw_mark(lw, msg + 5, len - 5);
		return;
	}
	if (len > 0 && msg[len - 1] == '\n')
		len--;
	if (len >= 4 && strncmp(msg, "ADD ", 4) == 0) {
		if (logwriter_parse_add(msg, len, &a, &cause) == -1) {
			lw_warn(lw, "clmd sent a bad message: %s", cause);
			free(cause);
			if (fd != -1)
				close(fd);
			return;
		}
		if (fd == -1)
			lw_warn(lw, "ADD %s: no fd came with it", a.id);
		else if (logwriter_add(lw, &a, fd, &cause) == NULL) {
			lw_warn(lw, "%s", cause);
			free(cause);
		}
		logwriter_add_clear(&a);
		return;
	}
	if (fd != -1)
		close(fd);
	if (len > 4 && memcmp(msg, "PID ", 4) == 0) {
		lw_pid(lw, msg + 4, len - 4);
	} else if (len == 4 && memcmp(msg, "PING", 4) == 0) {
		if (reply_fd != -1 && send(reply_fd, "PONG", 4,
		    MSG_NOSIGNAL | MSG_DONTWAIT) == -1 && errno != EPIPE)
			lw_warn(lw, "cannot answer PING: %s", strerror(errno));
	} else if (len == 6 && memcmp(msg, "REOPEN", 6) == 0)
		logwriter_reopen(lw);
	else {
		q = ctl_quote(msg, len);
		lw_warn(lw, "clmd sent an unknown message '%s'", q);
		free(q);
	}
}

/* Every message waiting on ctl. */
static void
ctl_read(struct logwriter *lw)
{
	char		 buf[LOGWRITER_MSG_MAX + 1];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(8 * sizeof(int))];
	}		 cbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	ssize_t		 n;
	int		 fds[64], nfds, i, cnt;

	for (;;) {
		memset(&msg, 0, sizeof msg);
		iov.iov_base = buf;
		iov.iov_len = sizeof buf - 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof cbuf.buf;
		n = recvmsg(lw->ctl, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* clmd is gone: go on with the streams. */
			if (lw->epfd != -1)
				(void)epoll_ctl(lw->epfd, EPOLL_CTL_DEL,
				    lw->ctl, NULL);
			close(lw->ctl);
			lw->ctl = -1;
			return;
		}
		nfds = 0;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (i = 0; i < cnt && nfds < (int)CLM_ARRAY_SIZE(fds);
			    i++)
				memcpy(&fds[nfds++], CMSG_DATA(c) +
				    i * sizeof(int), sizeof(int));
		}
		if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfds > 1) {
			lw_warn(lw, "clmd sent a message %s: ignored",
			    (msg.msg_flags & MSG_TRUNC) ? "longer than 4096 "
			    "bytes" : "with more than one fd");
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			continue;
		}
		logwriter_control(lw, buf, (size_t)n, nfds == 1 ? fds[0] : -1,
		    lw->ctl);
	}
}

/* SIGUSR1 reopens; SIGTERM ends. Returns 1 on SIGTERM. */
static int
sig_read(struct logwriter *lw)
{
	struct signalfd_siginfo	si;
	ssize_t			n;

	for (;;) {
		n = read(lw->sigfd, &si, sizeof si);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof si)
			return 0;
		if (si.ssi_signo == SIGTERM) {
			logconsole_shutdown();
			return 1;
		}
		if (si.ssi_signo == SIGUSR1)
			logwriter_reopen(lw);
	}
}

static int
lw_watch(struct logwriter *lw, int fd, void *tag, char **cause)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = tag;
	if (epoll_ctl(lw->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		*cause = clm_asprintf("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Write the partial lines that have waited LOGWRITER_PARTIAL_MS (this
 * also looks again at the pipes, in case a kernel did not wake us).
 * Returns when to look next.
 */
static uint64_t
lw_sweep(struct logwriter *lw, uint64_t now)
{
	struct logwriter_stream	*s;
	uint64_t		 due, next = now + LW_SWEEP_MS;

	TAILQ_FOREACH(s, &lw->pendq, pend) {
		due = s->pending_ms + LOGWRITER_PARTIAL_MS;
		if (due > now) {
			/* In the order they began to wait: the rest wait
			 * longer. */
			if (due < next)
				next = due;
			break;
		}
		s->flush = true;
		stream_queue(lw, s);
	}
	return next;
}

/* One round: each ready stream reads once (fair to all of them). */
static void
lw_round(struct logwriter *lw)
{
	struct logwriter_stream	*s, *next, *last;

	last = TAILQ_LAST(&lw->readyq, lw_streams);
	for (s = TAILQ_FIRST(&lw->readyq); s != NULL; s = next) {
		next = s == last ? NULL : TAILQ_NEXT(s, ready);
		stream_unqueue(lw, s);
		if (logwriter_service(lw, s) == LOGWRITER_MORE)
			stream_queue(lw, s);
	}
}

int
logwriter_run(struct logwriter *lw, int ctl, char **cause)
{
	struct epoll_event	 evs[64];
	struct logwriter_stream	*s;
	sigset_t		 set;
	uint64_t		 now, sweep;
	int			 n, i, timeout, fl, rc = -1;

	lw->ctl = ctl;
	if ((fl = fcntl(ctl, F_GETFL)) != -1)
		(void)fcntl(ctl, F_SETFL, fl | O_NONBLOCK);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if ((lw->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) ==
	    -1) {
		*cause = clm_asprintf("signalfd: %s", strerror(errno));
		return -1;
	}
	if ((lw->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		*cause = clm_asprintf("epoll_create1: %s", strerror(errno));
		goto out;
	}
	if (lw_watch(lw, ctl, &lw->ctl_tag, cause) == -1 ||
	    lw_watch(lw, lw->sigfd, &lw->sig_tag, cause) == -1)
		goto out;
	TAILQ_FOREACH(s, &lw->streams, entry)
		stream_watch(lw, s);

	sweep = 0;
	for (;;) {
		if (lw->ctl == -1 && lw->nstreams == 0)
			break;
		now = lw->mono_ms();
		if (lw->npending > 0 && now >= sweep)
			sweep = lw_sweep(lw, now);
		if (!TAILQ_EMPTY(&lw->readyq))
			timeout = 0;
		else if (lw->npending > 0)
			timeout = sweep > now ? (int)(sweep - now) : 0;
		else
			timeout = -1;
		n = epoll_wait(lw->epfd, evs, CLM_ARRAY_SIZE(evs), timeout);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = clm_asprintf("epoll_wait: %s",
			    strerror(errno));
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &lw->ctl_tag) {
				if (lw->ctl != -1)
					ctl_read(lw);
			} else if (evs[i].data.ptr == &lw->sig_tag) {
				if (sig_read(lw)) {
					logwriter_shutdown(lw);
					rc = 0;
					goto out;
				}
			} else {
				s = evs[i].data.ptr;
				if (s->dead)
					continue;
				if (evs[i].events & (EPOLLHUP | EPOLLERR))
					s->hup = true;
				stream_queue(lw, s);
			}
		}
		lw_round(lw);
		lw_reap(lw);
	}
	rc = 0;
out:
	lw_reap(lw);
	if (lw->epfd != -1)
		close(lw->epfd);
	lw->epfd = -1;
	close(lw->sigfd);
	lw->sigfd = -1;
	if (lw->ctl != -1)
		close(lw->ctl);
	lw->ctl = -1;
	return rc;
}
