/*
 * Events: the `clm events` streams and the apps' on_event hooks (see
 * events.h).
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clm/events.h"
#include "clm/log.h"
#include "clm/reaper.h"
#include "clm/server.h"

/* A `clm events` client. */
struct reader {
	struct clm_call	*call;
	char		*app;		/* only this app's; NULL: all */
	char		*why;		/* dropped: what it is told */
	struct reader	*next;
};

/* An app's hook: the run, and the events waiting for it. */
struct hook {
	char		*app;
	uv_process_t	 proc;
	uv_timer_t	 timer;		/* the timeout */
	uv_pipe_t	 out;		/* its stdout and stderr */
	bool		 running;
	int		 open;		/* handles not yet closed */
	char		*line;		/* output not yet logged */
	char	       **queue[EVENTS_HOOK_QUEUE];	/* environments */
	size_t		 qhead, qlen;
	char		*command;	/* of the waiting events */
	struct hook	*next;
};

static uv_loop_t	*events_loop;
static struct reader	*readers;
static struct hook	*hooks;

static void	hook_run(const struct clm_app_spec *, const struct clm_event *);

static uint64_t		 hook_timeout_ms = EVENTS_HOOK_TIMEOUT_MS;

void
events_init(uv_loop_t *loop)
{
	const char	*s = getenv("CLM_HOOK_TIMEOUT_MS");

	events_loop = loop;
	if (s != NULL && atoi(s) > 0)	/* tests */
		hook_timeout_ms = (uint64_t)atoi(s);
}

static void
events_now(char *buf, size_t len)
{
	uint64_t	ms = clm_wall_ms();
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;
	char		day[24];

	gmtime_r(&t, &tm);
	if (strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		day[0] = '\0';
	snprintf(buf, len, "%.19s.%03uZ", day, (unsigned)(ms % 1000));
}

char *
events_human(const struct clm_event *e)
{
	char	*who, *what, *s;

	if (e->app == NULL)
		who = clm_strdup("clmd");
	else if (e->id >= 0)
		who = clm_asprintf("%s:%d", e->app, e->id);
	else
		who = clm_strdup(e->app);
	what = clm_strdup(e->event);
#define ADD(...) do {							\
	s = clm_asprintf(__VA_ARGS__);					\
	free(what);							\
	what = s;							\
} while (0)
	if (e->pid > 0)
		ADD("%s pid %d", what, e->pid);
	if (e->exit_code >= 0)
		ADD("%s code %d", what, e->exit_code);
	if (e->signal > 0)
		ADD("%s signal %s", what, clm_signal_name(e->signal));
	if (e->restarts >= 0)
		ADD("%s restarts %d", what, e->restarts);
	if (e->details != NULL)
		ADD("%s: %s", what, e->details);
#undef ADD
	s = clm_asprintf("%s %s %s", e->time, who, what);
	free(who);
	free(what);
	return s;
}

static void
reader_unlink(struct reader *r)
{
	struct reader	**pp;

	for (pp = &readers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
}

/* The final reply (with why, if why). It may run the connection's next
 * request, which may publish: r is off the list first. */
static void
reader_end(struct reader *r, const char *why)
{
	struct clm_reply	*rep = proto_reply_new();

	if (why != NULL)
		proto_reply_note(rep, "clm: %s", why);
	server_reply(r->call, rep);
	free(r->why);
	free(r->app);
	free(r);
}

static void
reader_remove(struct reader *r, const char *why)
{
	reader_unlink(r);
	reader_end(r, why);
}

static void
events_publish(const struct clm_app_spec *spec, struct clm_event *e)
{
	struct reader		*r, *next, *drop = NULL;
	struct clm_reply	*rep;
	char			*line = NULL;

	for (r = readers; r != NULL; r = next) {
		next = r->next;
		if (server_call_gone(r->call)) {
			reader_unlink(r);
			r->next = drop;
			drop = r;
			continue;
		}
		if (r->app != NULL && (e->app == NULL ||
		    strcmp(r->app, e->app) != 0))
			continue;
		if (server_call_backlog(r->call) > EVENTS_BACKLOG_MAX) {
			/* Never let clmd's memory grow for a reader that
			 * does not read: tell it, then drop it. */
			r->why = clm_asprintf("events: this reader is %zu "
			    "bytes behind (clmd keeps at most %d): dropped; "
			    "read faster, or follow one app (clm events NAME)",
			    server_call_backlog(r->call), EVENTS_BACKLOG_MAX);
			log_warnx("clm events: a reader %zu bytes behind: "
			    "dropped", server_call_backlog(r->call));
			reader_unlink(r);
			r->next = drop;
			drop = r;
			continue;
		}
		if (line == NULL)
			line = proto_event_encode(e);
		rep = proto_reply_new();
		rep->more = true;
		rep->text = clm_strdup(line);
		server_reply(r->call, rep);
	}
	free(line);
	while ((r = drop) != NULL) {
		drop = r->next;
		reader_end(r, r->why);
	}
	if (spec != NULL && spec->on_event != NULL && *spec->on_event != '\0')
		hook_run(spec, e);
}

static void
events_emit(const struct clm_app_spec *spec, struct clm_event *e)
{
	events_now(e->time, sizeof e->time);
	events_publish(spec, e);
}

void
events_app(const struct clm_app_spec *spec, int id, int pid,
    const char *event, const char *fmt, ...)
{
	struct clm_event	e;
	va_list			ap;

	memset(&e, 0, sizeof e);
	e.event = (char *)event;
	e.app = spec != NULL ? spec->name : NULL;
	e.id = id;
	e.pid = pid;
	e.exit_code = -1;
	e.restarts = -1;
	if (fmt != NULL) {
		va_start(ap, fmt);
		e.details = clm_vasprintf(fmt, ap);
		va_end(ap);
	}
	events_emit(spec, &e);
	free(e.details);
}

static bool
events_running(enum wstate s)
{
	return s == WS_LAUNCHING || s == WS_ONLINE || s == WS_STOPPING ||
	    s == WS_DRAINING;
}

void
events_worker(const struct worker *w, enum wstate was)
{
	const struct clm_app_spec	*spec = w->app->spec;
	struct clm_event		 e;

	if (was == w->state)
		return;
	memset(&e, 0, sizeof e);
	e.app = spec->name;
	e.id = w->slot;
	e.exit_code = -1;
	e.restarts = (int)w->restarts;
	/* A run ended: before what comes of it (waiting, errored, a new
	 * run of a restart). */
	if (events_running(was) && (!events_running(w->state) ||
	    (was == WS_STOPPING && w->state == WS_LAUNCHING))) {
		e.event = (char *)"exit";
		e.pid = w->last_pid;
		if (w->term_signal > 0)
			e.signal = w->term_signal;
		else
			e.exit_code = w->exit_code;
		e.details = w->exit_code < 0 && w->term_signal == 0 ?
		    w->last_error : NULL;
		events_emit(spec, &e);
		e.exit_code = -1;
		e.signal = 0;
		e.details = NULL;
	}
	e.pid = w->pid;
	switch (w->state) {
	case WS_LAUNCHING:
		e.event = (char *)"launching";
		break;
	case WS_ONLINE:
		e.event = (char *)"online";
		e.details = (char *)w->ready_how;
		break;
	case WS_STOPPING:
		e.event = (char *)"stopping";
		break;
	case WS_DRAINING:
		e.event = (char *)"draining";
		break;
	case WS_WAITING:
		e.event = (char *)"restart";
		e.details = (char *)"restart scheduled (backoff)";
		break;
	case WS_ERRORED:
		/* With the last run's end: what a pager wants to say. */
		e.event = (char *)"errored";
		e.details = w->last_error;
		e.pid = w->last_pid;
		if (w->term_signal > 0)
			e.signal = w->term_signal;
		else
			e.exit_code = w->exit_code;
		break;
	case WS_STOPPED:
		e.event = (char *)"stopped";
		break;
	default:
		return;
	}
	events_emit(spec, &e);
}

void
events_subscribe(struct clm_call *call, const char *app)
{
	struct reader		*r = clm_calloc(1, sizeof *r);
	struct clm_reply	*rep = proto_reply_new();

	r->call = call;
	r->app = app != NULL && strcmp(app, "all") != 0 ? clm_strdup(app) :
	    NULL;
	r->next = readers;
	readers = r;
	/* The first reply says the stream is open. */
	rep->more = true;
	server_reply(call, rep);
}

/* ---- hooks ---- */

static struct hook *
hook_find(const char *app, bool create)
{
	struct hook	*h;

	for (h = hooks; h != NULL; h = h->next)
		if (strcmp(h->app, app) == 0)
			return h;
	if (!create)
		return NULL;
	h = clm_calloc(1, sizeof *h);
	h->app = clm_strdup(app);
	h->next = hooks;
	hooks = h;
	return h;
}

static char **
hook_env(const struct clm_event *e)
{
	extern char	**environ;
	char		**env = clm_strv_dup(environ);
	char		 *s;

#define PUSH(...) do {							\
	s = clm_asprintf(__VA_ARGS__);					\
	clm_strv_push(&env, s);						\
	free(s);							\
} while (0)
	PUSH("CLM_EVENT=%s", e->event);
	PUSH("CLM_APP_NAME=%s", e->app != NULL ? e->app : "");
	if (e->id >= 0)
		PUSH("CLM_INSTANCE=%d", e->id);
	else
		PUSH("CLM_INSTANCE=");
	PUSH("CLM_PID=%d", e->pid > 0 ? e->pid : 0);
	if (e->exit_code >= 0)
		PUSH("CLM_EXIT_CODE=%d", e->exit_code);
	else
		PUSH("CLM_EXIT_CODE=");
	PUSH("CLM_SIGNAL=%s", e->signal > 0 ? clm_signal_name(e->signal) :
	    "");
	if (e->restarts >= 0)
		PUSH("CLM_RESTARTS=%d", e->restarts);
	else
		PUSH("CLM_RESTARTS=");
	PUSH("CLM_EVENT_TIME=%s", e->time);
	PUSH("CLM_EVENT_DETAILS=%s", e->details != NULL ? e->details : "");
#undef PUSH
	return env;
}

static void	hook_next(struct hook *);

static void
hook_closed(uv_handle_t *handle)
{
	struct hook	*h = handle->data;

	if (--h->open > 0)
		return;
	if (h->line != NULL && *h->line != '\0')
		log_info("%s: on_event: %s", h->app, h->line);
	free(h->line);
	h->line = NULL;
	h->running = false;
	hook_next(h);
}

static void
hook_exit(uv_process_t *p, int64_t status, int sig)
{
	struct hook	*h = p->data;

	if (sig != 0)
		log_warnx("%s: on_event hook killed by %s", h->app,
		    clm_signal_name(sig));
	else if (status != 0)
		log_warnx("%s: on_event hook exited with code %d", h->app,
		    (int)status);
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, hook_closed);
	uv_close((uv_handle_t *)p, hook_closed);
}

static void
hook_timeout(uv_timer_t *t)
{
	struct hook	*h = t->data;

	log_warnx("%s: on_event hook still running after %llu ms: killing it",
	    h->app, (unsigned long long)hook_timeout_ms);
	if (h->proc.pid > 0)
		kill(-h->proc.pid, SIGKILL);
}

static void
hook_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	buf->base = clm_malloc(4096);
	buf->len = 4096;
}

/* Its output, a line at a time, to clmd.log (at most 4 KiB a line). */
static void
hook_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct hook	*h = s->data;
	char		*all, *p, *nl;

	if (n < 0) {
		free(buf->base);
		uv_close((uv_handle_t *)s, hook_closed);
		return;
	}
	all = clm_asprintf("%s%.*s", h->line != NULL ? h->line : "", (int)n,
	    buf->base);
	free(buf->base);
	free(h->line);
	for (p = all; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		log_info("%s: on_event: %s", h->app, p);
	}
	if (strlen(p) > 4096) {
		log_info("%s: on_event: %s", h->app, p);
		p += strlen(p);
	}
	h->line = clm_strdup(p);
	free(all);
}

static void
hook_next(struct hook *h)
{
	uv_process_options_t	 opts;
	uv_stdio_container_t	 stdio[3];
	char			**env, *args[4], *script;
	int			 r;

	if (h->running || h->qlen == 0 || events_loop == NULL)
		return;
	env = h->queue[h->qhead];
	h->qhead = (h->qhead + 1) % EVENTS_HOOK_QUEUE;
	h->qlen--;
	args[0] = (char *)"/bin/sh";
	args[1] = (char *)"-c";
	/* Its stderr into the same pipe as its stdout. */
	script = clm_asprintf("exec 2>&1\n%s", h->command);
	args[2] = script;
	args[3] = NULL;
	memset(&opts, 0, sizeof opts);
	opts.file = args[0];
	opts.args = args;
	opts.env = env;
	opts.exit_cb = hook_exit;
	opts.flags = UV_PROCESS_DETACHED;	/* its own group: killable */
	uv_pipe_init(events_loop, &h->out, 0);
	h->out.data = h;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&h->out;
	stdio[2].flags = UV_IGNORE;
	opts.stdio = stdio;
	opts.stdio_count = 3;
	h->proc.data = h;
	r = reaper_spawn(events_loop, &h->proc, &opts);
	clm_strv_free(env);
	free(script);
	if (r != 0) {
		log_warnx("%s: on_event: cannot run /bin/sh: %s", h->app,
		    uv_strerror(r));
		h->running = true;
		h->open = 2;
		uv_close((uv_handle_t *)&h->proc, hook_closed);
		uv_close((uv_handle_t *)&h->out, hook_closed);
		return;
	}
	h->running = true;
	h->open = 3;
	uv_timer_init(events_loop, &h->timer);
	h->timer.data = h;
	uv_timer_start(&h->timer, hook_timeout, hook_timeout_ms, 0);
	uv_read_start((uv_stream_t *)&h->out, hook_alloc, hook_read);
}

static void
hook_run(const struct clm_app_spec *spec, const struct clm_event *e)
{
	struct hook	*h = hook_find(spec->name, true);
	size_t		 tail;

	if (h->qlen == EVENTS_HOOK_QUEUE) {
		log_warnx("%s: on_event: %d events wait for the hook: the "
		    "oldest is dropped", spec->name, EVENTS_HOOK_QUEUE);
		clm_strv_free(h->queue[h->qhead]);
		h->qhead = (h->qhead + 1) % EVENTS_HOOK_QUEUE;
		h->qlen--;
	}
	tail = (h->qhead + h->qlen) % EVENTS_HOOK_QUEUE;
	h->queue[tail] = hook_env(e);
	h->qlen++;
	free(h->command);
	h->command = clm_strdup(spec->on_event);
	hook_next(h);
}

void
events_stop_all(void)
{
	struct hook	*h;

	while (readers != NULL)
		reader_remove(readers, "the daemon is stopping: no more "
		    "events");
	for (h = hooks; h != NULL; h = h->next) {
		while (h->qlen > 0) {
			clm_strv_free(h->queue[h->qhead]);
			h->qhead = (h->qhead + 1) % EVENTS_HOOK_QUEUE;
			h->qlen--;
		}
		if (h->running && h->proc.pid > 0 &&
		    !uv_is_closing((uv_handle_t *)&h->proc))
			kill(-h->proc.pid, SIGKILL);
	}
}
