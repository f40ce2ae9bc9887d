/* clm-logd's console: see include/clm/logconsole.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clm/common.h"
#include "clm/logconsole.h"

/* Once clm-logd is told to end: the console's last chance, then none. */
static uint64_t	console_deadline_ms;	/* 0: not ending */
static bool	console_dead;		/* past it: lines dropped */
static uint64_t	console_dropped;	/* bytes */

void
logconsole_shutdown(void)
{
	if (console_deadline_ms == 0)
		console_deadline_ms = clm_now_ms() + LOGCONSOLE_SHUTDOWN_MS;
}

uint64_t
logconsole_dropped(void)
{
	return console_dropped;
}

/* Waiting for the reader: dead once past the shutdown deadline. A
 * SIGTERM from clmd (blocked: it waits for the signalfd) starts it. */
static void
console_wait(int fd)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLOUT };
	sigset_t	 pending;
	uint64_t	 now;

	if (console_deadline_ms == 0 && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGTERM) == 1)
		logconsole_shutdown();
	now = clm_now_ms();
	if (console_deadline_ms != 0 && now >= console_deadline_ms) {
		console_dead = true;
		return;
	}
	(void)poll(&pfd, 1, console_deadline_ms != 0 ?
	    (int)(console_deadline_ms - now) : LOGCONSOLE_POLL_MS);
}

struct cbuf {
	char	*s;
	size_t	 len, cap;
};

static void
cb_put(struct cbuf *b, const char *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->s = clm_realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
}

static void
cb_str(struct cbuf *b, const char *s)
{
	cb_put(b, s, strlen(s));
}

/* All of it, waiting when the reader is slow; dropped when it is gone,
 * or when it has not read for LOGCONSOLE_SHUTDOWN_MS after SIGTERM. */
static void
console_write_all(int fd, const char *p, size_t n)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
	ssize_t		w;

	while (n > 0) {
		if (console_dead) {
			console_dropped += n;
			return;
		}
		/* clmd's stdout is blocking (shared with clmd and whatever
		 * started it): a write waits only when poll said there is
		 * room for PIPE_BUF bytes, so that SIGTERM is seen. */
		if (poll(&pfd, 1, 0) == 0) {
			console_wait(fd);
			continue;
		}
		w = write(fd, p, n < PIPE_BUF ? n : PIPE_BUF);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			console_wait(fd);
			continue;
		}
		if (w <= 0)
			return;		/* EPIPE, EBADF: nobody reads */
		p += w;
		n -= (size_t)w;
	}
}

/* A JSON string's contents: control bytes escaped, bytes that are not
 * UTF-8 as U+FFFD, so that every object is valid JSON. */
static void
json_escape(struct cbuf *b, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[8];
	size_t			 i, k, run = 0;

	for (i = 0; i < n; i += k) {
		k = 1;
		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\' &&
		    p[i] < 0x80) {
			run++;
			continue;
		}
		if (p[i] >= 0x80 && (k = clm_utf8_len(p + i, n - i)) > 0) {
			run += k;
			continue;
		}
		cb_put(b, (const char *)p + i - run, run);
		run = 0;
		k = 1;
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)p[i];
			cb_put(b, esc, 2);
		} else if (p[i] == '\t')
			cb_str(b, "\\t");
		else if (p[i] == '\r')
			cb_str(b, "\\r");
		else if (p[i] < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", p[i]);
			cb_str(b, esc);
		} else
			cb_str(b, "\\ufffd");
	}
	cb_put(b, (const char *)p + n - run, run);
}

void
logconsole_write(const struct logconsole_src *src, uint64_t wall_ms,
    const char *buf, size_t n)
{
	struct cbuf	 out = { NULL, 0, 0 }, line = { NULL, 0, 0 };
	const char	*p = buf, *end = buf + n, *nl;
	char		 head[96], when[40];
	struct tm	 tm;
	time_t		 sec = (time_t)(wall_ms / 1000);
	size_t		 len;

	if (src->json) {
		gmtime_r(&sec, &tm);
		len = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + len, sizeof when - len, ".%03uZ",
		    (unsigned)(wall_ms % 1000));
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		line.len = 0;
		if (src->json) {
			cb_str(&line, "{\"time\":\"");
			cb_str(&line, when);
			cb_str(&line, "\",\"app\":\"");
			json_escape(&line, src->app, strlen(src->app));
			if (src->pid > 0)
				snprintf(head, sizeof head, "\",\"id\":%d,\"pid\":"
				    "%d,\"stream\":\"%s\",\"message\":\"",
				    src->slot, src->pid, src->stream);
			else
				snprintf(head, sizeof head, "\",\"id\":%d,\"pid\":"
				    "null,\"stream\":\"%s\",\"message\":\"",
				    src->slot, src->stream);
			cb_str(&line, head);
			json_escape(&line, p, len);
			cb_str(&line, "\"}\n");
		} else {
			snprintf(head, sizeof head, ":%d | ", src->slot);
			cb_str(&line, src->app);
			cb_str(&line, head);
			cb_put(&line, p, len);
			cb_put(&line, "\n", 1);
		}
		if (out.len + line.len > PIPE_BUF) {
			console_write_all(src->fd, out.s, out.len);
			out.len = 0;
		}
		if (line.len > PIPE_BUF)
			console_write_all(src->fd, line.s, line.len);
		else
			cb_put(&out, line.s, line.len);
		p += len + (nl != NULL);
	}
	if (out.len > 0)
		console_write_all(src->fd, out.s, out.len);
	free(out.s);
	free(line.s);
}
