/* clm-keeper: the descriptors and the state a crash of clmd must not lose
 * (see clm/keeper.h): clmd's side, and the keeper process. */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clm/keeper.h"
#include "clm/limits.h"
#include "clm/log.h"
#include "clm/proto.h"
#include "clm/reaper.h"
#include "clm/upgrade.h"

#define KEEPER_FDS_MAX		200	/* descriptors per message */
#define KEEPER_NUMS_MAX		1000	/* numbers per KEEP message */
#define KEEPER_MSG_MAX		16384
#define KEEPER_RESTART_MAX_MS	5000	/* clmd restarting the keeper */
#define KEEPER_TAKE_WAIT_MS	10000	/* for the clmd it started */
#define KEEPER_SPAWN_MAX_MS	60000
#define KEEPER_CHECKPOINT_MAX_MS 2000	/* the most a state may wait */
#define KEEPER_COALESCE_MS	20	/* the least between two states */
#define KEEPER_ACK_WAIT_MS	1000	/* for OK (an older keeper says none) */
#define KEEPER_BYE_WAIT_MS	2000	/* for it to exit after BYE */

char *
keeper_sock_path(const struct clm_home *home)
{
	return clm_asprintf("%s/keeper.sock", home->dir);
}

char *
keeper_state_path(const struct clm_home *home)
{
	return clm_asprintf("%s/clmd.state", home->dir);
}

/* ---- messages with descriptors ---- */

static int
kmsg_send(int s, const char *msg, const int *fds, size_t nfds, int flags)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * KEEPER_FDS_MAX)];
	} cbuf;
	struct msghdr	 m;
	struct iovec	 iov;
	struct cmsghdr	*c;
	ssize_t		 n;

	memset(&m, 0, sizeof m);
	iov.iov_base = (void *)msg;
	iov.iov_len = strlen(msg);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof cbuf);
		m.msg_control = cbuf.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(s, &m, MSG_NOSIGNAL | flags);
	while (n == -1 && errno == EINTR);
	return n == -1 ? -1 : 0;
}

/* One message: its length (0: the peer has gone), and the descriptors it
 * carried (close-on-exec). -1 with errno. */
static ssize_t
kmsg_recv(int s, char *buf, size_t size, int *fds, size_t *nfds, int flags)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * KEEPER_FDS_MAX)];
	} cbuf;
	struct msghdr	 m;
	struct iovec	 iov;
	struct cmsghdr	*c;
	ssize_t		 n;
	size_t		 k;

	*nfds = 0;
	memset(&m, 0, sizeof m);
	iov.iov_base = buf;
	iov.iov_len = size - 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf.buf;
	m.msg_controllen = sizeof cbuf.buf;
	do
		n = recvmsg(s, &m, MSG_CMSG_CLOEXEC | flags);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (*nfds + k > KEEPER_FDS_MAX)
			k = KEEPER_FDS_MAX - *nfds;
		memcpy(fds + *nfds, CMSG_DATA(c), k * sizeof(int));
		*nfds += k;
	}
	return n;
}

/* The numbers after a message's word: up to max, -1 if one is bad. */
static int
kmsg_numbers(const char *msg, int *out, size_t max, size_t *n)
{
	const char	*p = strchr(msg, ' ');
	char		*end;
	long		 v;

	*n = 0;
	while (p != NULL && *p == ' ') {
		v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v < 0 || v > (1 << 24) || *n == max)
			return -1;
		out[(*n)++] = (int)v;
		p = end;
	}
	return p == NULL || *p == '\0' ? 0 : -1;
}

/* Descriptors by number: the keeper's, and a new clmd's from it. */
struct kfd {
	int	num;	/* in clmd */
	int	fd;	/* ours; -1: moved */
	size_t	seq;	/* staging: the order it came in */
};

struct kset {
	struct kfd	*v;
	size_t		 n, cap;
};

static int
kfd_cmp(const void *a, const void *b)
{
	const struct kfd	*x = a, *y = b;

	if (x->num != y->num)
		return (x->num > y->num) - (x->num < y->num);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The entry for num in a set sorted by number, each once; NULL. */
static struct kfd *
kset_find(struct kset *s, int num)
{
	size_t	lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->v[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->v[lo].num == num ? &s->v[lo] : NULL;
}

/* ---- clmd's side ---- */

struct sent {
	int	num;
	dev_t	dev;
	ino_t	ino;
};

struct clm_keeper {
	uv_loop_t		*loop;
	const struct clm_home	*home;
	char			*exe;
	char			*config;
	bool			 foreground;
	keeper_export_cb	 export;
	void			*arg;
	int			 conn;		/* -1: no keeper now */
	uv_poll_t		*poll;		/* on conn: its death */
	uv_process_t		*proc;		/* one we started */
	uv_timer_t		*timer;		/* checkpoint, or restart */
	char			*rbuf;		/* KEEPER_MSG_MAX */
	bool			 dirty;
	bool			 inflight;	/* a state sent, not yet OK'd */
	uint32_t		 backoff_ms;
	uint64_t		 next_ms;	/* loop time: the next state */
	struct sent		*sent;		/* what the keeper holds */
	size_t			 nsent;
};

static void	keeper_connect(struct clm_keeper *);

static void
free_cb(uv_handle_t *h)
{
	free(h);
}

static void
proc_close_cb(uv_handle_t *h)
{
	free(h);
}

static void
keeper_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct clm_keeper	*k = p->data;

	if (k != NULL)
		k->proc = NULL;
	uv_close((uv_handle_t *)p, proc_close_cb);
}

/* The keeper has gone (or we close): forget what it held. */
static void
keeper_disconnect(struct clm_keeper *k)
{
	if (k->poll != NULL)
		uv_close((uv_handle_t *)k->poll, free_cb);
	k->poll = NULL;
	if (k->conn != -1)
		close(k->conn);
	k->conn = -1;
	free(k->sent);
	k->sent = NULL;
	k->nsent = 0;
}

static void	keeper_timer_cb(uv_timer_t *);
static int	sent_cmp(const void *, const void *);

/* "HELD NUM DEV INO...": descriptors the keeper holds (after HELLO, for
 * a clmd that took over: what it need not send again). */
static void
keeper_held(struct clm_keeper *k, const char *msg)
{
	const char		*p = msg + 4;
	char			*end;
	unsigned long long	 v[3];
	int			 j;

	for (;;) {
		for (j = 0; j < 3; j++) {
			if (*p != ' ')
				return;
			v[j] = strtoull(p + 1, &end, 10);
			if (end == p + 1)
				return;
			p = end;
		}
		if (v[0] > (1 << 24))
			return;
		k->sent = clm_realloc(k->sent, (k->nsent + 1) *
		    sizeof *k->sent);
		k->sent[k->nsent].num = (int)v[0];
		k->sent[k->nsent].dev = (dev_t)v[1];
		k->sent[k->nsent].ino = (ino_t)v[2];
		k->nsent++;
	}
}

/* Until the next state may go. */
static uint64_t
keeper_wait_ms(const struct clm_keeper *k)
{
	uint64_t	now = uv_now(k->loop);

	return k->next_ms > now ? k->next_ms - now : 0;
}

static void
keeper_schedule(struct clm_keeper *k, uint64_t ms)
{
	if (!uv_is_active((uv_handle_t *)k->timer))
		uv_timer_start(k->timer, keeper_timer_cb, ms, 0);
}

static void
keeper_poll_cb(uv_poll_t *p, int status, int events)
{
	struct clm_keeper	*k = p->data;
	char			*buf = k->rbuf;
	ssize_t			 n;

	while ((n = recv(k->conn, buf, KEEPER_MSG_MAX - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		if (strncmp(buf, "HELD ", 5) == 0) {
			keeper_held(k, buf);
			continue;
		}
		if (k->inflight && (strcmp(buf, "OK") == 0 ||
		    strcmp(buf, "HELD.") == 0)) {
			/* Committed (or, after HELLO, what the keeper holds
			 * is known): the next state may go. */
			if (k->nsent > 1)
				qsort(k->sent, k->nsent, sizeof *k->sent,
				    sent_cmp);
			k->inflight = false;
			uv_timer_stop(k->timer);
			if (k->dirty)
				keeper_schedule(k, keeper_wait_ms(k));
		}
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	log_warnx("clm-keeper has gone%s; starting another in %u ms",
	    k->proc != NULL ? "" : " (not our child)", k->backoff_ms);
	keeper_disconnect(k);
	k->inflight = false;
	uv_timer_stop(k->timer);
	uv_timer_start(k->timer, keeper_timer_cb, k->backoff_ms, 0);
	k->backoff_ms = k->backoff_ms * 2 > KEEPER_RESTART_MAX_MS ?
	    KEEPER_RESTART_MAX_MS : k->backoff_ms * 2;
}

/* Start a keeper, with a socket pair to it as its fd 3. */
static int
keeper_spawn(struct clm_keeper *k)
{
	uv_process_options_t	 opts;
	uv_stdio_container_t	 stdio[4];
	char			*path, *argv[4];
	int			 sv[2], logfd, r;

	if ((path = clm_helper_path("clm-keeper")) == NULL) {
		log_warnx("clm-keeper not found: a crash of clmd would leave "
		    "the workers unmanaged");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("clm-keeper: socketpair");
		free(path);
		return -1;
	}
	logfd = open(k->home->logfile, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, 0600);
	argv[0] = path;
	argv[1] = keeper_sock_path(k->home);
	argv[2] = keeper_state_path(k->home);
	argv[3] = NULL;
	memset(&opts, 0, sizeof opts);
	memset(stdio, 0, sizeof stdio);
	opts.file = path;
	opts.args = argv;
	opts.exit_cb = keeper_exit_cb;
	/* Its own session: a stop of the workers does not reach it. */
	opts.flags = UV_PROCESS_DETACHED;
	stdio[0].flags = stdio[1].flags = UV_IGNORE;
	stdio[2].flags = logfd == -1 ? UV_IGNORE : UV_INHERIT_FD;
	stdio[2].data.fd = logfd;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = sv[1];
	opts.stdio = stdio;
	opts.stdio_count = 4;
	k->proc = clm_calloc(1, sizeof *k->proc);
	k->proc->data = k;
	r = reaper_spawn(k->loop, k->proc, &opts);
	close(sv[1]);
	if (logfd != -1)
		close(logfd);
	if (r != 0) {
		log_warnx("cannot start %s: %s", path, uv_strerror(r));
		uv_close((uv_handle_t *)k->proc, proc_close_cb);
		k->proc = NULL;
		close(sv[0]);
	} else {
		log_info("clm-keeper started (pid %d)", k->proc->pid);
		k->conn = sv[0];
	}
	free(argv[1]);
	free(argv[2]);
	free(path);
	return r == 0 ? 0 : -1;
}

/* Watch the connection, say who we are, send everything. */
static void
keeper_connect(struct clm_keeper *k)
{
	char	*hello;

	k->poll = clm_calloc(1, sizeof *k->poll);
	if (uv_poll_init(k->loop, k->poll, k->conn) != 0) {
		log_warnx("clm-keeper: cannot watch fd %d", k->conn);
		free(k->poll);
		k->poll = NULL;
		close(k->conn);
		k->conn = -1;
		keeper_schedule(k, KEEPER_RESTART_MAX_MS);
		return;
	}
	k->poll->data = k;
	uv_poll_start(k->poll, UV_READABLE | UV_DISCONNECT, keeper_poll_cb);
	hello = clm_asprintf("HELLO %ld %d %s\n%s", (long)getpid(),
	    k->foreground, k->exe != NULL ? k->exe : "clmd",
	    k->config != NULL ? k->config : "");
	if (kmsg_send(k->conn, hello, NULL, 0, MSG_DONTWAIT) == -1)
		log_warn("clm-keeper: HELLO");
	free(hello);
	/* The first state when the keeper has said what it holds (HELD...
	 * HELD.; a keeper older than that says nothing: everything goes,
	 * after KEEPER_ACK_WAIT_MS). */
	k->dirty = true;
	k->inflight = true;
	uv_timer_stop(k->timer);
	uv_timer_start(k->timer, keeper_timer_cb, KEEPER_ACK_WAIT_MS, 0);
}

/* The fds a state names (each once after fdlist_sort()). */
struct fdlist {
	struct sent	*v;
	size_t		 n, cap;
};

static void
fdlist_add(int *fdp, void *arg)
{
	struct fdlist	*l = arg;
	struct stat	 sb;

	if (*fdp < 0 || fstat(*fdp, &sb) == -1)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = clm_realloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].num = *fdp;
	l->v[l->n].dev = sb.st_dev;
	l->v[l->n].ino = sb.st_ino;
	l->n++;
}

static int
sent_cmp(const void *a, const void *b)
{
	const struct sent	*x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* In order of number, each once. */
static void
fdlist_sort(struct fdlist *l)
{
	size_t	i, n = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, sent_cmp);
	for (i = 0; i < l->n; i++) {
		if (n == 0 || l->v[n - 1].num != l->v[i].num)
			l->v[n++] = l->v[i];
	}
	l->n = n;
}

/* Does the keeper hold this very descriptor under this number? */
static bool
keeper_holds(const struct clm_keeper *k, const struct sent *s)
{
	const struct sent	*h;

	if (k->nsent == 0)
		return false;
	h = bsearch(s, k->sent, k->nsent, sizeof *s, sent_cmp);
	return h != NULL && h->dev == s->dev && h->ino == s->ino;
}

/* Send a list of numbers as WORD N N N..., in pieces; *done: how many
 * of v went in whole messages. */
static int
send_numbers(int conn, const char *word, const struct sent *v, size_t n,
    size_t per, const bool *pick, bool with_fds, size_t *done)
{
	char	msg[KEEPER_MSG_MAX];
	int	fds[KEEPER_FDS_MAX];
	size_t	i = 0, len, nf;

	*done = 0;
	if (with_fds && per > KEEPER_FDS_MAX)
		per = KEEPER_FDS_MAX;
	while (i < n) {
		len = (size_t)snprintf(msg, sizeof msg, "%s", word);
		nf = 0;
		for (; i < n && nf < per; i++) {
			if (pick != NULL && !pick[i])
				continue;
			len += (size_t)snprintf(msg + len, sizeof msg - len,
			    " %d", v[i].num);
			if (with_fds)	/* per <= KEEPER_FDS_MAX then */
				fds[nf] = v[i].num;
			nf++;
		}
		if (nf > 0 && kmsg_send(conn, msg, fds, with_fds ? nf : 0,
		    MSG_DONTWAIT) == -1)
			return -1;
		*done = i;
	}
	return 0;
}

/* Send the state as it is now: the new descriptors, the numbers it
 * names, the state itself. */
static int
keeper_checkpoint(struct clm_keeper *k)
{
	struct clm_state	 st;
	struct fdlist		 l = { 0 };
	bool			*pick = NULL;
	size_t			 i, done = 0, skip;
	int			 mfd = -1, r = -1;

	upgrade_state_init(&st);
	/* Written and freed right here: no copy of every app's options. */
	st.borrow_specs = true;
	if (k->export(k->arg, &st) == -1) {
		upgrade_state_free(&st);
		return -1;
	}
	st.keeper_fd = -1;	/* the next clmd gets its own */
	st.client_fd = -1;
	mfd = upgrade_state_write(&st, true);
	upgrade_state_fds(&st, fdlist_add, &l);
	upgrade_state_free(&st);
	if (mfd == -1)
		goto out;
	fdlist_sort(&l);
	pick = clm_calloc(l.n + 1, sizeof *pick);
	for (i = 0; i < l.n; i++)
		pick[i] = !keeper_holds(k, &l.v[i]);
	if (send_numbers(k->conn, "FDS", l.v, l.n, KEEPER_FDS_MAX, pick,
	    true, &done) == -1) {
		/* What went is the keeper's now (until its next state). */
		for (i = 0; i < done; i++) {
			if (!pick[i])
				continue;
			k->sent = clm_realloc(k->sent, (k->nsent + 1) *
			    sizeof *k->sent);
			k->sent[k->nsent++] = l.v[i];
		}
		if (k->nsent > 1)
			qsort(k->sent, k->nsent, sizeof *k->sent, sent_cmp);
		goto out;
	}
	if (send_numbers(k->conn, "KEEP", l.v, l.n, KEEPER_NUMS_MAX, NULL,
	    false, &skip) == -1 ||
	    kmsg_send(k->conn, "STATE", &mfd, 1, MSG_DONTWAIT) == -1)
		goto out;
	free(k->sent);
	k->sent = l.v;
	k->nsent = l.n;
	l.v = NULL;
	r = 0;
out:
	if (r == -1 && errno != EAGAIN)
		log_warn("clm-keeper: cannot send the state");
	if (mfd != -1)
		close(mfd);
	free(pick);
	free(l.v);
	return r;
}

static void
keeper_timer_cb(uv_timer_t *t)
{
	struct clm_keeper	*k = t->data;
	uint64_t		 t0 = uv_hrtime(), gap;

	if (k->conn == -1) {
		if (keeper_spawn(k) == 0)
			keeper_connect(k);
		else
			uv_timer_start(k->timer, keeper_timer_cb,
			    KEEPER_RESTART_MAX_MS, 0);
		return;
	}
	/* No OK within KEEPER_ACK_WAIT_MS: a keeper older than OK, or a
	 * stuck one (then the sends fail with EAGAIN): go on. */
	k->inflight = false;
	if (!k->dirty)
		return;
	if (keeper_wait_ms(k) > 0) {
		uv_timer_start(k->timer, keeper_timer_cb, keeper_wait_ms(k), 0);
		return;
	}
	k->dirty = false;
	if (keeper_checkpoint(k) == -1) {
		/* The keeper is busy (or stopped): again a little later. */
		k->dirty = true;
		uv_timer_start(k->timer, keeper_timer_cb, 50, 0);
		return;
	}
	/* One state at a time: the next, with every change made meanwhile,
	 * when the keeper has committed this one (OK), and a big state at
	 * most every ten times what it costs. */
	k->inflight = true;
	gap = (uv_hrtime() - t0) / 100000;
	gap = gap < KEEPER_COALESCE_MS ? KEEPER_COALESCE_MS :
	    gap > KEEPER_CHECKPOINT_MAX_MS ? KEEPER_CHECKPOINT_MAX_MS : gap;
	uv_update_time(k->loop);
	k->next_ms = uv_now(k->loop) - (uv_hrtime() - t0) / 1000000 + gap;
	uv_timer_start(k->timer, keeper_timer_cb, KEEPER_ACK_WAIT_MS, 0);
	k->backoff_ms = 100;
}

struct clm_keeper *
keeper_start(uv_loop_t *loop, const struct clm_home *home, int conn,
    const char *exe, const char *config, bool foreground,
    keeper_export_cb export, void *arg)
{
	struct clm_keeper	*k = clm_calloc(1, sizeof *k);

	k->loop = loop;
	k->home = home;
	k->exe = clm_strdup(exe);
	k->config = clm_strdup(config);
	k->foreground = foreground;
	k->export = export;
	k->arg = arg;
	k->backoff_ms = 100;
	k->rbuf = clm_malloc(KEEPER_MSG_MAX);
	k->timer = clm_calloc(1, sizeof *k->timer);
	uv_timer_init(loop, k->timer);
	k->timer->data = k;
	k->conn = conn;
	if (k->conn != -1 || keeper_spawn(k) == 0)
		keeper_connect(k);
	else
		keeper_schedule(k, KEEPER_RESTART_MAX_MS);
	return k;
}

void
keeper_changed(struct clm_keeper *k)
{
	if (k == NULL)
		return;
	k->dirty = true;
	if (k->conn != -1 && !k->inflight)
		keeper_schedule(k, keeper_wait_ms(k));
}

int
keeper_fd(struct clm_keeper *k)
{
	return k != NULL ? k->conn : -1;
}

void
keeper_stop(struct clm_keeper *k, bool bye)
{
	if (k == NULL)
		return;
	if (bye && k->conn != -1) {
		struct pollfd	pfd = { k->conn, POLLIN, 0 };
		char		c;

		/* Wait until it has let go of everything (the lock first):
		 * a clmd started right after us must not find it held. */
		if (kmsg_send(k->conn, "BYE", NULL, 0, MSG_DONTWAIT) == -1)
			log_warn("clm-keeper: BYE");
		else if (poll(&pfd, 1, KEEPER_BYE_WAIT_MS) != 1 ||
		    recv(k->conn, &c, 1, MSG_DONTWAIT) != 0)
			log_warnx("clm-keeper did not exit within %d ms",
			    KEEPER_BYE_WAIT_MS);
	}
	if (!bye)
		k->conn = -1;	/* clm update: the new image keeps it */
	keeper_disconnect(k);
	if (k->proc != NULL) {
		/* It goes by itself: the reaper takes it. */
		reaper_forget(k->proc);
		k->proc->data = NULL;
		uv_close((uv_handle_t *)k->proc, proc_close_cb);
	}
	uv_close((uv_handle_t *)k->timer, free_cb);
	free(k->exe);
	free(k->config);
	free(k->rbuf);
	free(k);
}

/* ---- a new clmd takes a dead one's state ---- */

/* The old clmd's number of each descriptor, ours, and whether the state
 * names it; sorted by the old number. */
struct renumber {
	struct kfd	*v;
	size_t		 n;
};

static void
renumber_fd(int *fdp, void *arg)
{
	const struct renumber	*r = arg;
	struct kset		 s = { r->v, r->n, r->n };
	struct kfd		*f;

	if (*fdp < 0)
		return;
	if ((f = kset_find(&s, *fdp)) == NULL) {
		*fdp = -1;	/* the keeper did not have it */
		return;
	}
	*fdp = f->fd;
	f->seq = 1;	/* used */
}

/* Tell the keeper our number of each descriptor it handed over and the
 * state names: "RENUM OLD NEW...", "RENUMBERED"; the others it closes. */
static void
keeper_renumber(int s, const struct kset *got)
{
	char	msg[KEEPER_MSG_MAX];
	size_t	i = 0, len, n;

	while (i < got->n) {
		len = (size_t)snprintf(msg, sizeof msg, "RENUM");
		for (n = 0; i < got->n && n < KEEPER_NUMS_MAX / 2; i++) {
			if (got->v[i].seq == 0)
				continue;
			len += (size_t)snprintf(msg + len, sizeof msg - len,
			    " %d %d", got->v[i].num, got->v[i].fd);
			n++;
		}
		if (n > 0 && kmsg_send(s, msg, NULL, 0, 0) == -1)
			goto fail;
	}
	if (kmsg_send(s, "RENUMBERED", NULL, 0, 0) == 0)
		return;
fail:
	log_warn("clm-keeper: RENUM");
}

int
keeper_take(const struct clm_home *home, struct clm_state *st, int *conn,
    char **cause)
{
	struct sockaddr_un	 sa;
	struct timeval		 tv = { 10, 0 };
	struct renumber		 rn;
	char			*path = keeper_sock_path(home), *buf;
	struct kset		 got = { 0 };
	bool			 renum = false;
	int			 fds[KEEPER_FDS_MAX];
	int			 nums[KEEPER_FDS_MAX], s, r = 0, mfd = -1, sfd;
	size_t			 nfds, nnums, i;
	ssize_t			 len;

	*conn = -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		free(path);
		return 0;
	}
	memcpy(sa.sun_path, path, strlen(path));
	free(path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) == -1) {
		close(s);
		return 0;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	buf = clm_malloc(KEEPER_MSG_MAX);
	/* RENUM: we can tell it our numbers of what it hands over. */
	snprintf(buf, KEEPER_MSG_MAX, "TAKE %ld RENUM", (long)getpid());
	if (kmsg_send(s, buf, NULL, 0, 0) == -1)
		goto out;
	for (;;) {
		len = kmsg_recv(s, buf, KEEPER_MSG_MAX, fds, &nfds, 0);
		if (len <= 0)
			break;
		if (strncmp(buf, "BUSY ", 5) == 0) {
			*cause = clm_asprintf("another clmd (pid %s) is "
			    "running for %s", buf + 5, home->dir);
			r = -1;
		} else if (strncmp(buf, "FDS ", 4) == 0 &&
		    kmsg_numbers(buf, nums, KEEPER_FDS_MAX, &nnums) == 0 &&
		    nnums == nfds) {
			if (got.n + nfds > got.cap) {
				got.cap = (got.n + nfds) * 2;
				got.v = clm_realloc(got.v, got.cap *
				    sizeof *got.v);
			}
			for (i = 0; i < nfds; i++) {
				got.v[got.n].num = nums[i];
				got.v[got.n].fd = fds[i];
				got.v[got.n].seq = 0;
				got.n++;
			}
			continue;
		} else if ((strcmp(buf, "STATE") == 0 ||
		    strcmp(buf, "STATE RENUM") == 0) && nfds == 1) {
			mfd = fds[0];
			renum = buf[5] != '\0';
		}
		for (i = 0; i < nfds; i++) {
			if (fds[i] != mfd)
				close(fds[i]);
		}
		break;
	}
	if (r == -1 || mfd == -1)
		goto out;
	sfd = mfd;
	mfd = -1;
	if (upgrade_state_read(sfd, st, cause) == -1) {
		char	*why = *cause;

		*cause = clm_asprintf("the state clm-keeper kept: %s", why);
		free(why);
		r = -1;
		goto out;
	}
	if (got.n > 1)
		qsort(got.v, got.n, sizeof *got.v, kfd_cmp);
	rn.v = got.v;
	rn.n = got.n;
	upgrade_state_fds(st, renumber_fd, &rn);
	/* What the state does not name is not ours to keep. */
	for (i = 0; i < got.n; i++) {
		if (got.v[i].seq == 0)
			close(got.v[i].fd);
	}
	/* The keeper keeps the rest under our numbers: nothing is sent to
	 * it again (twice the descriptors may not fit in its limit). */
	if (renum)
		keeper_renumber(s, &got);
	*conn = s;
	s = -1;
	got.n = 0;
	r = 1;
out:
	for (i = 0; i < got.n; i++)
		close(got.v[i].fd);
	if (s != -1)
		close(s);
	if (mfd != -1)
		close(mfd);
	free(got.v);
	free(buf);
	return r;
}

/* ---- clmd and the keeper both died ---- */

/* Is pid a worker app:slot (its environment says so), alive? */
static bool
orphan_is(int pid, const char *app, int slot)
{
	char	 path[64], *buf, *p, *want, *inst;
	bool	 name = false, slotok = false;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof path, "/proc/%d/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	buf = clm_malloc(65536);
	while (len < 65535 && (n = read(fd, buf + len, 65535 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	want = clm_asprintf("CLM_APP_NAME=%s", app);
	inst = clm_asprintf("CLM_INSTANCE=%d", slot);
	for (p = buf; p < buf + len; p += strlen(p) + 1) {
		name = name || strcmp(p, want) == 0;
		slotok = slotok || strcmp(p, inst) == 0;
	}
	free(want);
	free(inst);
	free(buf);
	return name && slotok;
}

/* When the machine started (seconds since the epoch), or 0. */
static time_t
boot_time(void)
{
	char		 line[256];
	long long	 t = 0;
	FILE		*f = fopen("/proc/stat", "re");

	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "btime %lld", &t) == 1)
			break;
	}
	if (f != NULL)
		fclose(f);
	return (time_t)t;
}

bool
keeper_state_left(const struct clm_home *home)
{
	char		*path = keeper_state_path(home);
	struct stat	 sb;
	bool		 left;

	left = stat(path, &sb) == 0 && sb.st_mtime >= boot_time();
	free(path);
	return left;
}

struct orphan {
	int		 pid;
	int		 pidfd;
	const char	*app;
	int		 slot;
};

void
keeper_stop_orphans(const struct clm_home *home)
{
	struct clm_state	 st;
	struct orphan		*o = NULL;
	struct pollfd		*pfd;
	struct stat		 sb;
	char			*path = keeper_state_path(home), *cause = NULL;
	size_t			 i, k, n = 0, left;
	uint64_t		 deadline, grace = 0, now;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		free(path);
		return;
	}
	if (fstat(fd, &sb) == -1 || sb.st_mtime < boot_time()) {
		/* From before the machine started: nothing of it runs. */
		close(fd);
		unlink(path);
		free(path);
		return;
	}
	if (upgrade_state_read(fd, &st, &cause) == -1) {
		log_warnx("%s: %s", path, cause);
		free(cause);
		upgrade_state_free(&st);
		unlink(path);
		free(path);
		return;
	}
	for (i = 0; i < st.napps; i++) {
		struct clm_state_app	*sa = &st.apps[i];

		for (k = 0; k < sa->nworkers; k++) {
			struct clm_state_worker	*sw = &sa->workers[k];

			if (sw->pid <= 0 || (sw->start_time != 0 &&
			    reaper_start_time(sw->pid) != sw->start_time) ||
			    !orphan_is(sw->pid, sa->spec->name, sw->slot))
				continue;
			o = clm_realloc(o, (n + 1) * sizeof *o);
			o[n].pid = sw->pid;
			o[n].pidfd = reaper_pidfd(sw->pid);
			o[n].app = sa->spec->name;
			o[n].slot = sw->slot;
			n++;
			log_warnx("%s:%d: pid %d was left running by a clmd "
			    "that died with its clm-keeper; its channel and "
			    "log pipes are gone: stopping it (%s)",
			    sa->spec->name, sw->slot, sw->pid,
			    clm_signal_name(sa->spec->kill_signal));
			if (kill(-sw->pid, sa->spec->kill_signal) == -1)
				kill(sw->pid, sa->spec->kill_signal);
			if (sa->spec->kill_timeout_ms > grace)
				grace = sa->spec->kill_timeout_ms;
		}
	}
	/* Wait for them, up to the longest kill_timeout; then SIGKILL. */
	pfd = clm_calloc(n + 1, sizeof *pfd);
	deadline = clm_now_ms() + grace;
	for (;;) {
		for (i = 0, left = 0; i < n; i++) {
			pfd[i].fd = o[i].pidfd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			left += o[i].pidfd != -1;
		}
		now = clm_now_ms();
		if (left == 0 || now >= deadline)
			break;
		if (poll(pfd, n, (int)(deadline - now)) > 0) {
			for (i = 0; i < n; i++) {
				if (o[i].pidfd != -1 && pfd[i].revents != 0) {
					close(o[i].pidfd);
					o[i].pidfd = -1;
				}
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (o[i].pidfd == -1)
			continue;
		log_warnx("%s:%d: pid %d still running: SIGKILL", o[i].app,
		    o[i].slot, o[i].pid);
		if (kill(-o[i].pid, SIGKILL) == -1)
			kill(o[i].pid, SIGKILL);
		close(o[i].pidfd);
	}
	if (n > 0)
		log_info("stopped %zu worker%s that a dead clmd and clm-keeper "
		    "left (see %s)", n, n == 1 ? "" : "s", path);
	free(pfd);
	free(o);
	upgrade_state_free(&st);
	unlink(path);
	free(path);
}

/* ---- the keeper process ---- */

struct keeper_proc {
	const char	*sock_path;
	const char	*state_path;
	int		 lsock;
	int		 conn;		/* the clmd we keep for; -1 */
	long		 pid;		/* its pid */
	bool		 foreground;
	char		*exe;
	char		*config;
	struct kset	 held;		/* the last state's descriptors */
	int		 state;		/* its memfd; -1 */
	struct kset	 staging;	/* sent since */
	struct kset	 renum;		/* RENUM: num old, fd new number */
	int		*keep;
	size_t		 nkeep, capkeep;
	uint64_t	 spawn_at;	/* when to start a clmd; 0: not */
	uint32_t	 spawn_gap;
};

static void
klog(const char *fmt, ...)
{
	char		 stamp[40], line[1024];
	struct timespec	 ts;
	struct tm	 tm;
	va_list		 ap;
	int		 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "%s.%03ldZ clm-keeper[%ld]: ", stamp,
	    ts.tv_nsec / 1000000, (long)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) == -1)
		(void)0;
}

/* Sent since the last state: appended (a number sent again is the
 * later one); sorted at the commit. */
static void
kset_add(struct kset *s, int num, int fd)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = clm_realloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n].num = num;
	s->v[s->n].fd = fd;
	s->v[s->n].seq = s->n;
	s->n++;
}

static int
int_cmp(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void
kset_clear(struct kset *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i].fd != -1)
			close(s->v[i].fd);
	}
	s->n = 0;
}

/* STATE: the kept numbers, from what was sent since or held before; the
 * rest is closed. O(n log n): a state may name tens of thousands. */
static void
keeper_commit(struct keeper_proc *kp, int mfd)
{
	struct kset	 next = { 0 };
	struct kfd	*f;
	size_t		 i, n;

	/* The staging set by number, the last sent of each kept. */
	if (kp->staging.n > 1)
		qsort(kp->staging.v, kp->staging.n, sizeof *kp->staging.v,
		    kfd_cmp);
	for (i = 0, n = 0; i < kp->staging.n; i++) {
		if (i + 1 < kp->staging.n &&
		    kp->staging.v[i + 1].num == kp->staging.v[i].num) {
			close(kp->staging.v[i].fd);
			continue;
		}
		kp->staging.v[n++] = kp->staging.v[i];
	}
	kp->staging.n = n;
	if (kp->nkeep > 1)
		qsort(kp->keep, kp->nkeep, sizeof *kp->keep, int_cmp);
	next.cap = kp->nkeep + 1;
	next.v = clm_calloc(next.cap, sizeof *next.v);
	for (i = 0; i < kp->nkeep; i++) {
		if (i > 0 && kp->keep[i] == kp->keep[i - 1])
			continue;
		if ((f = kset_find(&kp->staging, kp->keep[i])) == NULL &&
		    (f = kset_find(&kp->held, kp->keep[i])) == NULL)
			continue;
		/* In order of number: next is sorted as held must be. */
		next.v[next.n].num = f->num;
		next.v[next.n].fd = f->fd;
		next.v[next.n].seq = 0;
		next.n++;
		f->fd = -1;
	}
	kset_clear(&kp->staging);
	kset_clear(&kp->held);
	free(kp->held.v);
	kp->held = next;
	kp->nkeep = 0;
	if (kp->state != -1)
		close(kp->state);
	kp->state = mfd;
}

/* The state, for a clmd that starts when this keeper is gone too. */
static void
keeper_write_state(struct keeper_proc *kp)
{
	char	 buf[65536], *tmp;
	ssize_t	 n;
	off_t	 off = 0;
	int	 fd;

	tmp = clm_asprintf("%s.tmp", kp->state_path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		free(tmp);
		return;
	}
	while ((n = pread(kp->state, buf, sizeof buf, off)) > 0) {
		if (write(fd, buf, (size_t)n) != n)
			break;
		off += n;
	}
	close(fd);
	if (n != 0 || rename(tmp, kp->state_path) == -1)
		unlink(tmp);
	free(tmp);
}

static void
keeper_release(struct keeper_proc *kp)
{
	kset_clear(&kp->held);
	kset_clear(&kp->staging);
	if (kp->state != -1)
		close(kp->state);
	kp->state = -1;
}

/* RENUMBERED: a clmd that took the state over numbers the descriptors
 * its own way; those it did not keep are closed. */
static void
keeper_apply_renum(struct keeper_proc *kp)
{
	struct kfd	*f;
	size_t		 i, n = 0;

	if (kp->renum.n > 1)
		qsort(kp->renum.v, kp->renum.n, sizeof *kp->renum.v, kfd_cmp);
	for (i = 0; i < kp->held.n; i++) {
		if ((f = kset_find(&kp->renum, kp->held.v[i].num)) == NULL) {
			close(kp->held.v[i].fd);
			continue;
		}
		kp->held.v[n] = kp->held.v[i];
		kp->held.v[n].num = f->fd;
		kp->held.v[n].seq = 0;
		n++;
	}
	kp->held.n = n;
	if (n > 1)
		qsort(kp->held.v, n, sizeof *kp->held.v, kfd_cmp);
	kp->renum.n = 0;
}

/* After HELLO: what we hold ("HELD NUM DEV INO...", "HELD."), so that a
 * clmd that took over (or was updated) sends only what we lack. */
static void
keeper_send_held(struct keeper_proc *kp)
{
	char		msg[KEEPER_MSG_MAX];
	struct stat	sb;
	size_t		i, len = 0;

	for (i = 0; i <= kp->held.n; i++) {
		if (len > 0 && (i == kp->held.n ||
		    len > sizeof msg - 80)) {
			if (kmsg_send(kp->conn, msg, NULL, 0, 0) == -1)
				goto fail;
			len = 0;
		}
		if (i == kp->held.n || fstat(kp->held.v[i].fd, &sb) == -1)
			continue;
		if (len == 0)
			len = (size_t)snprintf(msg, sizeof msg, "HELD");
		len += (size_t)snprintf(msg + len, sizeof msg - len,
		    " %d %llu %llu", kp->held.v[i].num,
		    (unsigned long long)sb.st_dev,
		    (unsigned long long)sb.st_ino);
	}
	if (kmsg_send(kp->conn, "HELD.", NULL, 0, 0) == 0)
		return;
fail:
	klog("cannot say what it holds to clmd: %s", strerror(errno));
}

/* A message from the clmd we keep for. 0: go on; 1: it said BYE. */
static int
keeper_message(struct keeper_proc *kp, char *msg, int *fds, size_t nfds)
{
	int	nums[KEEPER_NUMS_MAX];
	size_t	n, i;
	char	*nl;

	if (strncmp(msg, "HELLO ", 6) == 0) {
		char	exe[4096];
		int	fg = 0;

		kp->renum.n = 0;	/* a RENUM without its end */
		keeper_send_held(kp);
		nl = strchr(msg, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (sscanf(msg, "HELLO %ld %d %4095s", &kp->pid, &fg,
		    exe) == 3) {
			free(kp->exe);
			kp->exe = clm_strdup(exe);
			kp->foreground = fg != 0;
			free(kp->config);
			kp->config = nl != NULL && *nl != '\0' ?
			    clm_strdup(nl) : NULL;
		}
	} else if (strncmp(msg, "FDS ", 4) == 0 &&
	    kmsg_numbers(msg, nums, KEEPER_FDS_MAX, &n) == 0 && n == nfds) {
		for (i = 0; i < n; i++)
			kset_add(&kp->staging, nums[i], fds[i]);
		return 0;
	} else if (strncmp(msg, "KEEP ", 5) == 0 &&
	    kmsg_numbers(msg, nums, KEEPER_NUMS_MAX, &n) == 0) {
		if (kp->nkeep + n > kp->capkeep) {
			kp->capkeep = (kp->nkeep + n) * 2;
			kp->keep = clm_realloc(kp->keep, kp->capkeep *
			    sizeof *kp->keep);
		}
		if (n > 0)
			memcpy(kp->keep + kp->nkeep, nums, n * sizeof *nums);
		kp->nkeep += n;
	} else if (strcmp(msg, "STATE") == 0 && nfds == 1) {
		keeper_commit(kp, fds[0]);
		keeper_write_state(kp);
		/* clmd sends the next state when this one is kept. */
		if (kmsg_send(kp->conn, "OK", NULL, 0, MSG_DONTWAIT) == -1)
			klog("cannot say OK to clmd: %s", strerror(errno));
		return 0;
	} else if (strncmp(msg, "RENUM ", 6) == 0 &&
	    kmsg_numbers(msg, nums, KEEPER_NUMS_MAX, &n) == 0 && n % 2 == 0) {
		for (i = 0; i < n; i += 2)
			kset_add(&kp->renum, nums[i], nums[i + 1]);
	} else if (strcmp(msg, "RENUMBERED") == 0)
		keeper_apply_renum(kp);
	else if (strcmp(msg, "BYE") == 0)
		return 1;
	else
		klog("a message it does not know: '%.20s'", msg);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return 0;
}

/* Give a new clmd everything, on s. */
static void
keeper_hand_over(struct keeper_proc *kp, int s, long pid, bool renum)
{
	char	msg[KEEPER_MSG_MAX];
	int	fds[KEEPER_FDS_MAX];
	size_t	i = 0, len, nf;

	while (i < kp->held.n) {
		len = (size_t)snprintf(msg, sizeof msg, "FDS");
		for (nf = 0; i < kp->held.n && nf < KEEPER_FDS_MAX; i++) {
			len += (size_t)snprintf(msg + len, sizeof msg - len,
			    " %d", kp->held.v[i].num);
			fds[nf++] = kp->held.v[i].fd;
		}
		if (kmsg_send(s, msg, fds, nf, 0) == -1)
			goto fail;
	}
	/* RENUM: it tells us its numbers (an older clmd does not). */
	if (kmsg_send(s, renum ? "STATE RENUM" : "STATE", &kp->state, 1,
	    0) == -1)
		goto fail;
	klog("clmd pid %ld took the state over (%zu descriptors)", pid,
	    kp->held.n);
	kp->conn = s;
	kp->pid = pid;
	kp->spawn_at = 0;
	kp->spawn_gap = 1000;
	kset_clear(&kp->staging);
	kp->nkeep = 0;
	kp->renum.n = 0;
	return;
fail:
	klog("cannot hand the state to clmd pid %ld: %s", pid,
	    strerror(errno));
	close(s);
}

/* Someone on keeper.sock: a starting clmd of our user (or root). */
static void
keeper_accept(struct keeper_proc *kp)
{
	struct ucred	 cred;
	socklen_t	 clen = sizeof cred;
	struct timeval	 tv = { 5, 0 };
	char		 msg[256], reply[64];
	int		 fds[KEEPER_FDS_MAX], s;
	size_t		 nfds, i;
	long		 pid;

	if ((s = accept4(kp->lsock, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    (cred.uid != getuid() && cred.uid != 0)) {
		close(s);
		return;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (kmsg_recv(s, msg, sizeof msg, fds, &nfds, 0) <= 0 ||
	    sscanf(msg, "TAKE %ld", &pid) != 1) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		close(s);
		return;
	}
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (kp->conn != -1) {
		snprintf(reply, sizeof reply, "BUSY %ld", kp->pid);
		kmsg_send(s, reply, NULL, 0, MSG_DONTWAIT);
		close(s);
		return;
	}
	if (kp->state == -1) {
		kmsg_send(s, "NONE", NULL, 0, MSG_DONTWAIT);
		close(s);
		return;
	}
	keeper_hand_over(kp, s, pid, strstr(msg, " RENUM") != NULL);
}

/* Start the next clmd (it detaches, and asks us for the state). */
static void
keeper_spawn_clmd(struct keeper_proc *kp)
{
	sigset_t	set;
	pid_t		pid;

	klog("starting a new clmd: %s%s%s", kp->exe,
	    kp->config ? " -f " : "", kp->config ? kp->config : "");
	switch ((pid = fork())) {
	case -1:
		klog("fork: %s", strerror(errno));
		return;
	case 0:
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		if (kp->config != NULL)
			execl(kp->exe, kp->exe, "-f", kp->config, (char *)NULL);
		else
			execl(kp->exe, kp->exe, (char *)NULL);
		klog("cannot run %s: %s", kp->exe, strerror(errno));
		_exit(127);
	}
}

static int
keeper_listen(struct keeper_proc *kp)
{
	struct sockaddr_un	sa;
	int			s;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(kp->sock_path) >= sizeof sa.sun_path) {
		klog("%s: the path is too long for a socket", kp->sock_path);
		return -1;
	}
	memcpy(sa.sun_path, kp->sock_path, strlen(kp->sock_path));
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* clmd holds the home's lock: a socket file there is a dead
	 * keeper's. */
	unlink(kp->sock_path);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    chmod(kp->sock_path, 0600) == -1 || listen(s, 16) == -1) {
		klog("%s: %s", kp->sock_path, strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/* The clmd we kept for has gone. */
static void
keeper_lost(struct keeper_proc *kp)
{
	close(kp->conn);
	kp->conn = -1;
	kset_clear(&kp->staging);
	kp->nkeep = 0;
	kp->renum.n = 0;
	if (kp->state == -1)
		return;
	if (kp->foreground) {
		klog("clmd (pid %ld) died; it ran in the foreground, so "
		    "whoever started it starts the next one, which takes "
		    "over its %zu descriptors", kp->pid, kp->held.n);
		return;
	}
	klog("clmd (pid %ld) died; keeping its %zu descriptors for the "
	    "next one", kp->pid, kp->held.n);
	kp->spawn_at = clm_now_ms();
}

int
keeper_main(int argc, char **argv)
{
	struct keeper_proc	 kp;
	struct pollfd		 pfd[2];
	struct sigaction	 sa;
	char			*msg;
	int			 fds[KEEPER_FDS_MAX], timeout, st;
	size_t			 nfds, i;
	ssize_t			 n;
	uint64_t		 now;
	unsigned long long	 from, to;

	if (argc != 3) {
		fprintf(stderr, "usage: clm-keeper SOCKET STATEFILE\n"
		    "clm-keeper keeps clmd's descriptors and state across a "
		    "crash; clmd starts\nit with its socket as fd 3. It is "
		    "not run by hand.\n");
		return 2;
	}
	memset(&kp, 0, sizeof kp);
	kp.sock_path = argv[1];
	kp.state_path = argv[2];
	kp.conn = 3;
	kp.state = -1;
	kp.spawn_gap = 1000;
	if (fcntl(kp.conn, F_SETFD, FD_CLOEXEC) == -1) {
		fprintf(stderr, "clm-keeper: fd 3 is not clmd's socket (it "
		    "is started by clmd, not by hand)\n");
		return 1;
	}
	/* It holds as many descriptors as clmd (3 a worker). */
	if (limits_raise_soft(&from, &to) == -1)
		klog("cannot raise the open file limit from %llu to %llu: %s",
		    from, to, strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((kp.lsock = keeper_listen(&kp)) == -1)
		klog("a new clmd cannot take over after a crash");
	msg = clm_malloc(KEEPER_MSG_MAX);
	for (;;) {
		/* The clmds we started (they detach at once). */
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		now = clm_now_ms();
		if (kp.conn == -1 && kp.spawn_at != 0 && now >= kp.spawn_at) {
			keeper_spawn_clmd(&kp);
			kp.spawn_at = now + kp.spawn_gap;
			kp.spawn_gap = kp.spawn_gap * 2 > KEEPER_SPAWN_MAX_MS ?
			    KEEPER_SPAWN_MAX_MS : kp.spawn_gap * 2;
			if (kp.spawn_gap < KEEPER_TAKE_WAIT_MS)
				kp.spawn_at = now + KEEPER_TAKE_WAIT_MS;
		}
		pfd[0].fd = kp.lsock;
		pfd[0].events = POLLIN;
		pfd[1].fd = kp.conn;
		pfd[1].events = POLLIN;
		timeout = 1000;
		if (kp.conn == -1 && kp.spawn_at != 0)
			timeout = kp.spawn_at > now ?
			    (int)(kp.spawn_at - now) : 0;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR)
			break;
		if (kp.conn != -1 && (pfd[1].revents & (POLLIN | POLLHUP |
		    POLLERR))) {
			n = kmsg_recv(kp.conn, msg, KEEPER_MSG_MAX, fds, &nfds,
			    MSG_DONTWAIT);
			if (n > 0 && keeper_message(&kp, msg, fds, nfds) == 1) {
				/* A graceful exit: everything goes. */
				break;
			}
			if (n == 0 || (n == -1 && errno != EAGAIN)) {
				for (i = 0; i < nfds; i++)
					close(fds[i]);
				keeper_lost(&kp);
				if (kp.state == -1)
					break;
			}
		}
		if (kp.lsock != -1 && (pfd[0].revents & POLLIN))
			keeper_accept(&kp);
	}
	keeper_release(&kp);
	if (kp.lsock != -1) {
		close(kp.lsock);
		unlink(kp.sock_path);
	}
	unlink(kp.state_path);
	free(msg);
	free(kp.keep);
	free(kp.held.v);
	free(kp.staging.v);
	free(kp.renum.v);	/* numbers, not descriptors */
	free(kp.exe);
	free(kp.config);
	return 0;
}
