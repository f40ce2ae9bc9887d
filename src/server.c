/* The daemon's end of the control socket. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/server.h"

/* Bounds on clients: how many at once, and how long one may sit idle
 * (no request under way) before it is disconnected. */
#define SERVER_MAX_CLIENTS	256
#define SERVER_IDLE_MS		30000
#define SERVER_SWEEP_MS		5000
/* Replies a client has not read yet, at most: past it, clmd reads no
 * more requests from it until it has caught up. */
#define SERVER_QUEUE_MAX	(4 * 1024 * 1024)
/*
 * A request line may be up to CLM_MAX_FRAME (an app file of thousands of
 * apps), but only SERVER_BIG_SLOTS clients at once hold more than
 * SERVER_SMALL_FRAME of one: the others wait, their reading stopped, for
 * a slot (256 clients cannot make clmd hold 256 times 16 MiB).
 */
#define SERVER_SMALL_FRAME	(1024 * 1024)
#define SERVER_BUF_MIN		65536	/* a client's buffer, and a read's
					   room in it, at least */
#define SERVER_BIG_SLOTS	2

/* At shutdown, a client further behind is not waited for. */
#define SERVER_SHUTDOWN_QUEUE	(64 * 1024)

struct conn {
	uv_pipe_t		 pipe;
	uint64_t		 active_ms;	/* last read or reply */
	struct clm_server	*srv;
	char			*buf;
	size_t			 len;
	size_t			 cap;
	struct clm_call		*call;		/* the request in progress */
	unsigned		 writes;	/* writes under way */
	size_t			 queued;	/* their bytes */
	bool			 paused;	/* reading stopped: too much
						   queued */
	bool			 closing;
	bool			 close_after;	/* close once writes are out */
	bool			 big;		/* holds a big slot */
	bool			 wants_big;	/* reading stopped for one */
	uid_t			 uid;		/* the client's (SO_PEERCRED) */
	struct conn		*prev, *next;
};

struct clm_call {
	struct conn		*conn;		/* NULL once the client left */
	struct clm_request	*req;
	uid_t			 uid;		/* the client's */
};

struct clm_server {
	uv_pipe_t		 listener;
	char			*path;
	server_dispatch_cb	 dispatch;
	void			*ctx;
	struct conn		*conns;
	bool			 closing;
	unsigned		 open_handles;
	gid_t			 group;		/* also served; -1: none */
	unsigned		 nconns;
	unsigned		 nbig;		/* big slots taken */
	uv_timer_t		 sweep;
};

struct write_req {
	uv_write_t	 req;
	char		*data;
	size_t		 len;
};

static void	conn_process(struct conn *);
static void	alloc_cb(uv_handle_t *, size_t, uv_buf_t *);
static void	read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);

static void
server_maybe_free(struct clm_server *srv)
{
	if (srv->closing && srv->open_handles == 0) {
		free(srv->path);
		free(srv);
	}
}

static void
conn_close_cb(uv_handle_t *h)
{
	struct conn		*c = h->data;
	struct clm_server	*srv = c->srv;

	free(c->buf);
	free(c);
	srv->open_handles--;
	server_maybe_free(srv);
}

/* c's line is no longer big: its slot (and the memory) back, and the slot
 * to a client waiting for one. */
static void
big_give(struct conn *c)
{
	struct conn	*o;
	size_t		 cap = SERVER_BUF_MIN;

	if (!c->big)
		return;
	c->big = false;
	c->srv->nbig--;
	if (!c->closing) {
		while (cap <= c->len)
			cap *= 2;
		c->buf = clm_realloc(c->buf, cap);
		c->cap = cap;
	}
	for (o = c->srv->conns; o != NULL; o = o->next) {
		if (o->wants_big && !o->closing) {
			o->wants_big = false;
			uv_read_start((uv_stream_t *)&o->pipe, alloc_cb,
			    read_cb);
			break;
		}
	}
}

static void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	big_give(c);
	if (c->call != NULL)
		c->call->conn = NULL;
	c->srv->nconns--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
}

static void
shutdown_cb(uv_shutdown_t *req, int status)
{
	struct conn	*c = req->data;

	free(req);
	conn_close(c);
}

/* Close once every write has gone out. */
static void
conn_finish(struct conn *c)
{
	if (c->closing)
		return;
	uv_read_stop((uv_stream_t *)&c->pipe);
	if (c->writes == 0) {
		conn_close(c);
		return;
	}
	c->close_after = true;
}

static void
write_cb(uv_write_t *req, int status)
{
	struct write_req	*wr = (struct write_req *)req;
	struct conn		*c = req->data;

	c->queued -= wr->len;
	free(wr->data);
	free(wr);
	c->writes--;
	if (status != 0 && !c->closing) {
		log_debug("client write: %s", uv_strerror(status));
		conn_close(c);
		return;
	}
	if (c->paused && c->queued <= SERVER_QUEUE_MAX / 2 && !c->closing) {
		c->paused = false;
		conn_process(c);
	}
	if (c->close_after && c->writes == 0 && !c->closing) {
		uv_shutdown_t	*sreq = clm_calloc(1, sizeof *sreq);

		sreq->data = c;
		if (uv_shutdown(sreq, (uv_stream_t *)&c->pipe, shutdown_cb) != 0) {
			free(sreq);
			conn_close(c);
		}
	}
}

static void
conn_write(struct conn *c, char *data)
{
	struct write_req	*wr;
	uv_buf_t		 buf;
	size_t			 len = strlen(data);
	int			 n;

	if (c->closing) {
		free(data);
		return;
	}
	if (c->writes == 0) {
		buf = uv_buf_init(data, len);
		n = uv_try_write((uv_stream_t *)&c->pipe, &buf, 1);
		if (n == (int)len) {
			free(data);
			return;
		}
		if (n > 0) {
			memmove(data, data + n, len - n + 1);
			len -= n;
		}
	}
	wr = clm_calloc(1, sizeof *wr);
	wr->data = data;
	wr->len = len;
	wr->req.data = c;
	buf = uv_buf_init(data, len);
	if (uv_write(&wr->req, (uv_stream_t *)&c->pipe, &buf, 1, write_cb) != 0) {
		free(data);
		free(wr);
		conn_close(c);
		return;
	}
	c->writes++;
	c->queued += len;
}

const struct clm_request *
server_call_request(const struct clm_call *call)
{
	return call->req;
}

uid_t
server_call_uid(const struct clm_call *call)
{
	return call != NULL ? call->uid : geteuid();
}

bool
server_call_gone(const struct clm_call *call)
{
	return call->conn == NULL || call->conn->closing;
}

size_t
server_call_backlog(const struct clm_call *call)
{
	return call->conn != NULL ? call->conn->queued : 0;
}

void
server_reply(struct clm_call *call, struct clm_reply *reply)
{
	struct conn	*c = call->conn;
	bool		 final = !reply->more;

	if (c != NULL) {
		c->active_ms = clm_now_ms();
		conn_write(c, proto_reply_encode(reply));
	}
	proto_reply_free(reply);
	if (!final)
		return;
	proto_request_free(call->req);
	free(call);
	if (c != NULL && !c->closing) {
		c->call = NULL;
		conn_process(c);
	}
}

void
server_reply_error(struct clm_call *call, const char *code, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = clm_vasprintf(fmt, ap);
	va_end(ap);
	server_reply(call, proto_reply_error(code, "%s", msg));
	free(msg);
}

/* An error that ends the connection: the stream can't be trusted after. */
static void
conn_fail(struct conn *c, const char *code, const char *msg)
{
	struct clm_reply	*r = proto_reply_error(code, "%s", msg);

	conn_write(c, proto_reply_encode(r));
	proto_reply_free(r);
	conn_finish(c);
}

static void
conn_toobig(struct conn *c)
{
	char	msg[80];

	snprintf(msg, sizeof msg, "request line longer than the limit of %d "
	    "MiB", CLM_MAX_FRAME >> 20);
	conn_fail(c, CLM_E_TOOBIG, msg);
}

/* Handle the complete lines in the buffer, one request at a time. */
static void
conn_process(struct conn *c)
{
	struct clm_request	*req;
	struct clm_call		*call;
	const char		*code;
	char			*nl, *cause;
	size_t			 linelen;

	while (c->call == NULL && !c->closing && !c->close_after) {
		if (c->queued > SERVER_QUEUE_MAX) {
			/* It does not read its replies: wait until it does. */
			uv_read_stop((uv_stream_t *)&c->pipe);
			c->paused = true;
			return;
		}
		nl = memchr(c->buf, '\n', c->len);
		if (nl == NULL) {
			if (c->len > CLM_MAX_FRAME) {
				conn_toobig(c);
				return;
			}
			uv_read_start((uv_stream_t *)&c->pipe, alloc_cb,
			    read_cb);
			break;
		}
		linelen = nl - c->buf;
		cause = NULL;
		req = NULL;
		if (linelen > CLM_MAX_FRAME) {
			conn_toobig(c);
			return;
		}
		if (proto_request_decode(c->buf, linelen, &req, &code,
		    &cause) == -1) {
			struct clm_reply	*r;

			r = proto_reply_error(code, "%s", cause);
			conn_write(c, proto_reply_encode(r));
			proto_reply_free(r);
			free(cause);
		}
		memmove(c->buf, nl + 1, c->len - linelen - 1);
		c->len -= linelen + 1;
		if (c->len < SERVER_SMALL_FRAME / 2)
			big_give(c);
		if (req == NULL)
			continue;
		call = clm_calloc(1, sizeof *call);
		call->conn = c;
		call->uid = c->uid;
		call->req = req;
		c->call = call;
		c->srv->dispatch(c->srv->ctx, call);
	}
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn	*c = h->data;
	size_t		 cap;

	if (c->cap - c->len < SERVER_BUF_MIN) {
		cap = c->cap ? c->cap * 2 : SERVER_BUF_MIN;
		if (cap > SERVER_SMALL_FRAME && !c->big) {
			if (c->srv->nbig == SERVER_BIG_SLOTS) {
				/* read_cb gets UV_ENOBUFS: wait for a slot. */
				c->wants_big = true;
				*buf = uv_buf_init(NULL, 0);
				return;
			}
			c->big = true;
			c->srv->nbig++;
		}
		c->cap = cap;
		c->buf = clm_realloc(c->buf, c->cap);
	}
	*buf = uv_buf_init(c->buf + c->len, c->cap - c->len);
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn	*c = s->data;

	if (n == UV_ENOBUFS && c->wants_big) {
		uv_read_stop(s);	/* until big_give() */
		return;
	}
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += n;
	c->active_ms = clm_now_ms();
	if (c->call != NULL || c->paused) {
		/* Busy: read no more until the current call ends. */
		uv_read_stop(s);
		return;
	}
	conn_process(c);
	if (c->call != NULL && !c->closing)
		uv_read_stop(s);
}

/* Is the peer a member of group: its primary group or one of its own
 * supplementary groups (SO_PEERGROUPS), or else its user's? */
static bool
peer_in_group(int fd, const struct ucred *cred, gid_t group)
{
	struct passwd	*pw;
	gid_t		 groups[256];
	socklen_t	 len = sizeof groups;
	int		 n = CLM_ARRAY_SIZE(groups), i;

	if (cred->gid == group)
		return true;
#ifdef SO_PEERGROUPS
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (i = 0; i < (int)(len / sizeof(gid_t)); i++) {
			if (groups[i] == group)
				return true;
		}
		return false;
	}
#endif
	if ((pw = getpwuid(cred->uid)) == NULL ||
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		return false;
	for (i = 0; i < n; i++) {
		if (groups[i] == group)
			return true;
	}
	return false;
}

static bool
peer_allowed(struct conn *c)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;
	uv_os_fd_t	fd;

	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("cannot read a client's credentials");
		return false;
	}
	c->uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (c->srv->group != (gid_t)-1 &&
	    peer_in_group(fd, &cred, c->srv->group))
		return true;
	log_warnx("refused a client: uid %ld, pid %ld",
	    (long)cred.uid, (long)cred.pid);
	return false;
}

/* Full: make room by dropping the client idle the longest. */
static bool
drop_idlest(struct clm_server *srv, struct conn *except)
{
	struct conn	*c, *idlest = NULL;

	for (c = srv->conns; c != NULL; c = c->next) {
		if (c == except || c->call != NULL || c->closing ||
		    c->close_after)
			continue;
		if (idlest == NULL || c->active_ms < idlest->active_ms)
			idlest = c;
	}
	if (idlest == NULL)
		return false;
	log_debug("256 clients: dropping the one idle the longest");
	conn_fail(idlest, CLM_E_BUSY, "disconnected: you were the idlest of "
	    "256 clients, and another one came");
	return true;
}

static void
connection_cb(uv_stream_t *listener, int status)
{
	struct clm_server	*srv = listener->data;
	struct conn		*c;

	if (status != 0) {
		log_warnx("accept: %s", uv_strerror(status));
		return;
	}
	c = clm_calloc(1, sizeof *c);
	c->srv = srv;
	c->active_ms = clm_now_ms();
	uv_pipe_init(listener->loop, &c->pipe, 0);
	c->pipe.data = c;
	srv->open_handles++;
	srv->nconns++;
	c->next = srv->conns;
	if (c->next != NULL)
		c->next->prev = c;
	srv->conns = c;
	if (uv_accept(listener, (uv_stream_t *)&c->pipe) != 0) {
		conn_close(c);
		return;
	}
	if (!peer_allowed(c)) {
		conn_fail(c, CLM_E_PERM, "permission denied: this daemon "
		    "serves only its own user and root");
		return;
	}
	if (srv->nconns > SERVER_MAX_CLIENTS && !drop_idlest(srv, c)) {
		log_warnx("refused a client: %d clients are busy already",
		    SERVER_MAX_CLIENTS);
		conn_fail(c, CLM_E_BUSY, "too many clients are connected "
		    "(at most 256), all of them busy; try again");
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
}

/* Disconnect clients that sit idle: they would hold a slot forever. */
static void
sweep_cb(uv_timer_t *t)
{
	struct clm_server	*srv = t->data;
	struct conn		*c, *next;
	uint64_t		 now = clm_now_ms();

	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (c->call == NULL && !c->closing &&
		    now - c->active_ms > SERVER_IDLE_MS) {
			log_debug("disconnecting a client idle for %llu ms",
			    (unsigned long long)(now - c->active_ms));
			conn_finish(c);
		}
	}
}

static void
listener_close_cb(uv_handle_t *h)
{
	struct clm_server	*srv = h->data;

	srv->open_handles--;
	server_maybe_free(srv);
}

struct clm_server *
server_new(uv_loop_t *loop, const char *path, server_dispatch_cb dispatch,
    void *ctx, char **cause)
{
	return server_adopt(loop, path, -1, dispatch, ctx, cause);
}

struct clm_server *
server_adopt(uv_loop_t *loop, const char *path, int fd,
    server_dispatch_cb dispatch, void *ctx, char **cause)
{
	struct clm_server	*srv = clm_calloc(1, sizeof *srv);
	mode_t			 old;
	int			 r = 0;

	srv->path = clm_strdup(path);
	srv->group = (gid_t)-1;
	srv->dispatch = dispatch;
	srv->ctx = ctx;
	uv_pipe_init(loop, &srv->listener, 0);
	srv->listener.data = srv;
	srv->open_handles = 2;
	uv_timer_init(loop, &srv->sweep);
	srv->sweep.data = srv;
	if (fd != -1)
		r = uv_pipe_open(&srv->listener, fd);
	else {
		/* Nobody but us may connect between bind() and chmod(). */
		old = umask(0177);
		r = uv_pipe_bind(&srv->listener, path);
		umask(old);
		if (r == 0 && chmod(path, 0600) == -1)
			r = uv_translate_sys_error(errno);
	}
	if (r == 0)
		r = uv_listen((uv_stream_t *)&srv->listener, 128,
		    connection_cb);
	if (r != 0) {
		*cause = clm_asprintf("cannot listen on %s: %s", path,
		    uv_strerror(r));
		srv->closing = true;
		uv_close((uv_handle_t *)&srv->listener, listener_close_cb);
		uv_close((uv_handle_t *)&srv->sweep, listener_close_cb);
		return NULL;
	}
	uv_timer_start(&srv->sweep, sweep_cb, SERVER_SWEEP_MS, SERVER_SWEEP_MS);
	return srv;
}

int
server_export(struct clm_server *srv, struct clm_call *call, int *ctl,
    int *client)
{
	uv_os_fd_t	fd;

	*ctl = *client = -1;
	if (uv_fileno((uv_handle_t *)&srv->listener, &fd) != 0)
		return -1;
	*ctl = fd;
	if (call != NULL && call->conn != NULL &&
	    uv_fileno((uv_handle_t *)&call->conn->pipe, &fd) == 0)
		*client = fd;
	return 0;
}

void
server_adopt_client(struct clm_server *srv, int fd, struct clm_reply *reply)
{
	struct conn	*c = clm_calloc(1, sizeof *c);

	c->srv = srv;
	c->active_ms = clm_now_ms();
	uv_pipe_init(srv->listener.loop, &c->pipe, 0);
	c->pipe.data = c;
	srv->open_handles++;
	srv->nconns++;
	c->next = srv->conns;
	if (c->next != NULL)
		c->next->prev = c;
	srv->conns = c;
	if (uv_pipe_open(&c->pipe, fd) != 0) {
		close(fd);
		proto_reply_free(reply);
		conn_close(c);
		return;
	}
	conn_write(c, proto_reply_encode(reply));
	proto_reply_free(reply);
	conn_finish(c);
}

void
server_allow_group(struct clm_server *srv, gid_t group)
{
	srv->group = group;
}

void
server_close(struct clm_server *srv)
{
	struct conn	*c, *next;

	srv->closing = true;
	uv_close((uv_handle_t *)&srv->listener, listener_close_cb);
	uv_close((uv_handle_t *)&srv->sweep, listener_close_cb);
	if (unlink(srv->path) == -1 && errno != ENOENT)
		log_warn("unlink %s", srv->path);
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		/* One that does not read its replies (a clm events reader
		 * that was dropped) would hold clmd forever: closed now. */
		if (c->queued > SERVER_SHUTDOWN_QUEUE)
			conn_close(c);
		else
			conn_finish(c);
	}
}
