/* clm update: the state handed from one clmd image to the next, and the
 * handshake that proves a binary can take it. */
#include <sys/mman.h>
#include <sys/random.h>

#include <ctype.h>
#include <malloc.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/proto.h"
#include "clm/reaper.h"
#include "clm/upgrade.h"

#define UPGRADE_ANSWER_MAX	256	/* bytes of answer kept */
#define UPGRADE_OUTPUT_MAX	200	/* bytes of stdout/stderr kept */
#define UPGRADE_EXIT_GRACE_MS	1000	/* for the exit status of a refusal */
#define CLM_STATE_TRIM_BYTES	(1 << 20)	/* a state this big: trim after */

struct upgrade_check {
	uv_loop_t		*loop;
	char			*path;
	char			 nonce[33];
	upgrade_check_cb	 cb;
	void			*arg;
	uv_process_t		 proc;
	uv_pipe_t		 answer;
	uv_pipe_t		 output;
	uv_timer_t		 timer;
	int			 open;		/* handles not yet closed */
	bool			 spawned;
	bool			 answer_eof;
	bool			 output_eof;
	bool			 exited;
	bool			 timed_out;
	bool			 grace_over;
	bool			 done;
	int64_t			 status;
	int			 sig;
	char			*cause;		/* set once decided */
	char			 abuf[UPGRADE_ANSWER_MAX + 1];
	size_t			 alen;
	char			 obuf[UPGRADE_OUTPUT_MAX + 1];
	size_t			 olen;
	char			 rbuf[4096];
};

static void
check_close_cb(uv_handle_t *h)
{
	struct upgrade_check	*c = h->data;

	if (--c->open > 0)
		return;
	c->cb(c->arg, c->path, c->cause);
	free(c->cause);
	free(c->path);
	free(c);
}

static void
check_close(struct upgrade_check *c, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, check_close_cb);
}

/* What the binary printed, on one line, for the message. */
static char *
check_said(struct upgrade_check *c)
{
	size_t	i, n = 0;
	char	*s;

	while (n < c->olen && c->obuf[n] != '\n')
		n++;
	if (n == 0)
		return clm_strdup("");
	s = clm_strndup(c->obuf, n);
	for (i = 0; i < n; i++)
		if (!isprint((unsigned char)s[i]))
			s[i] = '?';
	return s;
}

/* Why the binary is refused, from what it did; NULL when it answered
 * as a clmd that takes our state. */
static char *
check_verdict(struct upgrade_check *c)
{
	char		 nonce[64], word[32], version[64], how[64], *said;
	char		*cause;
	long long	 v;
	int		 n = 0;

	if (c->alen > 0 && c->abuf[c->alen - 1] == '\n' &&
	    sscanf(c->abuf, "clmd-upgrade %63s %31s %63s%n", nonce, word,
	    version, &n) == 3 && (size_t)n == c->alen - 1 &&
	    strcmp(nonce, c->nonce) == 0) {
		if (clm_parse_int(word, 0, INT32_MAX, &v) == 0 &&
		    v == CLM_STATE_VERSION)
			return NULL;
		return clm_asprintf("%s is clmd %s, which cannot read the "
		    "state of this clmd (version %d): the daemon stays as it "
		    "is (to run that clmd anyway: clm save, clm kill, "
		    "clm resurrect)", c->path, version,
		    CLM_STATE_VERSION);
	}
	if (c->timed_out)
		snprintf(how, sizeof how, "it did not finish within %d s",
		    CLM_UPGRADE_CHECK_MS / 1000);
	else if (c->exited && c->sig != 0)
		snprintf(how, sizeof how, "it was killed by signal %d",
		    c->sig);
	else if (c->exited)
		snprintf(how, sizeof how, "it exited with status %d",
		    (int)c->status);
	else
		snprintf(how, sizeof how, "it ended");
	said = check_said(c);
	cause = clm_asprintf("%s is not a clmd that can take over from this "
	    "one: %s %s%s%s%s; the daemon stays as it is (give clm update "
	    "--binary the path of a clmd %s or later)", c->path, how,
	    c->alen == 0 ? "without answering the upgrade handshake" :
	    "with a wrong answer to the upgrade handshake",
	    *said != '\0' ? ", saying '" : "", said,
	    *said != '\0' ? "'" : "", CLM_VERSION);
	free(said);
	return cause;
}

/* Decide once: at the end of the answer (and, for a refusal, of the
 * output and the exit, or a grace time, to say why), or at the time
 * limit. */
static void
check_maybe_done(struct upgrade_check *c)
{
	if (c->done)
		return;
	if (!c->timed_out) {
		if (!c->answer_eof)
			return;
		c->cause = check_verdict(c);
		if (c->cause != NULL && !c->grace_over &&
		    (!c->output_eof || !c->exited)) {
			free(c->cause);
			c->cause = NULL;
			return;
		}
	} else
		c->cause = check_verdict(c);
	c->done = true;
	if (c->spawned && !c->exited && c->timed_out)
		uv_process_kill(&c->proc, SIGKILL);
	if (c->spawned) {
		/* Not exited yet: the reaper takes it when it does. */
		reaper_forget(&c->proc);
		check_close(c, (uv_handle_t *)&c->proc);
	}
	check_close(c, (uv_handle_t *)&c->answer);
	check_close(c, (uv_handle_t *)&c->output);
	check_close(c, (uv_handle_t *)&c->timer);
}

static void
check_timer_cb(uv_timer_t *t)
{
	struct upgrade_check	*c = t->data;

	if (c->answer_eof)
		c->grace_over = true;
	else
		c->timed_out = true;
	check_maybe_done(c);
}

static void
check_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct upgrade_check	*c = p->data;

	c->exited = true;
	c->status = status;
	c->sig = sig;
	check_maybe_done(c);
}

static void
check_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct upgrade_check	*c = h->data;

	buf->base = c->rbuf;
	buf->len = sizeof c->rbuf;
}

static void
check_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct upgrade_check	*c = s->data;
	bool			 is_answer = s == (uv_stream_t *)&c->answer;
	char			*into = is_answer ? c->abuf : c->obuf;
	size_t			*len = is_answer ? &c->alen : &c->olen;
	size_t			 max = is_answer ? UPGRADE_ANSWER_MAX :
				    UPGRADE_OUTPUT_MAX, k;

	if (n > 0) {
		k = (size_t)n < max - *len ? (size_t)n : max - *len;
		memcpy(into + *len, buf->base, k);
		*len += k;
		into[*len] = '\0';
		return;
	}
	if (n == 0)
		return;
	uv_read_stop(s);
	if (is_answer) {
		c->answer_eof = true;
		if (!c->done)
			uv_timer_start(&c->timer, check_timer_cb,
			    UPGRADE_EXIT_GRACE_MS, 0);
	} else
		c->output_eof = true;
	check_maybe_done(c);
}

static void
check_nonce(char *hex, size_t size)
{
	unsigned char	r[16];
	uint64_t	t;
	size_t		i;

	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		t = clm_now_ms() ^ ((uint64_t)getpid() << 32);
		for (i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (i * 151);
	}
	for (i = 0; i < sizeof r && 2 * i + 2 < size; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
}

/* Open one end of a fresh pipe as a libuv stream; *child gets the other. */
static int
check_pipe(uv_loop_t *loop, uv_pipe_t *p, int *child)
{
	uv_file	fds[2];
	int	r;

	if ((r = uv_pipe(fds, 0, 0)) != 0)
		return r;
	if ((r = uv_pipe_open(p, fds[0])) != 0) {
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	*child = fds[1];
	return 0;
}

void
upgrade_check(uv_loop_t *loop, const char *path, upgrade_check_cb cb,
    void *arg)
{
	struct upgrade_check	*c;
	uv_process_options_t	 opts;
	uv_stdio_container_t	 stdio[CLM_UPGRADE_ANSWER_FD + 1];
	char			 version[16], *argv[5];
	int			 afd = -1, ofd = -1, r;

	c = clm_calloc(1, sizeof *c);
	c->loop = loop;
	c->path = clm_strdup(path);
	c->cb = cb;
	c->arg = arg;
	check_nonce(c->nonce, sizeof c->nonce);
	uv_pipe_init(loop, &c->answer, 0);
	uv_pipe_init(loop, &c->output, 0);
	uv_timer_init(loop, &c->timer);
	c->answer.data = c->output.data = c->timer.data = c->proc.data = c;
	c->open = 3;
	if ((r = check_pipe(loop, &c->answer, &afd)) != 0 ||
	    (r = check_pipe(loop, &c->output, &ofd)) != 0) {
		c->cause = clm_asprintf("cannot check %s: pipe: %s; the "
		    "daemon stays as it is", path, uv_strerror(r));
		goto fail;
	}
	snprintf(version, sizeof version, "%d", CLM_STATE_VERSION);
	argv[0] = c->path;
	argv[1] = "--check-upgrade";
	argv[2] = version;
	argv[3] = c->nonce;
	argv[4] = NULL;
	memset(&opts, 0, sizeof opts);
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = stdio[2].flags = UV_INHERIT_FD;
	stdio[1].data.fd = stdio[2].data.fd = ofd;
	stdio[CLM_UPGRADE_ANSWER_FD].flags = UV_INHERIT_FD;
	stdio[CLM_UPGRADE_ANSWER_FD].data.fd = afd;
	opts.file = c->path;
	opts.args = argv;
	opts.exit_cb = check_exit_cb;
	opts.stdio = stdio;
	opts.stdio_count = CLM_UPGRADE_ANSWER_FD + 1;
	if ((r = reaper_spawn(loop, &c->proc, &opts)) != 0) {
		c->cause = clm_asprintf("cannot run %s: %s; the daemon stays "
		    "as it is (give clm update --binary the path of a clmd)",
		    path, uv_strerror(r));
		c->open++;	/* a failed spawn's handle is closed too */
		check_close(c, (uv_handle_t *)&c->proc);
		goto fail;
	}
	c->spawned = true;
	c->open++;
	close(afd);
	close(ofd);
	uv_read_start((uv_stream_t *)&c->answer, check_alloc_cb,
	    check_read_cb);
	uv_read_start((uv_stream_t *)&c->output, check_alloc_cb,
	    check_read_cb);
	uv_timer_start(&c->timer, check_timer_cb, CLM_UPGRADE_CHECK_MS, 0);
	return;
fail:
	if (afd != -1)
		close(afd);
	if (ofd != -1)
		close(ofd);
	c->done = true;
	check_close(c, (uv_handle_t *)&c->answer);
	check_close(c, (uv_handle_t *)&c->output);
	check_close(c, (uv_handle_t *)&c->timer);
}

/* clmd --check-upgrade VERSION NONCE, in the new binary. */
int
upgrade_check_answer(int argc, char **argv)
{
	long long	 v;
	bool		 takes;
	char		 line[UPGRADE_ANSWER_MAX];
	int		 n;

	if (argc < 2 || clm_parse_int(argv[0], 0, INT32_MAX, &v) == -1 ||
	    strlen(argv[1]) > 64 || strpbrk(argv[1], " \t\n") != NULL) {
		fprintf(stderr, "clmd: --check-upgrade VERSION NONCE is asked "
		    "by clm update, not by people\n");
		return 2;
	}
	takes = v == CLM_STATE_VERSION;
	if (takes)
		n = snprintf(line, sizeof line, "clmd-upgrade %s %d %s\n",
		    argv[1], CLM_STATE_VERSION, CLM_VERSION);
	else
		n = snprintf(line, sizeof line, "clmd-upgrade %s refuse %s\n",
		    argv[1], CLM_VERSION);
	if (n <= 0 || (size_t)n >= sizeof line ||
	    write(CLM_UPGRADE_ANSWER_FD, line, (size_t)n) != n) {
		fprintf(stderr, "clmd: --check-upgrade: cannot answer on fd "
		    "%d: %s\n", CLM_UPGRADE_ANSWER_FD, strerror(errno));
		return 1;
	}
	printf("clmd %s %s state version %lld\n", CLM_VERSION,
	    takes ? "takes" : "cannot take", v);
	return takes ? 0 : 1;
}

void
upgrade_state_free(struct clm_state *st)
{
	size_t	i, k;

	for (i = 0; i < st->napps; i++) {
		struct clm_state_app	*sa = &st->apps[i];

		if (!st->borrow_specs)
			clm_app_spec_free(sa->spec);
		for (k = 0; k < sa->nlisteners; k++)
			listeners_addr_clear(&sa->listeners[k].addr);
		free(sa->listeners);
		free(sa->listen_fds);
		for (k = 0; k < sa->nworkers; k++)
			free(sa->workers[k].state);
		free(sa->workers);
		for (k = 0; k < sa->nstrays; k++)
			free(sa->strays[k].state);
		free(sa->strays);
	}
	free(st->apps);
	for (i = 0; i < st->nstreams; i++) {
		free(st->streams[i].id);
		free(st->streams[i].msg);
	}
	free(st->streams);
	for (i = 0; i < st->ninherited; i++)
		listeners_addr_clear(&st->inherited[i].addr);
	free(st->inherited);
	free(st->config);
}

/* The state's text into a memfd, through a buffer. */
struct state_out {
	int	fd;
	size_t	len;
	char	buf[65536];
};

static int
state_flush(struct state_out *o)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < o->len) {
		if ((n = write(o->fd, o->buf + off, o->len - off)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	o->len = 0;
	return 0;
}

static int
state_put(void *arg, const char *s, size_t n)
{
	struct state_out	*o = arg;
	size_t			 k;

	while (n > 0) {
		if (o->len == sizeof o->buf && state_flush(o) == -1)
			return -1;
		k = sizeof o->buf - o->len < n ? sizeof o->buf - o->len : n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
	return 0;
}

int
upgrade_state_write(const struct clm_state *st, bool cloexec)
{
	struct state_out	*o;
	int			 fd, err = 0;

	if ((fd = memfd_create("clm-state", cloexec ? MFD_CLOEXEC : 0)) == -1)
		return -1;
	o = clm_malloc(sizeof *o);
	o->fd = fd;
	o->len = 0;
	if (proto_state_write(st, state_put, o) == -1 ||
	    state_flush(o) == -1 || lseek(fd, 0, SEEK_SET) == -1) {
		err = errno != 0 ? errno : EIO;
		close(fd);
		fd = -1;
	}
	free(o);
	errno = err;
	return fd;
}

int
upgrade_state_read(int fd, struct clm_state *st, char **cause)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 r;

	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = clm_realloc(buf, cap);
		}
		n = pread(fd, buf + len, cap - len, (off_t)len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || len + (size_t)n > CLM_DUMP_MAX)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = proto_state_decode(buf, len, st, cause);
	free(buf);
	/* The text and its tree of thousands of apps (tens of MB) are freed:
	 * give the pages back rather than keep them as the daemon's RSS. */
	if (len > CLM_STATE_TRIM_BYTES)
		malloc_trim(0);
	return r;
}

void
upgrade_state_init(struct clm_state *st)
{
	memset(st, 0, sizeof *st);
	st->version = CLM_STATE_VERSION;
	st->ctl_fd = st->client_fd = st->lock_fd = st->keeper_fd = -1;
}

void
upgrade_state_fds(struct clm_state *st, void (*fn)(int *, void *), void *arg)
{
	size_t	i, k;

	fn(&st->ctl_fd, arg);
	fn(&st->lock_fd, arg);
	fn(&st->client_fd, arg);
	fn(&st->keeper_fd, arg);
	for (i = 0; i < st->napps; i++) {
		struct clm_state_app	*sa = &st->apps[i];

		for (k = 0; k < sa->nlisteners; k++)
			fn(&sa->listeners[k].fd, arg);
		for (k = 0; k < sa->nlisten_fds; k++)
			fn(&sa->listen_fds[k], arg);
		for (k = 0; k < sa->nworkers; k++) {
			fn(&sa->workers[k].chan_fd, arg);
			fn(&sa->workers[k].pidfd, arg);
		}
		for (k = 0; k < sa->nstrays; k++) {
			fn(&sa->strays[k].chan_fd, arg);
			fn(&sa->strays[k].pidfd, arg);
		}
	}
	for (i = 0; i < st->nstreams; i++)
		fn(&st->streams[i].fd, arg);
	for (i = 0; i < st->ninherited; i++)
		fn(&st->inherited[i].fd, arg);
}

static void
set_cloexec(int *fdp, void *arg)
{
	bool	on = *(bool *)arg;
	int	flags;

	if (*fdp < 0 || (flags = fcntl(*fdp, F_GETFD)) == -1)
		return;
	fcntl(*fdp, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

void
upgrade_state_cloexec(const struct clm_state *st, bool on)
{
	upgrade_state_fds((struct clm_state *)st, set_cloexec, &on);
}
