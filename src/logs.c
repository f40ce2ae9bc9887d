/* Workers' logs, clmd's side: the pipes, and clm-logd that reads them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/logs.h"
#include "clm/nametab.h"
#include "clm/reaper.h"
#include "clm/upgrade.h"

#define LOGS_PIPE_SIZE		(1024 * 1024)	/* what waits for clm-logd */
#define LOGS_RESTART_MAX_MS	5000
#define LOGS_STOP_GRACE_MS	3000
#define LOGS_MSG_MAX		4096	/* LOGWRITER_MSG_MAX */

struct stream {
	char			*id;		/* app:slot:run:out */
	char			*msg;		/* its ADD line */
	int			 fd;		/* clmd's copy of the read end */
	bool			 ended;		/* its run ended: drop once
						   handed over to a running
						   clm-logd */
	bool			 queued;	/* its ADD waits in l->outq */
	struct stream		*sib;		/* the run's other stream */
	TAILQ_ENTRY(stream)	 entry;
};
TAILQ_HEAD(streams, stream);

/* A message to clm-logd that its socket had no room for yet. */
struct ctlmsg {
	char			*msg;
	struct stream		*s;		/* an ADD: its fd goes along */
	STAILQ_ENTRY(ctlmsg)	 entry;
};
STAILQ_HEAD(ctlq, ctlmsg);

struct clm_logs {
	uv_loop_t		*loop;
	const struct clm_home	*home;
	char			*logd;		/* clm-logd, or NULL */
	uv_process_t		 proc;
	bool			 running;
	bool			 closing;
	int			 ctl;		/* to clm-logd; -1 when down */
	uv_poll_t		*ctl_poll;	/* ctl writable, while outq */
	struct ctlq		 outq;		/* in order, after a full
						   socket */
	size_t			 noutq;
	struct streams		 streams;
	struct nametab		*runs;		/* app:slot:run -> its streams
						   (linked by sib), until the
						   run ends */
	uv_timer_t		 timer;		/* restart, or stop grace */
	uint32_t		 backoff_ms;
	unsigned		 handles;	/* open; freed at 0 once closing */
};

static void	logd_start(struct clm_logs *);
static void	ctl_send(struct clm_logs *, char *, struct stream *);
static void	stream_free(struct clm_logs *, struct stream *);

/* Handles live inside struct clm_logs (or point to it): free it after
 * the last one. */
static void
logs_unref(struct clm_logs *l)
{
	if (--l->handles == 0 && l->closing) {
		nametab_free(l->runs);
		free(l->logd);
		free(l);
	}
}

static void
logs_handle_closed(uv_handle_t *h)
{
	logs_unref(h->data);
}

/*
 * NAME-ID-out.log for a worker, NAME-all-out.log for an app's merged logs:
 * no two apps can share a file. (Merged logs were NAME-out.log, which app
 * web-0 shared with worker 0 of app web.) The part before -out/-err ends
 * in -ID (digits) or -all, and app names cannot hold anything else there.
 */
char *
logs_path(const struct clm_home *home, const struct clm_app_spec *spec,
    int slot, const char *which)
{
	const char	*own, *slash, *dot;

	own = strcmp(which, "out") == 0 ? spec->out_file : spec->error_file;
	if (own != NULL) {
		/* Several workers, not merged: -ID before the extension. */
		if (spec->merge_logs || spec->instances == 1 ||
		    strcmp(own, "/dev/null") == 0)
			return clm_strdup(own);
		slash = strrchr(own, '/');
		dot = strrchr(own, '.');
		if (dot == NULL || (slash != NULL && dot < slash) ||
		    dot == (slash != NULL ? slash + 1 : own))
			return clm_asprintf("%s-%d", own, slot);
		return clm_asprintf("%.*s-%d%s", (int)(dot - own), own, slot,
		    dot);
	}
	if (spec->merge_logs)
		return clm_asprintf("%s/%s-all-%s.log", home->logdir,
		    spec->name, which);
	return clm_asprintf("%s/%s-%d-%s.log", home->logdir, spec->name, slot,
	    which);
}

/* Does name end in -DIGITS (so NAME-out.log could be a worker's file)? */
static bool
logs_name_ends_in_id(const char *name)
{
	const char	*dash = strrchr(name, '-'), *p;

	if (dash == NULL || dash[1] == '\0')
		return false;
	for (p = dash + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* A merged log from before NAME-all-out.log takes its new name, unless
 * its old name may be another app's worker's file. */
static void
logs_migrate(const char *logdir, const struct clm_app_spec *spec,
    const char *which, const char *path)
{
	char		*old;
	struct stat	 st;

	if (!spec->merge_logs || logs_name_ends_in_id(spec->name) ||
	    lstat(path, &st) == 0)
		return;
	old = clm_asprintf("%s/%s-%s.log", logdir, spec->name, which);
	if (lstat(old, &st) == 0 && S_ISREG(st.st_mode) &&
	    rename(old, path) == 0)
		log_info("%s: merged log %s is now %s", spec->name, old, path);
	free(old);
}

int
logs_file_name(const char *fname, char *app, size_t size, long *slot,
    char kind[4])
{
	size_t	 len = strlen(fname);
	char	*dash, *e;

	if (len < 9 || len - 8 >= size || strcmp(fname + len - 4, ".log") != 0 ||
	    fname[len - 8] != '-')
		return -1;
	memcpy(kind, fname + len - 7, 3);
	kind[3] = '\0';
	if (strcmp(kind, "out") != 0 && strcmp(kind, "err") != 0)
		return -1;
	memcpy(app, fname, len - 8);
	app[len - 8] = '\0';
	*slot = -1;
	if ((dash = strrchr(app, '-')) != NULL && strcmp(dash + 1, "all") == 0)
		*dash = '\0';
	else if (dash != NULL && dash[1] >= '0' && dash[1] <= '9') {
		*slot = strtol(dash + 1, &e, 10);
		if (*e == '\0')
			*dash = '\0';
		else
			*slot = -1;
	}
	return app[0] != '\0' ? 0 : -1;
}

bool
logs_marker(const char *line, size_t len)
{
	static const char	head[] = "--- clm: app '", mid[] = "' deleted at ";

	return len > sizeof head && memcmp(line, head, sizeof head - 1) == 0 &&
	    memmem(line, len, mid, sizeof mid - 1) != NULL;
}

/* Mark one file: through clm-logd, after what its streams still hold; or
 * directly when clm-logd is not there. */
static void
logs_mark(struct clm_logs *l, const char *path, const char *line)
{
	char	*msg;
	int	 fd;

	if (l->ctl != -1) {
		msg = clm_asprintf("MARK %s\n%s", path, line);
		if (strlen(msg) <= LOGS_MSG_MAX) {
			ctl_send(l, msg, NULL);
			return;
		}
		free(msg);
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY)) == -1)
		return;
	if (write(fd, line, strlen(line)) == -1)
		log_warn("%s", path);
	close(fd);
}

/* One pass over the folder for all the apps of a delete: a pass per app
 * made clm delete all quadratic (4,900 apps: 30 s of readdir). */
void
logs_apps_deleted(struct clm_logs *l, char *const *apps)
{
	struct dirent	*de;
	DIR		*dir;
	struct nametab	*lines;
	char		 name[CLM_NAME_MAX * 4 + 8], kind[4], stamp[32];
	char		*path, *line;
	long		 slot;
	size_t		 i;
	struct stat	 st;
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (apps[0] == NULL || (dir = opendir(l->home->logdir)) == NULL)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	lines = nametab_new();
	for (i = 0; apps[i] != NULL; i++) {
		if (nametab_get(lines, apps[i]) == NULL)
			nametab_put(lines, apps[i], clm_asprintf("--- clm: app "
			    "'%s' deleted at %s; the lines above are from it "
			    "---\n", apps[i], stamp));
	}
	while ((de = readdir(dir)) != NULL) {
		if (logs_file_name(de->d_name, name, sizeof name, &slot,
		    kind) == -1 || (line = nametab_get(lines, name)) == NULL)
			continue;
		path = clm_asprintf("%s/%s", l->home->logdir, de->d_name);
		/* An empty file has no lines to tell apart. */
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > 0)
			logs_mark(l, path, line);
		free(path);
	}
	closedir(dir);
	for (i = 0; apps[i] != NULL; i++) {
		free(nametab_get(lines, apps[i]));
		nametab_put(lines, apps[i], NULL);
	}
	nametab_free(lines);
}

/* clm-logd beside clmd (a build tree), or in the package's folder. */
static char *
logd_find(void)
{
	char	*path = clm_helper_path("clm-logd");

	if (path == NULL)
		log_warnx("clm-logd not found: workers write their log files "
		    "directly, without rotation or timestamps");
	return path;
}

/*
 * Messages to clm-logd go in order, without ever blocking clmd: what the
 * socket has no room for (a start of thousands of workers, or every
 * stream handed to a new clm-logd, is a burst of ADDs faster than it
 * takes them) waits in outq and goes when the socket is writable again.
 * (Such an ADD used to be dropped: its stream was then read by no one
 * until the next clm-logd.)
 */
static int
ctl_send_now(struct clm_logs *l, const struct ctlmsg *m)
{
	return clm_send_fd(l->ctl, m->msg, strlen(m->msg), m->s != NULL ?
	    m->s->fd : -1);
}

static void
ctlmsg_free(struct clm_logs *l, struct ctlmsg *m, bool sent)
{
	struct stream	*s = m->s;

	free(m->msg);
	free(m);
	if (s == NULL)
		return;
	s->queued = false;
	/* A stream whose run has ended is clm-logd's alone once handed
	 * over (if it was not, the next clm-logd's). */
	if (s->ended && sent)
		stream_free(l, s);
}

/* clm-logd is gone: what waits is for the next one (logd_start hands it
 * every stream again). */
static void
ctl_drop(struct clm_logs *l)
{
	struct ctlmsg	*m;

	while ((m = STAILQ_FIRST(&l->outq)) != NULL) {
		STAILQ_REMOVE_HEAD(&l->outq, entry);
		ctlmsg_free(l, m, false);
	}
	l->noutq = 0;
}

static void	ctl_poll_cb(uv_poll_t *, int, int);

static void
ctl_poll_closed(uv_handle_t *h)
{
	struct clm_logs	*l = h->data;

	free(h);
	logs_unref(l);
}

/* Stop watching ctl (before it is closed). */
static void
ctl_unwatch(struct clm_logs *l)
{
	if (l->ctl_poll == NULL)
		return;
	uv_close((uv_handle_t *)l->ctl_poll, ctl_poll_closed);
	l->ctl_poll = NULL;
}

static void	ctl_wait(struct clm_logs *);

/* Send what waits, in order, until the socket is full again. */
static void
ctl_flush(struct clm_logs *l)
{
	struct ctlmsg	*m;

	while (l->ctl != -1 && (m = STAILQ_FIRST(&l->outq)) != NULL) {
		if (ctl_send_now(l, m) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				break;
			log_warn("clm-logd: cannot send %.*s", (int)strcspn(
			    m->msg, "\n"), m->msg);
			ctl_drop(l);
			break;
		}
		STAILQ_REMOVE_HEAD(&l->outq, entry);
		l->noutq--;
		ctlmsg_free(l, m, true);
	}
	if (l->ctl == -1 || STAILQ_EMPTY(&l->outq)) {
		if (l->ctl_poll != NULL)
			uv_poll_stop(l->ctl_poll);
		return;
	}
	ctl_wait(l);
}

/* Flush when the socket is writable: at once if it has room, from the
 * loop's next turn. */
static void
ctl_wait(struct clm_logs *l)
{
	if (l->ctl == -1)
		return;
	if (l->ctl_poll == NULL) {
		l->ctl_poll = clm_calloc(1, sizeof *l->ctl_poll);
		if (uv_poll_init(l->loop, l->ctl_poll, l->ctl) != 0) {
			free(l->ctl_poll);
			l->ctl_poll = NULL;
			log_warnx("clm-logd: cannot watch its socket: %zu "
			    "messages dropped", l->noutq);
			ctl_drop(l);
			return;
		}
		l->ctl_poll->data = l;
		l->handles++;
	}
	uv_poll_start(l->ctl_poll, UV_WRITABLE, ctl_poll_cb);
}

static void
ctl_poll_cb(uv_poll_t *p, int status, int events)
{
	ctl_flush(p->data);
}

/* Queue msg (owned) for clm-logd, with s's fd for an ADD: it goes from
 * the loop's next turn, with every other message queued meanwhile (a start
 * of thousands of workers wakes clm-logd once, not twice a worker). */
static void
ctl_send(struct clm_logs *l, char *msg, struct stream *s)
{
	struct ctlmsg	*m = clm_calloc(1, sizeof *m);

	m->msg = msg;
	m->s = s;
	if (s != NULL)
		s->queued = true;
	STAILQ_INSERT_TAIL(&l->outq, m, entry);
	l->noutq++;
	if (l->noutq == 1)
		ctl_wait(l);
}

/* Hand one stream to clm-logd. */
static void
send_stream(struct clm_logs *l, struct stream *s)
{
	if (l->ctl != -1 && !s->queued)
		ctl_send(l, clm_strdup(s->msg), s);
}

static void
stream_free(struct clm_logs *l, struct stream *s)
{
	TAILQ_REMOVE(&l->streams, s, entry);
	close(s->fd);
	free(s->id);
	free(s->msg);
	free(s);
}

static void
logd_restart_cb(uv_timer_t *t)
{
	logd_start(t->data);
}

static void
logd_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct clm_logs	*l = p->data;

	l->running = false;
	uv_close((uv_handle_t *)p, logs_handle_closed);
	ctl_unwatch(l);
	ctl_drop(l);
	if (l->ctl != -1)
		close(l->ctl);
	l->ctl = -1;
	uv_timer_stop(&l->timer);
	if (l->closing) {
		uv_close((uv_handle_t *)&l->timer, logs_handle_closed);
		return;
	}
	/* The streams wait in their pipes: start it again and hand them
	 * over again. */
	log_warnx("clm-logd (pid %d) %s %d; starting it again in %u ms",
	    p->pid, sig ? "was killed by signal" : "exited with",
	    sig ? sig : (int)status, l->backoff_ms);
	uv_timer_start(&l->timer, logd_restart_cb, l->backoff_ms, 0);
	l->backoff_ms = l->backoff_ms * 2 > LOGS_RESTART_MAX_MS ?
	    LOGS_RESTART_MAX_MS : l->backoff_ms * 2;
}

static void
logd_start(struct clm_logs *l)
{
	uv_process_options_t	 opts;
	uv_stdio_container_t	 stdio[5];
	struct stream		*s, *next;
	char			*argv[2];
	int			 sv[2], logfd, r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("clm-logd: socketpair");
		return;
	}
	logfd = open(l->home->logfile, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, 0600);
	memset(&opts, 0, sizeof opts);
	memset(stdio, 0, sizeof stdio);
	argv[0] = l->logd;
	argv[1] = NULL;
	opts.file = l->logd;
	opts.args = argv;
	opts.exit_cb = logd_exit_cb;
	/* Its own group: a stop of the workers does not reach it. */
	opts.flags = UV_PROCESS_DETACHED;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = logfd == -1 ? UV_IGNORE : UV_INHERIT_FD;
	stdio[2].data.fd = logfd;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = sv[1];
	/* log_target stdout: clmd's stdout and stderr (logconsole.h). */
	if (fcntl(1, F_GETFD) != -1) {
		stdio[1].flags = UV_INHERIT_FD;
		stdio[1].data.fd = 1;
	}
	stdio[4].flags = fcntl(2, F_GETFD) != -1 ? UV_INHERIT_FD : UV_IGNORE;
	stdio[4].data.fd = 2;
	opts.stdio = stdio;
	opts.stdio_count = 5;
	l->proc.data = l;
	l->handles++;
	r = reaper_spawn(l->loop, &l->proc, &opts);
	close(sv[1]);
	if (logfd != -1)
		close(logfd);
	if (r != 0) {
		log_warnx("cannot start %s: %s", l->logd, uv_strerror(r));
		uv_close((uv_handle_t *)&l->proc, logs_handle_closed);
		close(sv[0]);
		uv_timer_start(&l->timer, logd_restart_cb, l->backoff_ms, 0);
		return;
	}
	l->running = true;
	l->ctl = sv[0];
	log_info("clm-logd started (pid %d)", l->proc.pid);
	for (s = TAILQ_FIRST(&l->streams); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		/* A stream whose run has ended is dropped once sent. */
		send_stream(l, s);
	}
}

static void
logd_kill_cb(uv_timer_t *t)
{
	struct clm_logs	*l = t->data;

	if (l->running)
		uv_process_kill(&l->proc, SIGTERM);
}

struct clm_logs *
logs_new(uv_loop_t *loop, const struct clm_home *home)
{
	struct clm_logs	*l = clm_calloc(1, sizeof *l);

	l->loop = loop;
	l->home = home;
	l->ctl = -1;
	TAILQ_INIT(&l->streams);
	STAILQ_INIT(&l->outq);
	l->runs = nametab_new();
	l->backoff_ms = 100;
	uv_timer_init(loop, &l->timer);
	l->timer.data = l;
	l->handles = 1;
	if ((l->logd = logd_find()) != NULL)
		logd_start(l);
	return l;
}

void
logs_free(struct clm_logs *l)
{
	struct stream	*s;

	ctl_flush(l);	/* what this turn queued, if it fits */
	ctl_drop(l);
	ctl_unwatch(l);
	while ((s = TAILQ_FIRST(&l->streams)) != NULL)
		stream_free(l, s);
	l->closing = true;
	uv_timer_stop(&l->timer);
	if (!l->running) {
		uv_close((uv_handle_t *)&l->timer, logs_handle_closed);
		return;
	}
	/* It exits once every stream has ended; it gets SIGTERM if a stray
	 * writer keeps one open. */
	close(l->ctl);
	l->ctl = -1;
	uv_timer_start(&l->timer, logd_kill_cb, LOGS_STOP_GRACE_MS, 0);
}

/* Without clm-logd: the file itself, by the rules clm-logd keeps (no
 * symbolic link; as root, only in a folder that only root can write). */
static int
open_file(const struct clm_logs *l, const char *path)
{
	struct stat	st;
	int		fd;

	if (geteuid() == 0 && (stat(l->home->logdir, &st) == -1 ||
	    st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)) {
		log_warnx("%s: not opened: the log folder %s is not owned by "
		    "root or others can write it (chown root and chmod go-w "
		    "it, or set another log_dir)", path, l->home->logdir);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY, 0640);
	if (fd == -1)
		log_warn("open %s", path);
	return fd;
}

/* log_date_format as ADD carries it: in hex, a blank after it; NULL. */
static char *
logs_datefmt(const struct clm_app_spec *spec)
{
	const unsigned char	*p;
	char			*hex, *h;

	if (spec->log_date_format == NULL || *spec->log_date_format == '\0')
		return NULL;
	hex = h = clm_malloc(strlen(spec->log_date_format) * 2 + 2);
	for (p = (const unsigned char *)spec->log_date_format; *p != '\0';
	    p++, h += 2)
		snprintf(h, 3, "%02x", *p);
	*h++ = ' ';
	*h = '\0';
	return hex;
}

/* One stream: a pipe whose read end goes to clm-logd (*sp). Returns the
 * write end, or the file itself when clm-logd is not there (*sp NULL). */
static int
attach_one(struct clm_logs *l, const struct clm_app_spec *spec, int slot,
    unsigned long run, const char *which, struct stream **sp)
{
	struct stream	*s;
	char		*path = logs_path(l->home, spec, slot, which), *fmt;
	char		 flags[8];
	int		 p[2];
	bool		 console = spec->log_target == CLM_LOG_STDOUT ||
			    spec->log_target == CLM_LOG_BOTH;

	*sp = NULL;
	if (spec->log_target == CLM_LOG_STDOUT && l->logd != NULL) {
		/* Only the console: clm-logd writes no file. */
		free(path);
		path = clm_strdup("/dev/null");
	} else if (strcmp(path, "/dev/null") == 0) {
		/* Nothing kept: the worker writes straight into the void. */
		free(path);
		return open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	}
	if ((strcmp(which, "out") == 0 ? spec->out_file : spec->error_file) ==
	    NULL && !(spec->log_target == CLM_LOG_STDOUT && l->logd != NULL))
		logs_migrate(l->home->logdir, spec, which, path);
	if (l->logd == NULL || pipe2(p, O_CLOEXEC) == -1) {
		p[1] = open_file(l, path);
		free(path);
		return p[1];
	}
	/* Room for what is written while clm-logd restarts (best effort). */
	(void)fcntl(p[1], F_SETPIPE_SZ, LOGS_PIPE_SIZE);
	s = clm_calloc(1, sizeof *s);
	s->id = clm_asprintf("%s:%d:%lu:%s", spec->name, slot, run, which);
	fmt = logs_datefmt(spec);
	snprintf(flags, sizeof flags, "%s%s%s", fmt != NULL ? "td" :
	    spec->log_time ? "t" : "", console ? "o" : "", console &&
	    spec->log_format == CLM_LOG_JSON ? "j" : "");
	s->msg = clm_asprintf("ADD %s %s %llu %d %s%s", s->id,
	    flags[0] != '\0' ? flags : "-", (unsigned long long)
	    (spec->max_log_size == CLM_UNSET_SIZE || strcmp(path,
	    "/dev/null") == 0 ? 0 : spec->max_log_size),
	    spec->log_retain < 0 ? 0 : spec->log_retain, fmt != NULL ? fmt :
	    "", path);
	free(fmt);
	s->fd = p[0];
	TAILQ_INSERT_TAIL(&l->streams, s, entry);
	send_stream(l, s);
	free(path);
	*sp = s;
	return p[1];
}

/* A run's key in l->runs: its streams' id without :out or :err. */
static char *
run_key(const char *app, int slot, unsigned long run)
{
	return clm_asprintf("%s:%d:%lu", app, slot, run);
}

/* The run's streams, found in constant time: with thousands of workers, a
 * scan of every stream per worker made clm delete all quadratic. */
static void
run_put(struct clm_logs *l, const char *key, struct stream *s)
{
	struct stream	*head = nametab_get(l->runs, key);

	if (s == NULL)
		return;
	s->sib = head;
	nametab_put(l->runs, key, s);
}

int
logs_attach(struct clm_logs *l, const struct clm_app_spec *spec, int slot,
    unsigned long run, int *out, int *err)
{
	struct stream	*so, *se;
	char		*key = run_key(spec->name, slot, run);
	int		 e = 0;

	if ((*out = attach_one(l, spec, slot, run, "out", &so)) == -1)
		e = errno;
	if ((*err = attach_one(l, spec, slot, run, "err", &se)) == -1)
		e = errno;
	run_put(l, key, so);
	run_put(l, key, se);
	free(key);
	errno = e;	/* EMFILE: the caller does not start the worker */
	return *out == -1 || *err == -1 ? -1 : 0;
}

void
logs_pid(struct clm_logs *l, const char *app, int slot, unsigned long run,
    int pid)
{
	struct stream	*s;
	char		*key = run_key(app, slot, run), *msg;

	for (s = nametab_get(l->runs, key); s != NULL && l->ctl != -1;
	    s = s->sib) {
		msg = clm_asprintf("PID %s %d", s->id, pid);
		ctl_send(l, msg, NULL);
	}
	free(key);
}

void
logs_detach(struct clm_logs *l, const char *app, int slot, unsigned long run)
{
	struct stream	*s, *sib;
	char		*key = run_key(app, slot, run);

	s = nametab_get(l->runs, key);
	nametab_del(l->runs, key);
	free(key);
	for (; s != NULL; s = sib) {
		sib = s->sib;
		s->sib = NULL;
		if ((l->ctl == -1 && l->logd != NULL) || s->queued) {
			/* clm-logd is down, or has not got the stream yet:
			 * what the run wrote waits in the pipe until it
			 * takes the stream. */
			s->ended = true;
			continue;
		}
		stream_free(l, s);
	}
}

void
logs_reopen(struct clm_logs *l)
{
	if (l->ctl != -1)
		ctl_send(l, clm_strdup("REOPEN"), NULL);
}

void
logs_export(struct clm_logs *l, struct clm_state *st)
{
	struct stream	*s;
	size_t		 n = 0;

	TAILQ_FOREACH(s, &l->streams, entry)
		n++;
	st->streams = clm_calloc(n + 1, sizeof *st->streams);
	TAILQ_FOREACH(s, &l->streams, entry) {
		st->streams[st->nstreams].id = clm_strdup(s->id);
		st->streams[st->nstreams].msg = clm_strdup(s->msg);
		st->streams[st->nstreams].fd = s->fd;
		st->streams[st->nstreams].ended = s->ended;
		st->nstreams++;
	}
	st->logd_pid = l->running ? l->proc.pid : 0;
}

void
logs_import(struct clm_logs *l, struct clm_state *st)
{
	struct stream	*s;
	char		*key, *colon;
	size_t		 i;

	for (i = 0; i < st->nstreams; i++) {
		s = clm_calloc(1, sizeof *s);
		s->id = st->streams[i].id;
		s->msg = st->streams[i].msg;
		s->fd = st->streams[i].fd;
		s->ended = st->streams[i].ended;
		st->streams[i].id = st->streams[i].msg = NULL;
		TAILQ_INSERT_TAIL(&l->streams, s, entry);
		if (!s->ended && (colon = strrchr(s->id, ':')) != NULL) {
			key = clm_strndup(s->id, (size_t)(colon - s->id));
			run_put(l, key, s);
			free(key);
		}
		/* An ended one is dropped once sent (as in logd_start). */
		send_stream(l, s);
	}
}
