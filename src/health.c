/* App health checks: see include/clm/health.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/health.h"
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

int
health_check_spec(const char *s, char **cause)
{
	if (strncmp(s, "exec:", 5) == 0 && s[5] != '\0')
		return 0;
	*cause = clm_asprintf("'%s' is not exec:COMMAND (http:// and tcp: "
	    "checks are not there yet)", s);
	return -1;
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
