/* clmd's end of the channel to one worker. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clm/channel.h"
#include "clm/log.h"

#define CHANNEL_BURST 16	/* messages read per wake-up, at most */
/*
 * What one worker may send: CHANNEL_RATE messages per CHANNEL_WINDOW_MS.
 * Past that clmd stops reading its channel until the window ends: the
 * worker's sends block (or fail), and a flood (READY=1 by the million,
 * BIND after BIND) costs clmd next to nothing.
 */
#define CHANNEL_RATE		128
#define CHANNEL_WINDOW_MS	100

struct clm_channel {
	uv_poll_t			 poll;
	uv_timer_t			 pause;		/* the rest of a window */
	int				 fd;
	int				 handles;	/* open: freed at 0 */
	bool				 ready_said;	/* READY=1 passed on */
	uint64_t			 window_ms;
	unsigned			 nwindow;	/* messages in it */
	const struct channel_cbs	*cbs;
	void				*arg;
};

enum channel_kind
channel_parse(const char *buf, size_t len, struct channel_msg *out)
{
	char		 msg[CHANNEL_MSG_MAX + 1], host[64], *line, *save;
	int		 fam, port, v6only, n = 0;
	enum channel_kind kind = CHANNEL_IGNORED;

	memset(out, 0, sizeof *out);
	if (len == 0 || len > CHANNEL_MSG_MAX || memchr(buf, '\0', len))
		return out->kind = CHANNEL_INVALID;
	memcpy(msg, buf, len);
	msg[len] = '\0';
	if (strcmp(msg, "LISTEN") == 0)
		return out->kind = CHANNEL_LISTEN;
	if (strncmp(msg, "BIND ", 5) == 0) {
		if (sscanf(msg, "BIND %d %63s %d %d%n", &fam, host, &port,
		    &v6only, &n) != 4 || (size_t)n != len ||
		    (fam != 4 && fam != 6) || port < 1 || port > 65535 ||
		    (v6only != 0 && v6only != 1))
			return out->kind = CHANNEL_INVALID;
		out->addr.family = fam == 4 ? AF_INET : AF_INET6;
		out->addr.host = clm_strdup(host);
		out->addr.port = port;
		out->addr.v6only = v6only == 1;
		return out->kind = CHANNEL_BIND;
	}
	/* sd_notify style: KEY=VALUE lines. */
	for (line = strtok_r(msg, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strchr(line, '=') == NULL)
			return out->kind = CHANNEL_INVALID;
		if (strcmp(line, "READY=1") == 0)
			kind = CHANNEL_READY;
		if (strcmp(line, "WATCHDOG=1") == 0)
			out->watchdog = true;
	}
	return out->kind = kind;
}

static void
channel_reply(struct clm_channel *ch, const char *text, int fd)
{
	/* A worker that does not read its replies loses them, nothing more. */
	if (clm_send_fd(ch->fd, text, strlen(text), fd) == -1)
		log_debug("channel reply: %s", strerror(errno));
}

static void
channel_handle(struct clm_channel *ch, const char *buf, size_t len)
{
	struct channel_msg	 m;
	char			 text[CHANNEL_MSG_MAX], *cause = NULL;
	int			 fd, err = 0;

	switch (channel_parse(buf, len, &m)) {
	case CHANNEL_BIND:
		fd = ch->cbs->bind(ch->arg, &m.addr, &err, &cause);
		if (fd == -1) {
			snprintf(text, sizeof text, "ERR %d %s", err,
			    cause ? cause : strerror(err));
			channel_reply(ch, text, -1);
		} else
			channel_reply(ch, "OK", fd);
		free(cause);
		listeners_addr_clear(&m.addr);
		break;
	case CHANNEL_LISTEN:
		ch->cbs->ready(ch->arg, "listening");
		break;
	case CHANNEL_READY:
		/* Readiness is news once: the rest are coalesced. */
		if (!ch->ready_said)
			ch->cbs->ready(ch->arg, "READY=1");
		ch->ready_said = true;
		break;
	case CHANNEL_IGNORED:
		break;
	case CHANNEL_INVALID:
		log_debug("channel: ignored a malformed message of %zu bytes",
		    len);
		break;
	}
	if (m.watchdog && ch->cbs->watchdog != NULL)
		ch->cbs->watchdog(ch->arg);
}

static void	channel_poll_cb(uv_poll_t *, int, int);

static void
channel_resume_cb(uv_timer_t *t)
{
	struct clm_channel	*ch = t->data;

	uv_poll_start(&ch->poll, UV_READABLE | UV_DISCONNECT, channel_poll_cb);
}

/* Count a message against the window; false when over budget (then the
 * channel is paused until the window ends). */
static bool
channel_budget(struct clm_channel *ch)
{
	uint64_t	now = uv_now(ch->poll.loop);

	if (now - ch->window_ms >= CHANNEL_WINDOW_MS) {
		ch->window_ms = now;
		ch->nwindow = 0;
	}
	if (ch->nwindow < CHANNEL_RATE) {
		ch->nwindow++;
		return true;
	}
	uv_poll_stop(&ch->poll);
	uv_timer_start(&ch->pause, channel_resume_cb,
	    ch->window_ms + CHANNEL_WINDOW_MS - now, 0);
	return false;
}

/* recv() gave 0: a zero-length message, or the end of the channel? */
static bool
channel_ended(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP |
	    POLLERR)) != 0;
}

static void
channel_poll_cb(uv_poll_t *p, int status, int events)
{
	struct clm_channel	*ch = p->data;
	char			 buf[CHANNEL_MSG_MAX + 1];
	ssize_t			 n;
	int			 i;

	(void)events;
	if (status < 0) {
		uv_poll_stop(p);
		return;
	}
	for (i = 0; i < CHANNEL_BURST; i++) {
		if (!channel_budget(ch))
			return;
		n = recv(ch->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == 0 && !channel_ended(ch->fd))
			continue;	/* an empty message: nothing to do */
		if (n <= 0) {
			/* Every holder of the worker's end has closed it. */
			uv_poll_stop(p);
			return;
		}
		channel_handle(ch, buf, (size_t)n);
	}
}

int
channel_adopt(uv_loop_t *loop, const struct channel_cbs *cbs, void *arg,
    int fd, struct clm_channel **out, char **cause)
{
	struct clm_channel	*ch;

	ch = clm_calloc(1, sizeof *ch);
	ch->fd = fd;
	ch->cbs = cbs;
	ch->arg = arg;
	if (uv_poll_init(loop, &ch->poll, ch->fd) != 0) {
		*cause = clm_strdup("cannot watch the worker channel");
		free(ch);
		return -1;
	}
	ch->poll.data = ch;
	uv_timer_init(loop, &ch->pause);
	ch->pause.data = ch;
	ch->handles = 2;
	uv_poll_start(&ch->poll, UV_READABLE | UV_DISCONNECT, channel_poll_cb);
	*out = ch;
	return 0;
}

int
channel_open(uv_loop_t *loop, const struct channel_cbs *cbs, void *arg,
    struct clm_channel **out, int *child_fd, char **cause)
{
	int	sv[2], e;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		e = errno;
		*cause = clm_asprintf("socketpair: %s", strerror(e));
		errno = e;	/* EMFILE: the caller says so */
		return -1;
	}
	if (channel_adopt(loop, cbs, arg, sv[0], out, cause) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	*child_fd = sv[1];
	return 0;
}

int
channel_fd(const struct clm_channel *ch)
{
	return ch->fd;
}

static void
channel_free_cb(uv_handle_t *h)
{
	struct clm_channel	*ch = h->data;

	if (--ch->handles > 0)
		return;
	close(ch->fd);
	free(ch);
}

void
channel_close(struct clm_channel *ch)
{
	if (ch == NULL)
		return;
	uv_poll_stop(&ch->poll);
	uv_timer_stop(&ch->pause);
	uv_close((uv_handle_t *)&ch->poll, channel_free_cb);
	uv_close((uv_handle_t *)&ch->pause, channel_free_cb);
}
