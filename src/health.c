/* App health checks: see include/clm/health.h. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/health.h"
#include "clm/listeners.h"
#include "clm/log.h"
#include "clm/reaper.h"

extern char **environ;

struct health_run {
	uv_process_t	 proc;
	uv_timer_t	 timer;
	struct worker	*w;		/* NULL once the worker went */
	int		 handles;
	bool		 exited;
	bool		 timed_out;
};

/* An app-level check under way: one connection, its deadline. */
struct health_net {
	uv_tcp_t		 tcp;
	uv_timer_t		 timer;
	uv_connect_t		 conn;
	uv_write_t		 wr;
	struct worker_app	*app;	/* NULL once the app went */
	char			*req;	/* the GET; NULL: a tcp: check */
	char			 buf[64];	/* the reply's first bytes */
	size_t			 len;
	uint32_t		 timeout_ms;
	int			 handles;
	bool			 done;
};

/*
 * http://HOST:PORT/PATH or tcp:HOST:PORT into addr (and *path, "/" when
 * none, for http). -1 with *cause.
 */
static int
health_target(const char *s, struct clm_listen_addr *addr, char **path,
    char **cause)
{
	const char	*hp, *slash;
	char		*hostport, *lcause = NULL;
	size_t		 i;
	int		 rc;

	*path = NULL;
	if (strncmp(s, "http://", 7) == 0)
		hp = s + 7;
	else if (strncmp(s, "tcp:", 4) == 0)
		hp = s + 4;
	else {
		*cause = clm_asprintf("'%s' is not exec:COMMAND, "
		    "http://HOST:PORT/PATH or tcp:HOST:PORT%s", s,
		    strncmp(s, "https://", 8) == 0 ? " (clmd checks plain "
		    "HTTP only: point it at a plain port)" : "");
		return -1;
	}
	slash = strchr(hp, '/');
	if (s[0] == 't' && slash != NULL) {
		*cause = clm_asprintf("'%s': a tcp: check is tcp:HOST:PORT, "
		    "with no path", s);
		return -1;
	}
	hostport = slash != NULL ? clm_strndup(hp, slash - hp) :
	    clm_strdup(hp);
	rc = hostport[0] == '\0' || hostport[0] == ':' ||
	    strchr(hostport, ':') == NULL ? -1 :
	    listeners_parse(hostport, addr, &lcause);
	free(lcause);
	free(hostport);
	if (rc != 0) {
		*cause = clm_asprintf("'%s': HOST:PORT must be a numeric "
		    "IPv4 address, [IPV6] or localhost (no DNS lookups) and a "
		    "port from 1 to 65535, as in %s127.0.0.1:8080%s", s,
		    s[0] == 't' ? "tcp:" : "http://",
		    s[0] == 't' ? "" : "/health");
		return -1;
	}
	if (s[0] == 'h') {
		for (i = 0; slash != NULL && slash[i] != '\0'; i++) {
			if ((unsigned char)slash[i] <= ' ' ||
			    slash[i] == 0x7f || slash[i] == '#') {
				*cause = clm_asprintf("'%s': the path may not "
				    "hold spaces, control characters or '#'",
				    s);
				listeners_addr_clear(addr);
				return -1;
			}
		}
		*path = clm_strdup(slash != NULL ? slash : "/");
	}
	return 0;
}

int
health_check_spec(const char *s, char **cause)
{
	struct clm_listen_addr	 addr;
	char			*path;

	if (strncmp(s, "exec:", 5) == 0) {
		if (s[5] != '\0')
			return 0;
		*cause = clm_asprintf("'%s': exec: needs a command, as in "
		    "exec:curl -fs http://127.0.0.1:8080/health", s);
		return -1;
	}
	if (health_target(s, &addr, &path, cause) != 0)
		return -1;
	listeners_addr_clear(&addr);
	free(path);
	return 0;
}

static bool
health_is_net(const struct clm_app_spec *spec)
{
	return spec->health_check != NULL &&
	    strncmp(spec->health_check, "exec:", 5) != 0;
}

char *
health_status(const struct worker *w)
{
	const struct clm_app_spec	*spec = w->app->spec;
	unsigned			 fails;

	if (spec->health_check == NULL)
		return NULL;
	fails = health_is_net(spec) ? w->app->health_fails : w->health_fails;
	return fails == 0 ? clm_strdup("ok") :
	    clm_asprintf("failing %u/%d", fails, spec->health_retries);
}

static void
net_close_cb(uv_handle_t *h)
{
	struct health_net	*r = h->data;

	if (--r->handles == 0) {
		free(r->req);
		free(r);
	}
}

/* The check's end: the app's tally, then its handles closed. */
static void
net_finish(struct health_net *r, bool ok, const char *why)
{
	struct worker_app		*app = r->app;
	const struct clm_app_spec	*spec;

	if (r->done)
		return;
	r->done = true;
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->tcp, net_close_cb);
	uv_close((uv_handle_t *)&r->timer, net_close_cb);
	if (app == NULL)
		return;
	app->health = NULL;
	spec = app->spec;
	if (ok) {
		if (app->health_fails > 0)
			log_info("%s: health check %s passes again",
			    spec->name, spec->health_check);
		app->health_fails = 0;
		return;
	}
	if ((int)app->health_fails >= spec->health_retries)
		return;		/* said: unhealthy until it passes */
	app->health_fails++;
	log_info("%s: health check %s failed (%s), %u of %d in a row",
	    spec->name, spec->health_check, why, app->health_fails,
	    spec->health_retries);
	if ((int)app->health_fails == spec->health_retries)
		log_warnx("%s: unhealthy: its %s check failed %u times in a "
		    "row (no worker is replaced: the kernel picked which one "
		    "answered)", spec->name, spec->health_check,
		    app->health_fails);
}

static void
net_timeout_cb(uv_timer_t *t)
{
	struct health_net	*r = t->data;
	char			 why[64];

	snprintf(why, sizeof why, "no answer within %u ms", r->timeout_ms);
	net_finish(r, false, why);
}

static void
net_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char	 slab[512];

	(void)h;
	(void)hint;
	*buf = uv_buf_init(slab, sizeof slab);
}

static void
net_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct health_net	*r = s->data;
	char			 why[96];
	size_t			 take;
	int			 code;

	if (r->done)
		return;
	if (n > 0) {
		take = sizeof r->buf - 1 - r->len;
		if ((size_t)n < take)
			take = (size_t)n;
		memcpy(r->buf + r->len, buf->base, take);
		r->len += take;
		r->buf[r->len] = '\0';
	}
	if (r->len >= 12 || n < 0) {
		if (r->len >= 12 && strncmp(r->buf, "HTTP/1.", 7) == 0 &&
		    r->buf[8] == ' ' && sscanf(r->buf + 9, "%3d", &code) == 1) {
			snprintf(why, sizeof why, "status %d", code);
			net_finish(r, code >= 200 && code < 400, why);
		} else if (n < 0 && r->len == 0)
			net_finish(r, false, n == UV_EOF ? "closed with no "
			    "reply" : uv_strerror((int)n));
		else
			net_finish(r, false, "not an HTTP reply");
	}
}

static void
net_write_cb(uv_write_t *req, int status)
{
	struct health_net	*r = req->data;

	if (status < 0)
		net_finish(r, false, uv_strerror(status));
}

static void
net_connect_cb(uv_connect_t *req, int status)
{
	struct health_net	*r = req->data;
	uv_buf_t		 b;
	int			 rc;

	if (r->done)
		return;
	if (status < 0) {
		net_finish(r, false, uv_strerror(status));
		return;
	}
	if (r->req == NULL) {
		net_finish(r, true, "connected");
		return;
	}
	b = uv_buf_init(r->req, (unsigned)strlen(r->req));
	r->wr.data = r;
	if ((rc = uv_write(&r->wr, (uv_stream_t *)&r->tcp, &b, 1,
	    net_write_cb)) != 0 ||
	    (rc = uv_read_start((uv_stream_t *)&r->tcp, net_alloc_cb,
	    net_read_cb)) != 0)
		net_finish(r, false, uv_strerror(rc));
}

/* The app's check, when one is due: a connection, a GET for http://. */
static void
health_net_tick(struct worker *w, uint64_t now)
{
	struct worker_app		*app = w->app;
	const struct clm_app_spec	*spec = app->spec;
	struct clm_listen_addr		 addr;
	struct sockaddr_storage		 sa;
	struct health_net		*r;
	char				*path, *cause = NULL, *hp;
	int				 rc;

	if (w->state != WS_ONLINE || app->health != NULL)
		return;
	if (app->health_next_ms == 0)	/* its first: an interval after */
		app->health_next_ms = now + spec->health_interval_ms;
	if (now < app->health_next_ms)
		return;
	app->health_next_ms = now + spec->health_interval_ms;
	if (health_target(spec->health_check, &addr, &path, &cause) != 0) {
		free(cause);	/* refused when parsed */
		return;
	}
	r = clm_calloc(1, sizeof *r);
	r->app = app;
	r->timeout_ms = spec->health_timeout_ms;
	if (path != NULL) {
		hp = listeners_format(&addr);
		r->req = clm_asprintf("GET %s HTTP/1.0\r\nHost: %s\r\n"
		    "User-Agent: clmd-health\r\nConnection: close\r\n\r\n",
		    path, hp);
		free(hp);
		free(path);
	}
	if (addr.family == AF_INET6)
		rc = uv_ip6_addr(addr.host, addr.port,
		    (struct sockaddr_in6 *)&sa);
	else
		rc = uv_ip4_addr(addr.host, addr.port,
		    (struct sockaddr_in *)&sa);
	listeners_addr_clear(&addr);
	uv_tcp_init(w->ctx->loop, &r->tcp);
	uv_timer_init(w->ctx->loop, &r->timer);
	r->tcp.data = r->timer.data = r->conn.data = r;
	r->handles = 2;
	app->health = r;
	if (rc == 0)
		rc = uv_tcp_connect(&r->conn, &r->tcp,
		    (const struct sockaddr *)&sa, net_connect_cb);
	if (rc != 0) {
		net_finish(r, false, uv_strerror(rc));
		return;
	}
	uv_timer_start(&r->timer, net_timeout_cb, r->timeout_ms, 0);
}

void
health_app_forget(struct worker_app *app)
{
	if (app->health != NULL)
		app->health->app = NULL;
	app->health = NULL;
}

static void
health_close_cb(uv_handle_t *h)
{
	struct health_run	*r = h->data;

	if (--r->handles == 0)
		free(r);
}

/* The result of a run: the worker's tally, unhealthy after retries. */
static void
health_result(struct health_run *r, bool ok, const char *why)
{
	struct worker			*w = r->w;
	const struct clm_app_spec	*spec;

	if (w == NULL)
		return;
	w->health = NULL;
	spec = w->app->spec;
	if (ok) {
		if (w->health_fails > 0)
			log_info("%s:%d: health check passes again",
			    spec->name, w->slot);
		w->health_fails = 0;
		return;
	}
	w->health_fails++;
	log_info("%s:%d: pid %d health check failed (%s), %u of %d in a row",
	    spec->name, w->slot, w->pid, why, w->health_fails,
	    spec->health_retries);
	if ((int)w->health_fails >= spec->health_retries)
		w->health_bad = true;
}

static void
health_done(struct health_run *r)
{
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->proc, health_close_cb);
	uv_close((uv_handle_t *)&r->timer, health_close_cb);
}

static void
health_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct health_run	*r = p->data;
	char			 why[64];

	if (r->timed_out)
		snprintf(why, sizeof why, "no answer within %u ms",
		    r->w ? r->w->app->spec->health_timeout_ms : 0);
	else if (sig != 0)
		snprintf(why, sizeof why, "killed by signal %d", sig);
	else
		snprintf(why, sizeof why, "exit %d", (int)status);
	health_result(r, !r->timed_out && sig == 0 && status == 0, why);
	health_done(r);
}

static void
health_timeout_cb(uv_timer_t *t)
{
	struct health_run	*r = t->data;

	r->timed_out = true;
	(void)kill(-r->proc.pid, SIGKILL);
}

void
health_tick(struct worker *w, uint64_t now)
{
	const struct clm_app_spec	*spec = w->app->spec;
	uv_process_options_t		 opts;
	uv_stdio_container_t		 stdio[3];
	struct health_run		*r;
	char				**argv = NULL, **env = NULL;
	char				**src, *vars[3];
	size_t				 i;
	int				 rc;

	if (health_is_net(spec)) {
		health_net_tick(w, now);
		return;
	}
	if (spec->health_check == NULL || w->state != WS_ONLINE ||
	    w->health != NULL || w->health_bad)
		return;
	if (w->health_next_ms == 0)	/* its first: an interval after */
		w->health_next_ms = now + spec->health_interval_ms;
	if (now < w->health_next_ms)
		return;
	w->health_next_ms = now + spec->health_interval_ms;
	if (spec->user != NULL && w->ctx->exec_shim != NULL)
		worker_shim_argv(w, &argv);
	else if (spec->user != NULL)
		return;		/* never as clmd's (root) user */
	clm_strv_push(&argv, "/bin/sh");
	clm_strv_push(&argv, "-c");
	clm_strv_push(&argv, spec->health_check + 5);
	src = spec->env != NULL ? spec->env : environ;
	for (i = 0; src[i] != NULL; i++) {
		if (strncmp(src[i], "CLM_APP_NAME=", 13) != 0 &&
		    strncmp(src[i], "CLM_INSTANCE=", 13) != 0 &&
		    strncmp(src[i], "CLM_PID=", 8) != 0)
			clm_strv_push(&env, src[i]);
	}
	vars[0] = clm_asprintf("CLM_APP_NAME=%s", spec->name);
	vars[1] = clm_asprintf("CLM_INSTANCE=%d", w->slot);
	vars[2] = clm_asprintf("CLM_PID=%d", w->pid);
	for (i = 0; i < 3; i++) {
		clm_strv_push(&env, vars[i]);
		free(vars[i]);
	}

	r = clm_calloc(1, sizeof *r);
	r->w = w;
	memset(&opts, 0, sizeof opts);
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = stdio[1].flags = stdio[2].flags = UV_IGNORE;
	opts.file = argv[0];
	opts.args = argv;
	opts.env = env;
	opts.cwd = spec->cwd;
	opts.flags = UV_PROCESS_DETACHED;	/* its group: killed whole */
	opts.stdio = stdio;
	opts.stdio_count = 3;
	opts.exit_cb = health_exit_cb;
	r->proc.data = r;
	rc = reaper_spawn(w->ctx->loop, &r->proc, &opts);
	clm_strv_free(argv);
	clm_strv_free(env);
	uv_timer_init(w->ctx->loop, &r->timer);
	r->timer.data = r;
	r->handles = 2;
	if (rc != 0) {
		r->exited = true;
		health_result(r, false, uv_strerror(rc));
		health_done(r);
		return;
	}
	w->health = r;
	uv_timer_start(&r->timer, health_timeout_cb, spec->health_timeout_ms,
	    0);
}

void
health_forget(struct worker *w)
{
	if (w->health != NULL)
		w->health->w = NULL;
	w->health = NULL;
}
