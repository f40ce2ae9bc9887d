/*
 * pre_start, post_stop: a shell command run without blocking the loop,
 * its output's tail kept, a timeout. See hooks.h.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clm/app.h"
#include "clm/hooks.h"
#include "clm/reaper.h"

struct hook {
	uv_process_t	 proc;
	uv_pipe_t	 out;
	uv_timer_t	 timer;
	int		 open;		/* handles not closed yet */
	bool		 exited;
	bool		 eof;
	bool		 timed_out;
	int64_t		 status;
	int		 sig;
	uint32_t	 timeout_ms;
	char		 tail[HOOK_TAIL];
	size_t		 ntail;
	char		 rbuf[4096];
	hook_done_cb	 done;
	void		*arg;
};

static void
hook_close_cb(uv_handle_t *h)
{
	struct hook	*k = h->data;

	if (--k->open == 0)
		free(k);
}

/* The last HOOK_LINES lines of the tail. */
static char *
hook_lines(struct hook *k)
{
	size_t	 n = k->ntail, lines = 0;
	char	*s;

	while (n > 0 && k->tail[n - 1] == '\n')
		n--;
	s = clm_strndup(k->tail, n);
	while (n > 0) {
		if (s[n - 1] == '\n' && ++lines == HOOK_LINES)
			break;
		n--;
	}
	memmove(s, s + n, strlen(s + n) + 1);
	return s;
}

static void
hook_finish(struct hook *k)
{
	char	*status, *lines;

	if (!k->exited || !k->eof)
		return;
	uv_timer_stop(&k->timer);
	if (k->timed_out)
		status = clm_asprintf("killed after the timeout of %u ms",
		    k->timeout_ms);
	else if (k->sig != 0)
		status = clm_asprintf("killed by %s", clm_signal_name(k->sig));
	else
		status = clm_asprintf("exit status %lld", (long long)k->status);
	lines = hook_lines(k);
	k->done(k->arg, !k->timed_out && k->sig == 0 && k->status == 0,
	    status, lines);
	free(status);
	free(lines);
	uv_close((uv_handle_t *)&k->timer, hook_close_cb);
	uv_close((uv_handle_t *)&k->out, hook_close_cb);
}

static void
hook_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct hook	*k = h->data;

	buf->base = k->rbuf;
	buf->len = sizeof k->rbuf;
}

static void
hook_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct hook	*k = s->data;
	size_t		 len, keep;

	if (n < 0) {
		uv_read_stop(s);
		k->eof = true;
		hook_finish(k);
		return;
	}
	len = (size_t)n;
	if (len >= HOOK_TAIL) {
		memcpy(k->tail, buf->base + len - HOOK_TAIL, HOOK_TAIL);
		k->ntail = HOOK_TAIL;
		return;
	}
	if (k->ntail + len > HOOK_TAIL) {
		keep = HOOK_TAIL - len;
		memmove(k->tail, k->tail + k->ntail - keep, keep);
		k->ntail = keep;
	}
	memcpy(k->tail + k->ntail, buf->base, len);
	k->ntail += len;
}

static void
hook_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct hook	*k = p->data;

	k->exited = true;
	k->status = status;
	k->sig = sig;
	/* What it left in its group (a background child holding the pipe)
	 * goes with it: the pipe then ends. */
	kill(-p->pid, SIGKILL);
	uv_close((uv_handle_t *)p, hook_close_cb);
	hook_finish(k);
}

static void
hook_timer_cb(uv_timer_t *t)
{
	struct hook	*k = t->data;

	k->timed_out = true;
	if (!k->exited)
		kill(-k->proc.pid, SIGKILL);
}

int
hook_run(uv_loop_t *loop, const char *cmd, const char *cwd, char **env,
    char **argv_prefix, uint32_t timeout_ms, hook_done_cb done, void *arg,
    char **cause)
{
	struct hook		*k = clm_calloc(1, sizeof *k);
	uv_process_options_t	 opts;
	uv_stdio_container_t	 stdio[3];
	char		       **argv = NULL, *script;
	size_t			 i;
	int			 r;

	k->done = done;
	k->arg = arg;
	k->timeout_ms = timeout_ms;
	for (i = 0; argv_prefix != NULL && argv_prefix[i] != NULL; i++)
		clm_strv_push(&argv, argv_prefix[i]);
	clm_strv_push(&argv, "/bin/sh");
	clm_strv_push(&argv, "-c");
	/* stderr goes where stdout goes: one output, in order. */
	script = clm_asprintf("exec 2>&1\n%s", cmd);
	clm_strv_push(&argv, script);
	free(script);
	uv_pipe_init(loop, &k->out, 0);
	k->out.data = k;
	uv_timer_init(loop, &k->timer);
	k->timer.data = k;
	k->open = 2;
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&k->out;
	stdio[2].flags = UV_IGNORE;
	memset(&opts, 0, sizeof opts);
	opts.file = argv[0];
	opts.args = argv;
	opts.env = env;
	opts.cwd = cwd;
	opts.exit_cb = hook_exit_cb;
	opts.flags = UV_PROCESS_DETACHED;	/* its own process group */
	opts.stdio = stdio;
	opts.stdio_count = 3;
	k->proc.data = k;
	r = reaper_spawn(loop, &k->proc, &opts);
	clm_strv_free(argv);
	if (r != 0) {
		*cause = clm_asprintf("cannot run '%s': %s", cmd,
		    uv_strerror(r));
		k->open++;
		uv_close((uv_handle_t *)&k->proc, hook_close_cb);
		uv_close((uv_handle_t *)&k->timer, hook_close_cb);
		uv_close((uv_handle_t *)&k->out, hook_close_cb);
		return -1;
	}
	k->open++;
	uv_read_start((uv_stream_t *)&k->out, hook_alloc_cb, hook_read_cb);
	uv_timer_start(&k->timer, hook_timer_cb, timeout_ms, 0);
	return 0;
}
