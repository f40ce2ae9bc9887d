/*
 * One worker's life: the state machine (worker_actions, worker_event) and
 * the real process operations (worker_procs_uv: spawn with its
 * environment, channel and log streams; signal; release).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/backoff.h"
#include "clm/drain.h"
#include "clm/health.h"
#include "clm/log.h"
#include "clm/logs.h"
#include "clm/reaper.h"
#include "clm/secenv.h"
#include "clm/spawn.h"
#include "clm/worker.h"

const char *const worker_state_names[] = {
	[WS_STOPPED] = "stopped",
	[WS_LAUNCHING] = "launching",
	[WS_ONLINE] = "online",
	[WS_STOPPING] = "stopping",
	[WS_WAITING] = "waiting-restart",
	[WS_ERRORED] = "errored",
	[WS_DRAINING] = "draining",
};

/* Variables clm sets for each worker; the app's own values are dropped. */
static const char *const worker_vars[] = {
	"CLM_APP_NAME=", "CLM_INSTANCE=", "NODE_APP_INSTANCE=",
	"CLM_NOTIFY_FD=", "CLM_DAEMON_PID=", "CLM_KILL_SIGNAL=",
	"CLM_WATCHDOG_USEC=",
	"LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
};

#define WORKER_STAT_MS	1000	/* /proc samples are reused this long */
#define DRAIN_POLL_MS	20	/* a draining worker's connections: looked at */
#define DRAIN_MIN_MS	60	/* handshakes under way land meanwhile */
#define DRAIN_IDLE_MS	500	/* idle connections: their last chance */

static const char *
wname(const struct worker *w)
{
	return w->app->spec->name;
}

static void
worker_timer_cb(uv_timer_t *t)
{
	worker_event(t->data, WE_TIMER);
}

static void
worker_free_cb(uv_handle_t *h)
{
	struct worker	*w = h->data;

	free(w->last_error);
	free(w);
}

struct worker *
worker_new(struct worker_ctx *ctx, struct worker_app *app, int slot)
{
	struct worker	*w = clm_calloc(1, sizeof *w);

	w->ctx = ctx;
	w->app = app;
	w->slot = slot;
	w->sock_key = slot;
	w->exit_code = -1;
	uv_timer_init(ctx->loop, &w->timer);
	w->timer.data = w;
	return w;
}

void
worker_destroy(struct worker *w)
{
	health_forget(w);
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, worker_free_cb);
}

bool
worker_running(const struct worker *w)
{
	return w->state == WS_LAUNCHING || w->state == WS_ONLINE ||
	    w->state == WS_STOPPING || w->state == WS_DRAINING;
}

/* The one place that sets a worker's state: the actions below, and a
 * state handed over by clm update (worker_import). */
static void
worker_set_state(struct worker *w, enum wstate s)
{
	enum wstate	was = w->state;

	if (was != s)
		log_debug("%s:%d: %s -> %s", wname(w), w->slot,
		    worker_state_names[was], worker_state_names[s]);
	w->state = s;
	if (w->ctx->changed != NULL)
		w->ctx->changed(w->ctx->arg, w, was);
}

static void
worker_set_error(struct worker *w, char *msg)
{
	free(w->last_error);
	w->last_error = msg;
}

/* ---- the state machine ---- */

static void
timer_start(struct worker *w, uint64_t ms)
{
	uv_timer_start(&w->timer, worker_timer_cb, ms, 0);
}

/* Start a process (and timer while waiting: the backoff is over); a start
 * that fails is a run that ended at once. */
static void
act_launch(struct worker *w)
{
	const struct clm_app_spec	*spec = w->app->spec;
	char				*cause = NULL;
	uint32_t			 wait = spec->listen_timeout_ms;
	int				 pid;

	uv_timer_stop(&w->timer);
	w->ready_late = false;
	w->launch_failed = false;
	/* A slot stopped by itself (clm stop NAME:ID) gets connections
	 * again. */
	w->drain = w->steered = false;
	listeners_drain(&w->app->listeners, w->sock_key, false);
	pid = w->ctx->procs->spawn(w, &cause);
	if (w->runs++ > 0)
		w->restarts++;
	w->started_ms = w->ctx->now_ms();
	w->recycle_at_ms = 0;
	if (spec->max_uptime_ms > 0) {
		w->recycle_at_ms = w->started_ms + spec->max_uptime_ms +
		    (spec->max_uptime_jitter_ms > 0 ? (uint64_t)random() %
		    ((uint64_t)spec->max_uptime_jitter_ms + 1) : 0);
		log_info("%s:%d: this run is recycled after %llu ms "
		    "(max_uptime plus jitter)", wname(w), w->slot,
		    (unsigned long long)(w->recycle_at_ms - w->started_ms));
	}
	if (pid == -1) {
		log_warnx("%s:%d: %s", wname(w), w->slot, cause);
		worker_set_error(w, cause);
		w->exit_code = -1;
		w->term_signal = 0;
		w->ended_wall_ms = clm_wall_ms();
		worker_set_state(w, WS_LAUNCHING);
		worker_event(w, WE_EXIT);
		return;
	}
	w->pid = pid;
	w->cpu.at_ms = 0;
	w->stat_at = 0;
	log_info("%s:%d: started pid %d", wname(w), w->slot, w->pid);
	worker_set_state(w, WS_LAUNCHING);
	if (!w->app->signals_ready && spec->min_uptime_ms < wait)
		wait = spec->min_uptime_ms;
	timer_start(w, wait);
}

/* up, restart: from stopped, errored or waiting; a fresh tally. */
static void
act_start(struct worker *w)
{
	w->unstable = 0;
	act_launch(w);
}

static void
go_online(struct worker *w, const char *how)
{
	uv_timer_stop(&w->timer);
	log_info("%s:%d: pid %d online (%s)", wname(w), w->slot, w->pid, how);
	w->alive_ms = w->ctx->now_ms();		/* the watchdog's clock */
	health_forget(w);
	w->health_next_ms = 0;
	w->health_fails = 0;
	w->health_bad = false;
	worker_set_state(w, WS_ONLINE);
}

/* ready while launching. */
static void
act_ready(struct worker *w)
{
	go_online(w, w->ready_how != NULL ? w->ready_how : "ready");
}

/* timer while launching: no signal came in time. */
static void
act_ready_timeout(struct worker *w)
{
	if (!w->app->signals_ready) {
		go_online(w, "up and running");
		return;
	}
	log_warnx("%s:%d: pid %d did not listen nor say READY=1 within %u ms",
	    wname(w), w->slot, w->pid, w->app->spec->listen_timeout_ms);
	w->ready_late = true;
	if (w->want == WANT_ONCE)	/* the supervisor stops it */
		worker_set_state(w, WS_LAUNCHING);
	else
		go_online(w, "not ready in time, taken as online");
}

/* down, restart while launching or online: ask it to stop. */
static void
act_term(struct worker *w)
{
	const struct clm_app_spec	*spec = w->app->spec;

	uv_timer_stop(&w->timer);
	worker_set_state(w, WS_STOPPING);
	w->ctx->procs->signal(w, spec->kill_signal);
	timer_start(w, spec->kill_timeout_ms);
}

/*
 * down, restart while online, marked to drain: its sockets get no new
 * connection (the supervisor steered them), and the kill signal waits
 * until nothing it holds is busy.
 */
static void
act_drain(struct worker *w)
{
	if (!w->drain) {
		act_term(w);
		return;
	}
	uv_timer_stop(&w->timer);
	w->drain_ms = w->ctx->now_ms();
	log_info("%s:%d: pid %d draining (%s); its kill signal waits for "
	    "its connections, %u ms at most", wname(w), w->slot, w->pid,
	    w->steered ? "new connections go to the other workers" :
	    "its socket is shared: it still accepts", 
	    w->app->spec->kill_timeout_ms);
	worker_set_state(w, WS_DRAINING);
	/* The preload answers the next requests with Connection: close. */
	if (w->chan != NULL && clm_send_fd(channel_fd(w->chan), "DRAIN", 5,
	    -1) == -1)
		log_debug("%s:%d: DRAIN not sent on its channel", wname(w),
		    w->slot);
	timer_start(w, DRAIN_POLL_MS);
}

/* timer while draining. */
static void
act_drain_poll(struct worker *w)
{
	uint64_t	took = w->ctx->now_ms() - w->drain_ms;
	int		busy = 0, total = 0;

	if (w->ctx->procs->busy != NULL)
		busy = w->ctx->procs->busy(w, &total);
	if (busy > 0 && took < w->app->spec->kill_timeout_ms) {
		timer_start(w, DRAIN_POLL_MS);
		return;
	}
	if (busy <= 0 && took < DRAIN_MIN_MS) {
		timer_start(w, DRAIN_MIN_MS - took);
		return;
	}
	/* Idle keep-alive connections: their clients may still send a
	 * request, answered with Connection: close; a grace for that. */
	if (busy <= 0 && total > 0 && took < DRAIN_IDLE_MS &&
	    took < w->app->spec->kill_timeout_ms) {
		timer_start(w, DRAIN_POLL_MS);
		return;
	}
	if (busy > 0)
		log_warnx("%s:%d: pid %d drain hit kill_timeout (%u ms): it "
		    "still serves %d connection%s, cut by its kill signal",
		    wname(w), w->slot, w->pid, w->app->spec->kill_timeout_ms,
		    busy, busy == 1 ? "" : "s");
	else
		log_info("%s:%d: pid %d drained in %llu ms (%d idle "
		    "connection%s left)", wname(w), w->slot, w->pid,
		    (unsigned long long)took, total, total == 1 ? "" : "s");
	w->drain = false;
	act_term(w);
}

/* timer while stopping. */
static void
act_kill(struct worker *w)
{
	log_info("%s:%d: pid %d still running %u ms after %s: SIGKILL",
	    wname(w), w->slot, w->pid, w->app->spec->kill_timeout_ms,
	    clm_signal_name(w->app->spec->kill_signal));
	w->ctx->sigkills++;
	w->ctx->procs->signal(w, SIGKILL);
}

/* down while waiting. */
static void
act_cancel(struct worker *w)
{
	uv_timer_stop(&w->timer);
	worker_set_state(w, WS_STOPPED);
}

/* exit while stopping: it was asked to. */
static void
act_stopped(struct worker *w)
{
	uv_timer_stop(&w->timer);
	if (w->want == WANT_UP)
		act_launch(w);
	else
		worker_set_state(w, WS_STOPPED);
}

/* The last exit's code is one of stop_exit_codes. */
static bool
worker_code_listed(const struct worker *w)
{
	char *const	*codes = w->app->spec->stop_exit_codes;
	size_t		 i;

	if (w->term_signal != 0 || w->exit_code < 0)
		return false;
	for (i = 0; codes != NULL && codes[i] != NULL; i++) {
		if (atoi(codes[i]) == w->exit_code)
			return true;
	}
	return false;
}

/* Why the app's policy leaves a worker that exited by itself stopped, or
 * NULL: it is restarted. */
static const char *
worker_stays_stopped(const struct worker *w)
{
	if (worker_code_listed(w))
		return "its exit code is one of stop_exit_codes";
	switch (w->app->spec->autorestart) {
	case CLM_RESTART_NEVER:
		return "autorestart is off";
	case CLM_RESTART_ON_FAILURE:
		if (w->term_signal == 0 && w->exit_code == 0)
			return "autorestart is on-failure and it exited with "
			    "code 0";
		return NULL;
	default:
		return NULL;
	}
}

/* exit while launching or online: it ended by itself. */
static void
act_crashed(struct worker *w)
{
	const struct clm_app_spec	*spec = w->app->spec;
	const char			*why;
	uint64_t			 uptime;
	uint32_t			 delay;

	uv_timer_stop(&w->timer);
	uptime = w->ctx->now_ms() - w->started_ms;
	w->launch_failed = w->state == WS_LAUNCHING;
	if (w->want != WANT_UP) {
		worker_set_state(w, WS_STOPPED);
		return;
	}
	if ((why = worker_stays_stopped(w)) != NULL) {
		log_info("%s:%d: exited; %s, so it stays stopped", spec->name,
		    w->slot, why);
		worker_close_sockets(w);
		worker_set_state(w, WS_STOPPED);
		return;
	}
	if (backoff_judge(&w->unstable, uptime, spec->min_uptime_ms,
	    spec->max_restarts) == BACKOFF_GIVE_UP) {
		if (spec->errored_retry_ms > 0)
			log_warnx("%s:%d: %u unstable restarts in a row (each "
			    "run shorter than %u ms): errored; trying again "
			    "in %u ms (errored_retry)", spec->name, w->slot,
			    w->unstable, spec->min_uptime_ms,
			    spec->errored_retry_ms);
		else
			log_warnx("%s:%d: %u unstable restarts in a row (each "
			    "run shorter than %u ms): errored, not restarted "
			    "until clm restart %s", spec->name, w->slot,
			    w->unstable, spec->min_uptime_ms, spec->name);
		worker_close_sockets(w);
		worker_set_state(w, WS_ERRORED);
		if (spec->errored_retry_ms > 0)
			timer_start(w, spec->errored_retry_ms);
		return;
	}
	delay = spec->restart_delay_ms > 0 ? spec->restart_delay_ms :
	    backoff_delay_ms(w->unstable, w->ctx->backoff_first_ms,
	    w->ctx->backoff_max_ms);
	log_info("%s:%d: restarting in %u ms", spec->name, w->slot, delay);
	worker_set_state(w, WS_WAITING);
	timer_start(w, delay);
}

/* timer while errored (errored_retry): one more run; if it is unstable
 * too, errored again at once, and the timer again. */
static void
act_retry(struct worker *w)
{
	const struct clm_app_spec	*spec = w->app->spec;

	if (w->want != WANT_UP || spec->errored_retry_ms == 0)
		return;
	log_info("%s:%d: errored for %u ms: trying again (errored_retry)",
	    spec->name, w->slot, spec->errored_retry_ms);
	w->unstable = spec->max_restarts > 0 ? (unsigned)spec->max_restarts :
	    0;
	act_launch(w);
}

/* down while errored: no retry any more; it stays errored. */
static void
act_hold(struct worker *w)
{
	uv_timer_stop(&w->timer);
}

typedef void (*worker_action)(struct worker *);

/*
 * What each event does in each state (NULL: nothing). Check it against
 * the diagram in clm/worker.h.
 */
static const worker_action worker_actions[WS_COUNT][WE_COUNT] = {
	/*		   up		down		restart
			   ready	timer		exit */
	[WS_STOPPED]	= { act_start,	NULL,		act_start,
			    NULL,	NULL,		NULL },
	[WS_LAUNCHING]	= { NULL,	act_term,	act_term,
			    act_ready,	act_ready_timeout, act_crashed },
	[WS_ONLINE]	= { NULL,	act_drain,	act_drain,
			    NULL,	NULL,		act_crashed },
	[WS_STOPPING]	= { NULL,	NULL,		NULL,
			    NULL,	act_kill,	act_stopped },
	[WS_WAITING]	= { act_start,	act_cancel,	act_start,
			    NULL,	act_launch,	NULL },
	[WS_ERRORED]	= { act_start,	act_hold,	act_start,
			    NULL,	act_retry,	NULL },
	[WS_DRAINING]	= { NULL,	NULL,		NULL,
			    NULL,	act_drain_poll,	act_stopped },
};

void
worker_event(struct worker *w, enum wevent ev)
{
	worker_action	act = worker_actions[w->state][ev];

	if (act != NULL)
		act(w);
}

void
worker_want(struct worker *w, enum wwant want)
{
	w->want = want;
	worker_event(w, want == WANT_DOWN ? WE_DOWN : WE_UP);
}

void
worker_restart(struct worker *w)
{
	w->want = WANT_UP;
	w->unstable = 0;
	worker_event(w, WE_RESTART);
}

void
worker_ready(struct worker *w, const char *how)
{
	w->app->signals_ready = true;
	w->ready_how = how;
	worker_event(w, WE_READY);
	w->ready_how = NULL;
}

/* The worker's process has ended (the reaper: for a process spawned here
 * or adopted across clm update; or a test). */
void
worker_exited(struct worker *w, int64_t status, int sig)
{
	uint64_t	uptime = w->ctx->now_ms() - w->started_ms;

	w->ctx->procs->ended(w);
	w->ended_wall_ms = clm_wall_ms();
	w->exit_code = sig != 0 ? -1 : (int)status;
	w->term_signal = sig;
	if (w->state != WS_STOPPING && w->state != WS_DRAINING) {
		if (sig != 0)
			worker_set_error(w, clm_asprintf("killed by %s",
			    clm_signal_name(sig)));
		else if (status == -1)	/* a crashed clmd's: not our child */
			worker_set_error(w, clm_strdup("ended (its exit status "
			    "went to whoever reaped it after a crash of clmd)"));
		else
			worker_set_error(w, clm_asprintf("exited with code %d%s%s",
			    (int)status, w->app->listeners.refusal ? "; " : "",
			    w->app->listeners.refusal ?
			    w->app->listeners.refusal : ""));
		log_info("%s:%d: pid %d %s after %llu ms", wname(w), w->slot,
		    w->pid, w->last_error, (unsigned long long)uptime);
	} else
		log_debug("%s:%d: pid %d stopped", wname(w), w->slot, w->pid);
	w->last_pid = w->pid;
	w->pid = 0;
	worker_event(w, WE_EXIT);
}

/* ---- the real processes ---- */

static void
signal_group(struct worker *w, int sig)
{
	if (w->pid <= 0 || kill(-w->pid, sig) == 0)
		return;
	/* No group yet: our child, started without waiting for it, has not
	 * made its session (its signals are blocked until its execve: this
	 * one waits for it). Its pid is ours until the reaper reaps it. */
	if (errno == ESRCH && !w->adopted && kill(w->pid, sig) == 0)
		return;
	if (errno != ESRCH)
		log_warn("%s:%d: kill %s to group %d", wname(w), w->slot,
		    clm_signal_name(sig), w->pid);
}

/* channel callbacks */

static int
chan_bind(void *arg, const struct clm_listen_addr *addr, int *err,
    char **cause)
{
	struct worker	*w = arg;
	int		 fd;

	/* A socket per slot, all in one SO_REUSEPORT group: the kernel
	 * spreads connections evenly over them, where one shared socket
	 * would favour the worker that waited last. */
	fd = listeners_request(&w->app->listeners, addr, w->sock_key,
	    w->app->spec->listen, err, cause);
	/* A new socket is part of what a crash must not lose. */
	if (fd != -1 && w->ctx->changed != NULL)
		w->ctx->changed(w->ctx->arg, w, w->state);
	return fd;
}

static void
chan_ready(void *arg, const char *how)
{
	worker_ready(arg, how);
}

static void
chan_watchdog(void *arg)
{
	struct worker	*w = arg;

	w->alive_ms = w->ctx->now_ms();
}

static const struct channel_cbs worker_chan_cbs = {
	chan_bind, chan_ready, chan_watchdog
};

static void
env_set(char ***env, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = clm_vasprintf(fmt, ap);
	va_end(ap);
	clm_strv_push(env, s);
	free(s);
}

/* The value of name in env, or NULL. */
static const char *
env_get(char **env, const char *name)
{
	size_t	len = strlen(name), i;

	for (i = 0; env[i] != NULL; i++) {
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	}
	return NULL;
}

/* name=n in env, in place of the app's own value. */
static void
env_replace(char ***env, const char *name, long long n)
{
	size_t	len = strlen(name), i;

	for (i = 0; (*env)[i] != NULL; i++) {
		if (strncmp((*env)[i], name, len) == 0 &&
		    (*env)[i][len] == '=') {
			free((*env)[i]);
			(*env)[i] = clm_asprintf("%s=%lld", name, n);
			return;
		}
	}
	env_set(env, "%s=%lld", name, n);
}

/* increment_var: slot i gets the app's number plus i (PORT=3000: 3001). */
static void
worker_increment(struct worker *w, char ***env)
{
	const char	*var = w->app->spec->increment_var, *v;
	long long	 base;

	if (var == NULL)
		return;
	v = env_get(*env, var);
	if (v == NULL || clm_parse_int(v, 0, INT_MAX - CLM_INSTANCES_LIMIT,
	    &base) != 0) {
		log_warnx("%s:%d: increment_var %s: the environment has no "
		    "number %s, so it is left as it is", wname(w), w->slot,
		    var, var);
		return;
	}
	env_replace(env, var, base + w->slot);
}

/*
 * The worker's environment: the app's, with clm's variables set, and the
 * preload libraries added to LD_PRELOAD and NODE_OPTIONS.
 */
static char **
worker_env(struct worker *w, int chan_fd)
{
	extern char			**environ;
	const struct worker_ctx		 *ctx = w->ctx;
	char			        **src, **env = NULL;
	const char			 *old;
	size_t				  i, k;

	src = w->app->spec->env ? w->app->spec->env : environ;
	for (i = 0; src[i] != NULL; i++) {
		for (k = 0; k < CLM_ARRAY_SIZE(worker_vars); k++) {
			if (strncmp(src[i], worker_vars[k],
			    strlen(worker_vars[k])) == 0)
				break;
		}
		if (k < CLM_ARRAY_SIZE(worker_vars) ||
		    strncmp(src[i], "LD_PRELOAD=", 11) == 0 ||
		    strncmp(src[i], "NODE_OPTIONS=", 13) == 0)
			continue;
		clm_strv_push(&env, src[i]);
	}
	env_set(&env, "CLM_APP_NAME=%s", wname(w));
	env_set(&env, "CLM_INSTANCE=%d", w->slot);
	env_replace(&env, w->app->spec->instance_var != NULL ?
	    w->app->spec->instance_var : "NODE_APP_INSTANCE", w->slot);
	worker_increment(w, &env);
	env_set(&env, "CLM_KILL_SIGNAL=%s",
	    clm_signal_name(w->app->spec->kill_signal));
	if (chan_fd != -1) {
		env_set(&env, "CLM_NOTIFY_FD=%d", chan_fd);
		env_set(&env, "CLM_DAEMON_PID=%ld", (long)getpid());
		if (w->app->spec->watchdog_ms > 0)
			env_set(&env, "CLM_WATCHDOG_USEC=%llu", (unsigned long
			    long)w->app->spec->watchdog_ms * 1000);
	}
	if (w->app->nlisten_fds > 0) {
		char	*names = clm_strdup("");

		for (i = 0; i < w->app->nlisten_fds; i++) {
			char *s = clm_asprintf("%s%s%s", names, i ? ":" : "",
			    wname(w));
			free(names);
			names = s;
		}
		env_set(&env, "LISTEN_FDS=%zu", w->app->nlisten_fds);
		env_set(&env, "LISTEN_FDNAMES=%s", names);
		free(names);
	}
	old = env_get(src, "LD_PRELOAD");
	if (ctx->preload != NULL)
		env_set(&env, "LD_PRELOAD=%s%s%s", ctx->preload,
		    old && *old ? ":" : "", old ? old : "");
	else if (old != NULL)
		env_set(&env, "LD_PRELOAD=%s", old);
	old = env_get(src, "NODE_OPTIONS");
	if (ctx->node_preload != NULL)
		env_set(&env, "NODE_OPTIONS=--require \"%s\"%s%s",
		    ctx->node_preload, old && *old ? " " : "", old ? old : "");
	else if (old != NULL)
		env_set(&env, "NODE_OPTIONS=%s", old);
	return env;
}

void
worker_shim_argv(const struct worker *w, char ***argv)
{
	worker_exec_prefix(w->ctx->exec_shim, w->app->spec, argv);
}

void
worker_exec_prefix(const char *shim, const struct clm_app_spec *spec,
    char ***argv)
{
	clm_strv_push(argv, shim);
	if (spec->user != NULL) {
		clm_strv_push(argv, "--user");
		clm_strv_push(argv, spec->user);
	}
	if (spec->group != NULL) {
		clm_strv_push(argv, "--group");
		clm_strv_push(argv, spec->group);
	}
	clm_strv_push(argv, "--");
}

static char **
worker_argv(struct worker *w)
{
	const struct clm_app_spec	*spec = w->app->spec;
	char			       **argv = NULL;
	size_t				 i;

	/*
	 * LISTEN_PID must be the worker's own pid, known only after fork,
	 * and a worker of another user needs its supplementary groups, which
	 * libuv would drop: clm-exec does both, then execs the app.
	 */
	if ((w->app->nlisten_fds > 0 || spec->user != NULL) &&
	    w->ctx->exec_shim != NULL)
		worker_shim_argv(w, &argv);
	if (spec->interpreter != NULL) {
		clm_strv_push(&argv, spec->interpreter);
		for (i = 0; spec->interpreter_args != NULL &&
		    spec->interpreter_args[i] != NULL; i++)
			clm_strv_push(&argv, spec->interpreter_args[i]);
	}
	clm_strv_push(&argv, spec->script);
	for (i = 0; spec->args != NULL && spec->args[i] != NULL; i++)
		clm_strv_push(&argv, spec->args[i]);
	return argv;
}

/* The end of the worker's process, from the reaper: one spawned here, or
 * adopted across clm update. */
static void
proc_reaped(void *arg, int pid, int wstatus)
{
	struct worker	*w = arg;

	if (wstatus == REAPER_STATUS_UNKNOWN)
		worker_exited(w, -1, 0);
	else if (WIFSIGNALED(wstatus))
		worker_exited(w, 0, WTERMSIG(wstatus));
	else
		worker_exited(w, WEXITSTATUS(wstatus), 0);
}

/*
 * The --listen sockets the worker gets as LISTEN_FDS: its own in each
 * address's SO_REUSEPORT group (its sock_key's), so that a drain can
 * steer new connections around it; a socket from systemd is shared.
 * NULL with *cause.
 */
static int *
worker_listen_fds(struct worker *w, char **cause)
{
	struct worker_app	*a = w->app;
	struct clm_listen_addr	 addr;
	int			*fds, err;
	size_t			 i;

	fds = clm_calloc(a->nlisten_fds + 1, sizeof *fds);
	for (i = 0; i < a->nlisten_fds; i++) {
		fds[i] = a->listen_fds[i];
		if (a->spec->listen == NULL || a->spec->listen[i] == NULL)
			continue;	/* taken over from an older clmd */
		if (listeners_parse(a->spec->listen[i], &addr, cause) == -1 ||
		    (fds[i] = listeners_get(&a->listeners, &addr, w->sock_key,
		    &err, cause)) == -1) {
			listeners_addr_clear(&addr);
			free(fds);
			return NULL;
		}
		listeners_addr_clear(&addr);
	}
	return fds;
}

/* Why w does not start when clmd is out of fds for what: its channel,
 * its log pipes. */
static char *
proc_no_fds(struct worker *w, const char *what)
{
	return clm_asprintf("cannot start %s:%d: too many open files in clmd "
	    "for its %s", wname(w), w->slot, what);
}

static int
proc_spawn(struct worker *w, char **cause)
{
	const struct clm_app_spec	*spec = w->app->spec;
	struct worker_app		*a = w->app;
	struct worker_ctx		*ctx = w->ctx;
	struct spawn_opts		 opts;
	char			       **argv, **env, *why = NULL;
	int				 out, err, chan_fd = -1, nfds, r;
	int				*listen_fds, *fds;
	int				 pid = -1;
	uint64_t			 t0;
	size_t				 i;

	if ((listen_fds = worker_listen_fds(w, cause)) == NULL)
		return -1;
	/* Without its channel a worker cannot be drained nor watched, and
	 * without its pipes its output is lost: out of fds, it does not
	 * start (a start does not need a single fd of clmd's own). */
	if (channel_open(ctx->loop, &worker_chan_cbs, w, &w->chan,
	    &chan_fd, &why) == -1) {
		if (errno == EMFILE || errno == ENFILE)
			*cause = proc_no_fds(w, "channel");
		else
			*cause = clm_asprintf("cannot start %s:%d: %s",
			    wname(w), w->slot, why);
		free(why);
		free(listen_fds);
		w->chan = NULL;
		return -1;
	}
	w->run_id = ++ctx->runs;
	if (logs_attach(ctx->logs, spec, w->slot, w->run_id, &out,
	    &err) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			*cause = proc_no_fds(w, "log pipes");
			goto out;
		}
		log_warnx("%s:%d: its output is not logged", spec->name,
		    w->slot);
	}
	/* fds 0-2, then LISTEN_FDS from 3, then the channel. */
	nfds = 3 + (int)a->nlisten_fds + (chan_fd != -1);
	fds = clm_calloc(nfds, sizeof *fds);
	fds[0] = -1;
	fds[1] = out;
	fds[2] = err;
	for (i = 0; i < a->nlisten_fds; i++)
		fds[3 + i] = listen_fds[i];
	if (chan_fd != -1)
		fds[nfds - 1] = chan_fd;
	argv = worker_argv(w);
	env = worker_env(w, chan_fd != -1 ? nfds - 1 : -1);
	if (ctx->exec_shim != NULL && strcmp(argv[0], ctx->exec_shim) == 0)
		secenv_hide(env);	/* clm-exec runs as root: see secenv.h */

	memset(&opts, 0, sizeof opts);
	opts.file = argv[0];
	opts.argv = argv;
	opts.env = env;
	opts.cwd = spec->cwd;
	opts.fds = fds;
	opts.nfds = nfds;
	/* A session and process group of its own: stop signals the group. */
	opts.setsid = true;
	t0 = reaper_boottime_ns();
	if ((r = spawn_start(&opts, &pid)) != 0) {
		pid = -1;
		*cause = clm_asprintf("cannot start %s: %s (in %s)", argv[0],
		    uv_strerror(r), spec->cwd ? spec->cwd : ".");
		if (err != -1 && dprintf(err, "clm: %s\n", *cause) < 0)
			(void)0;
	} else {
		/* The reaper reaps it and tells proc_reaped(). */
		reaper_child(pid, proc_reaped, w);
		if (spec->log_target == CLM_LOG_STDOUT ||
		    spec->log_target == CLM_LOG_BOTH)
			logs_pid(ctx->logs, spec->name, w->slot, w->run_id,
			    pid);
		/* Who adopts it after a crash of clmd checks this: libuv
		 * sees the end of our own child, no pidfd is held. */
		w->start_time = reaper_start_time_between(pid, t0,
		    reaper_boottime_ns());
	}
	free(fds);
	clm_strv_free(argv);
	clm_strv_free(env);
out:
	if (pid == -1) {
		channel_close(w->chan);
		w->chan = NULL;
		logs_detach(ctx->logs, spec->name, w->slot, w->run_id);
	}
	if (out != -1)
		close(out);
	if (err != -1)
		close(err);
	if (chan_fd != -1)
		close(chan_fd);
	free(listen_fds);
	return pid;
}

static void
proc_ended(struct worker *w)
{
	/* Whatever the worker left in its process group goes with it. */
	signal_group(w, SIGKILL);
	w->adopted = false;
	w->start_time = 0;
	logs_detach(w->ctx->logs, wname(w), w->slot, w->run_id);
	channel_close(w->chan);
	w->chan = NULL;
}

/* Draining: what waits in its sockets' queues (when no new connection
 * comes to them), and its busy connections. */
static int
proc_busy(struct worker *w, int *total)
{
	int	ports[16], busy, queued = 0;
	size_t	n;

	if (w->steered)
		queued = listeners_queued(&w->app->listeners, w->sock_key);
	n = listeners_ports(&w->app->listeners, ports, CLM_ARRAY_SIZE(ports));
	if ((busy = drain_busy(w->pid, ports, n, total)) < 0)
		busy = 0;
	*total += queued;
	return busy + queued;
}

const struct worker_procs worker_procs_uv = {
	proc_spawn, signal_group, proc_ended, proc_busy
};

/* ---- clm update, list, describe ---- */

void
worker_import(struct worker *w, const char *state, enum wwant want, int pid,
    uint64_t start_time, int chan_fd)
{
	char	*cause = NULL;
	size_t	 i;

	w->want = want;
	if (pid > 0) {
		w->pid = pid;
		/* An older clmd's state has none: what it is now. */
		w->start_time = start_time != 0 ? start_time :
		    reaper_start_time(pid);
		w->adopted = true;
		reaper_adopt(pid, start_time, proc_reaped, w);
	}
	if (chan_fd != -1 && channel_adopt(w->ctx->loop, &worker_chan_cbs, w,
	    chan_fd, &w->chan, &cause) == -1) {
		log_warnx("%s:%d: %s", wname(w), w->slot, cause);
		free(cause);
		close(chan_fd);
		w->chan = NULL;
	}
	for (i = 0; i < WS_COUNT; i++) {
		if (strcmp(worker_state_names[i], state) == 0) {
			worker_set_state(w, (enum wstate)i);
			break;
		}
	}
	/* Its timer goes on: a restart's backoff, readiness (a crashed
	 * clmd's launching worker), the kill of a stopping one, the retry
	 * of an errored one (errored_retry, a whole wait later). */
	if (w->state == WS_ERRORED && w->want == WANT_UP &&
	    w->app->spec->errored_retry_ms > 0)
		timer_start(w, w->app->spec->errored_retry_ms);
	else if (w->state == WS_WAITING)
		timer_start(w, w->app->spec->restart_delay_ms > 0 ?
		    w->app->spec->restart_delay_ms : backoff_delay_ms(
		    w->unstable, w->ctx->backoff_first_ms,
		    w->ctx->backoff_max_ms));
	else if (w->state == WS_LAUNCHING)
		timer_start(w, w->app->spec->listen_timeout_ms);
	else if (w->state == WS_STOPPING)
		timer_start(w, w->app->spec->kill_timeout_ms);
	else if (w->state == WS_DRAINING) {
		/* A crashed clmd's draining worker: steered around again,
		 * its drain starts over. */
		w->steered = listeners_drain(&w->app->listeners, w->sock_key,
		    true);
		w->drain = true;
		w->drain_ms = w->ctx->now_ms();
		timer_start(w, DRAIN_POLL_MS);
	}
}

/*
 * A slot that stays down while the app runs must not keep its socket in
 * the SO_REUSEPORT group: the kernel would go on queueing its share of the
 * connections there, and nobody would accept them.
 */
void
worker_close_sockets(struct worker *w)
{
	struct clm_listeners	*ls = &w->app->listeners;
	size_t			 i, n = 0;

	for (i = 0; i < ls->n; i++)
		n += ls->v[i].slot == w->sock_key;
	if (n == 0)
		return;
	log_info("%s:%d: closing the slot's %zu listening socket%s",
	    wname(w), w->slot, n, n == 1 ? "" : "s");
	listeners_close_slot(ls, w->sock_key);
}

/* "LOGDIR/web-0-out.log and LOGDIR/web-0-err.log": where a worker's output
 * went (its stdout is in the first). */
static char *
worker_logs_named(const struct worker *w)
{
	const char	*name = wname(w), *logdir = w->ctx->logdir;
	char		 id[16];

	if (w->app->spec->merge_logs)
		snprintf(id, sizeof id, "all");
	else
		snprintf(id, sizeof id, "%d", w->slot);
	return clm_asprintf("%s/%s-%s-out.log and %s-%s-err.log", logdir,
	    name, id, name, id);
}

bool
worker_finished(const struct worker *w)
{
	return w->state == WS_STOPPED && w->want == WANT_UP &&
	    w->term_signal == 0 && (w->exit_code == 0 ||
	    worker_code_listed(w));
}

char *
worker_failure(const struct worker *w)
{
	const char	*name = wname(w);
	const char	*why = w->last_error ? w->last_error : "it exited";
	char		*logs, *s;

	if (w->want == WANT_ONCE && w->ready_late)
		return clm_asprintf("new worker %s:%d (pid %d) did not listen "
		    "nor say READY=1 within %u ms (a slow starter? raise "
		    "--listen-timeout)", name, w->slot, w->pid,
		    w->app->spec->listen_timeout_ms);
	if (worker_finished(w))
		return NULL;
	logs = worker_logs_named(w);
	switch (w->state) {
	case WS_ERRORED:
		s = clm_asprintf("worker %s:%d errored after %u restarts "
		    "(%s; see %s)", name, w->slot, w->restarts, why, logs);
		break;
	case WS_STOPPED:
		if (w->want == WANT_DOWN)
			s = clm_asprintf("worker %s:%d is stopped (clm restart "
			    "%s:%d starts it)", name, w->slot, name, w->slot);
		else if (w->want == WANT_ONCE)
			s = clm_asprintf("new worker %s:%d %s before it was "
			    "ready (see %s)", name, w->slot, why, logs);
		else
			s = clm_asprintf("worker %s:%d %s and %s (see %s)",
			    name, w->slot, why, worker_stays_stopped(w) ?
			    worker_stays_stopped(w) : "stays stopped", logs);
		break;
	case WS_WAITING:
		if (!w->launch_failed) {
			s = NULL;
			break;
		}
		/* A one-shot job under autorestart: it runs again and again. */
		if (w->exit_code == 0 && w->term_signal == 0)
			s = clm_asprintf("worker %s:%d %s before it was online; "
			    "clm keeps restarting it (see %s). A one-shot "
			    "job? Start it with --no-autorestart, "
			    "--autorestart on-failure or --stop-exit-codes 0 "
			    "(stop_exit_codes = 0 in an app file): then exit "
			    "code 0 means done", name, w->slot, why, logs);
		else
			s = clm_asprintf("worker %s:%d %s before it was online; "
			    "clm keeps restarting it (see %s)", name, w->slot,
			    why, logs);
		break;
	default:
		s = NULL;
		break;
	}
	free(logs);
	return s;
}

void
worker_info(struct worker *w, struct clm_worker_info *info, uint64_t now)
{
	uint64_t	cpu_ms, rss;

	memset(info, 0, sizeof *info);
	info->name = clm_strdup(wname(w));
	info->id = w->slot;
	info->pid = w->pid;
	info->status = clm_strdup(worker_state_names[w->state]);
	info->restarts = w->restarts;
	info->desired = w->want != WANT_DOWN;
	info->health = health_status(w);
	/* How the last run ended: for a worker that runs, no more. */
	info->exit_code = w->pid > 0 ? -1 : w->exit_code;
	info->signal = w->pid > 0 ? 0 : w->term_signal;
	if (w->pid == 0 && w->ended_wall_ms != 0) {
		info->ended_ms = w->ended_wall_ms;
		if (w->want == WANT_DOWN && w->state == WS_STOPPED)
			info->reason = clm_strdup("clm stop");
		else if (w->term_signal != 0)
			info->reason = clm_strdup(clm_signal_name(
			    w->term_signal));
		else if (w->exit_code >= 0)
			info->reason = clm_asprintf("exit %d", w->exit_code);
		else
			info->reason = clm_strdup("cannot start");
	}
	if (w->pid > 0) {
		info->uptime_ms = now - w->started_ms;
		if ((w->stat_at == 0 || now - w->stat_at >= WORKER_STAT_MS) &&
		    (w->ctx->stat_max == 0 ||
		    w->ctx->stat_reads++ < w->ctx->stat_max) &&
		    procstat_read(w->pid, &cpu_ms, &rss) == 0) {
			w->stat_cpu = procstat_cpu_percent(&w->cpu, cpu_ms,
			    now, w->started_ms);
			w->stat_cpu_ms = cpu_ms;
			w->stat_rss = rss;
			w->stat_at = now;
		}
		info->cpu = w->stat_cpu;
		info->cpu_ms = w->stat_cpu_ms;
		info->memory = w->stat_rss;
	}
}
