/*
 * The process table: apps and the long operations on them.
 *
 * Long operations (start, stop, restart, delete, reload, scale) are `ops`:
 * each waits for a condition on the workers of some apps, or steps through
 * a sequence (reload), and then calls its callback. After anything changes
 * the supervisor is "kicked" and looks at every op once, in an idle
 * callback, so that no callback runs inside another.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/config.h"
#include "clm/cron.h"
#include "clm/events.h"
#include "clm/hooks.h"
#include "clm/limits.h"
#include "clm/health.h"
#include "clm/log.h"
#include "clm/orphans.h"
#include "clm/logs.h"
#include "clm/options.h"
#include "clm/nametab.h"
#include "clm/procstat.h"
#include "clm/secenv.h"
#include "clm/supervisor.h"
#include "clm/upgrade.h"
#include "clm/watch.h"
#include "clm/worker.h"

struct app {
	struct clm_supervisor	*sup;
	struct worker_app	 wa;		/* spec, sockets: what its
						   workers see */
	struct worker	       **workers;
	int			 nworkers;
	int			 nwanted;	/* workers wanted; those past it
						   are being removed */
	struct worker		*incoming;	/* reload: the new worker */
	struct worker		*retiring;	/* reload: the old one */
	struct worker	       **strays;	/* a dead clmd's operation's:
						   stopped, then freed */
	int			 nstrays;
	bool			 up;		/* wanted running */
	bool			 deleting;
	bool			 removed;	/* apps_remove(): off the list */
	/* cron_restart: its next time (seconds since the epoch; 0: to be
	 * computed, -1: never), for the schedule and zone in cron_for. */
	int64_t			 cron_next;
	char			*cron_for;
	/* watch: the tree's watch, for the paths, globs and delay in
	 * watch_for. */
	struct watch		*watch;
	char			*watch_for;
	/* depends_on: started once its dependencies are online; stopped
	 * (with them) once the apps that depend on it are down. */
	bool			 await_deps;
	bool			 stop_pending;
	/* pre_start, post_stop */
	bool			 hook_running;	/* pre_start: workers wait */
	unsigned		 hook_gen;	/* which run a callback is of */
	char			*hook_failure;	/* pre_start failed: why */
	bool			 post_stop_due;	/* run it once it is down */
};

#define HOOK_TIMEOUT_MS	60000

struct clm_supervisor {
	uv_loop_t		*loop;
	const struct clm_home	*home;
	struct worker_ctx	 wctx;		/* what workers get */
	struct app	       **apps;
	size_t			 napps, apps_cap;
	struct nametab		*byname;	/* apps by name */
	struct op		*ops;
	uv_idle_t		 kick;
	uv_timer_t		 memwatch;	/* max_memory checks */
	uv_timer_t		 deadline;
	int			 open_handles;	/* freed when the last one of
						   kick, memwatch, deadline has
						   closed */
	int			 ncpu;
	struct clm_app_spec	 defaults;	/* [defaults] of clm.ini */
	char			*preload;	/* libclm-preload.so */
	char			*node_preload;	/* clm-node.js */
	char			*exec_shim;	/* clm-exec */
	/* The memory of a worker (tests replace it). */
	int			(*rss)(int pid, uint64_t *rss);
	int			 nstrays;	/* in all apps */
	/* Told of every change of the state (clm-keeper's copy). */
	void			(*on_change)(void *);
	void			*on_change_arg;
};

enum op_kind {
	OP_ONLINE,	/* every worker online */
	OP_DOWN,	/* no worker running */
	OP_DELETE,	/* no worker running, then remove the apps */
	OP_RELOAD,	/* replace every worker, slot by slot */
	OP_SHRINK,	/* the workers past `target` stopped, then removed */
};

enum reload_phase {
	RELOAD_BEGIN,	/* start the new worker of the slot */
	RELOAD_NEW,	/* wait for it to be online */
	RELOAD_OLD,	/* wait for the old one to stop */
	RELOAD_ABORT,	/* wait for the failed new one to stop */
};

struct op {
	struct clm_supervisor	*sup;
	enum op_kind		 kind;
	char		       **names;
	supervisor_done_cb	 done;
	void			*arg;
	uint64_t		 deadline_ms;	/* 0: none */
	/* reload */
	size_t			 app;
	int			 slot;
	enum reload_phase	 phase;
	char			*failure;
	/* shrink: the count to keep; reload: the slots to replace (-1: all) */
	int			 target;
	int			 one;		/* online, down: only this slot
						   (NAME:ID); -1: every one */
	struct op		*next;
};

static void	sup_deadline_cb(uv_timer_t *);
static void	sup_kick(struct clm_supervisor *);
static void	app_resize(struct app *, int, supervisor_done_cb, void *);

static void
sup_changed(struct clm_supervisor *sup)
{
	if (sup->on_change != NULL)
		sup->on_change(sup->on_change_arg);
}

/* ---- apps ---- */

static struct app *
app_find(struct clm_supervisor *sup, const char *name)
{
	return nametab_get(sup->byname, name);
}

static bool
app_running(const struct app *a)
{
	int	i;

	for (i = 0; i < a->nworkers; i++) {
		if (worker_running(a->workers[i]) ||
		    a->workers[i]->state == WS_WAITING)
			return true;
	}
	for (i = 0; i < a->nstrays; i++) {
		if (worker_running(a->strays[i]))
			return true;
	}
	return (a->incoming != NULL && worker_running(a->incoming)) ||
	    (a->retiring != NULL && worker_running(a->retiring));
}

/*
 * Is a reload or a scale of the app under way? Another one (or a memory
 * replacement) waits for it to end.
 */
static bool
app_busy(const struct app *a)
{
	return a->incoming != NULL || a->retiring != NULL ||
	    a->nwanted != a->nworkers;
}

static void
app_grow(struct app *a, int n)
{
	a->nwanted = n;
	a->workers = clm_realloc(a->workers, n * sizeof *a->workers);
	while (a->nworkers < n) {
		a->workers[a->nworkers] = worker_new(&a->sup->wctx, &a->wa,
		    a->nworkers);
		a->nworkers++;
	}
}

static struct app *
app_new(struct clm_supervisor *sup, struct clm_app_spec *spec)
{
	struct app	*a = clm_calloc(1, sizeof *a), *last;

	a->sup = sup;
	a->wa.spec = spec;
	/* The environment of the app before (an app file's apps, a saved
	 * list of them): one copy for both. */
	last = sup->napps > 0 ? sup->apps[sup->napps - 1] : NULL;
	if (last != NULL && spec->env != NULL &&
	    spec->env != last->wa.spec->env &&
	    clm_strv_eq(spec->env, last->wa.spec->env)) {
		clm_strv_free(spec->env);
		spec->env = clm_strv_share(last->wa.spec->env);
	}
	listeners_own(&a->wa.listeners, spec->name, spec->user, spec->group);
	if (sup->napps == sup->apps_cap) {
		sup->apps_cap = sup->apps_cap ? sup->apps_cap * 2 : 16;
		sup->apps = clm_realloc(sup->apps,
		    sup->apps_cap * sizeof *sup->apps);
	}
	sup->apps[sup->napps++] = a;
	nametab_put(sup->byname, spec->name, a);
	sup_changed(sup);
	return a;
}

/* Free what a removed app holds (none of its workers runs). */
static void
app_free(struct app *a)
{
	int	j;

	for (j = 0; j < a->nworkers; j++)
		worker_destroy(a->workers[j]);
	if (a->incoming != NULL)
		worker_destroy(a->incoming);
	if (a->retiring != NULL)
		worker_destroy(a->retiring);
	for (j = 0; j < a->nstrays; j++)
		worker_destroy(a->strays[j]);
	free(a->strays);
	health_app_forget(&a->wa);
	listeners_close(&a->wa.listeners);
	free(a->wa.listen_fds);
	free(a->workers);
	free(a->cron_for);
	free(a->hook_failure);
	watch_free(a->watch);
	free(a->watch_for);
	clm_app_spec_free(a->wa.spec);
	free(a);
}

/*
 * Remove apps none of whose workers runs (NULL-terminated), with what
 * escaped their process groups: one pass over the list of apps and one
 * look at clmd's children for them all, however many (delete all).
 */
static void
apps_remove(struct clm_supervisor *sup, struct app **gone)
{
	char	**names;
	size_t	  i, k, n;

	for (n = 0; gone[n] != NULL; n++) {
		gone[n]->removed = true;
		if (app_find(sup, gone[n]->wa.spec->name) == gone[n])
			nametab_del(sup->byname, gone[n]->wa.spec->name);
	}
	if (n == 0)
		return;
	for (i = 0, k = 0; i < sup->napps; i++) {	/* the others in order */
		if (!sup->apps[i]->removed)
			sup->apps[k++] = sup->apps[i];
	}
	sup->napps = k;
	names = clm_calloc(n + 1, sizeof *names);
	for (i = 0; i < n; i++)
		names[i] = gone[i]->wa.spec->name;
	orphans_kill_apps(names);
	free(names);
	for (i = 0; i < n; i++)
		app_free(gone[i]);
	sup_changed(sup);
}

/* Only for an app none of whose workers runs. */
static void
app_remove(struct app *a)
{
	struct app	*gone[2] = { a, NULL };

	apps_remove(a->sup, gone);
}

/* Bind the --listen addresses up front. -1 with *cause. */
static int
app_listen(struct app *a, char **cause)
{
	struct clm_listen_addr	addr;
	size_t			i;
	int			fd, err;

	for (i = 0; a->wa.spec->listen != NULL && a->wa.spec->listen[i] != NULL;
	    i++) {
		if (listeners_parse(a->wa.spec->listen[i], &addr, cause) == -1)
			return -1;
		/* Slot 0's socket: each worker gets one of its own in the
		 * address's SO_REUSEPORT group (see worker.c, listen_fds). */
		fd = listeners_get(&a->wa.listeners, &addr, 0, &err, cause);
		listeners_addr_clear(&addr);
		if (fd == -1)
			return -1;
		a->wa.listen_fds = clm_realloc(a->wa.listen_fds,
		    (a->wa.nlisten_fds + 1) * sizeof *a->wa.listen_fds);
		a->wa.listen_fds[a->wa.nlisten_fds++] = fd;
	}
	return 0;
}

/* ---- ops ---- */

static void
op_free(struct op *op)
{
	clm_strv_free(op->names);
	free(op->failure);
	free(op);
}

/* A reload's begin, end or failure, for each of its apps. */
static void
sup_reload_event(struct clm_supervisor *sup, char **names, const char *ev,
    const char *msg)
{
	struct app	*a;
	size_t		 i;

	for (i = 0; names[i] != NULL; i++)
		if ((a = app_find(sup, names[i])) != NULL)
			events_app(a->wa.spec, -1, 0, ev, msg != NULL ? "%s" :
			    NULL, msg);
}

static struct op *
op_add(struct clm_supervisor *sup, enum op_kind kind, char **names,
    uint64_t timeout_ms, supervisor_done_cb done, void *arg)
{
	struct op	*op = clm_calloc(1, sizeof *op);

	op->sup = sup;
	op->kind = kind;
	op->names = clm_strv_dup(names);
	op->done = done;
	op->arg = arg;
	op->one = -1;
	if (kind == OP_RELOAD)
		sup_reload_event(sup, names, "reload-begin", NULL);
	if (timeout_ms != 0)
		op->deadline_ms = clm_now_ms() + timeout_ms;
	op->next = sup->ops;
	sup->ops = op;
	sup_kick(sup);
	return op;
}

/* depends_on: a dependency of a cannot come online (*cause says why). */
static bool
check_deps_failed(struct app *a, char **cause)
{
	char *const	*d = a->wa.spec->depends_on;
	struct app	*dep;
	char		*why;
	size_t		 i;
	int		 j;

	for (i = 0; d != NULL && d[i] != NULL; i++) {
		if ((dep = app_find(a->sup, d[i])) == NULL || !dep->up) {
			*cause = clm_asprintf("%s waits for %s, which is not "
			    "running (depends_on)", a->wa.spec->name, d[i]);
			return true;
		}
		for (j = 0; j < dep->nwanted && !dep->await_deps; j++) {
			if (dep->workers[j]->state == WS_ONLINE ||
			    worker_finished(dep->workers[j]) ||
			    (why = worker_failure(dep->workers[j])) == NULL)
				continue;
			*cause = clm_asprintf("%s waits for %s, which cannot "
			    "come online: %s", a->wa.spec->name, d[i], why);
			free(why);
			return true;
		}
	}
	return false;
}

/* OP_ONLINE: 1 when every worker is online, -1 when one cannot be. */
static int
check_online(struct op *op, struct app *a, char **cause)
{
	int	j;

	if (a->hook_failure != NULL) {
		*cause = clm_strdup(a->hook_failure);
		return -1;
	}
	if (!a->up) {
		*cause = clm_asprintf("app %s was stopped meanwhile",
		    a->wa.spec->name);
		return -1;
	}
	if (a->await_deps)	/* depends_on: its turn has not come */
		return check_deps_failed(a, cause) ? -1 : 0;
	for (j = 0; j < a->nwanted; j++) {
		if ((op->one >= 0 && j != op->one) ||
		    a->workers[j]->state == WS_ONLINE ||
		    worker_finished(a->workers[j]))
			continue;
		if ((*cause = worker_failure(a->workers[j])) != NULL)
			return -1;
		return 0;
	}
	return 1;
}

/*
 * w is to stop while the app's other workers serve: new connections go
 * to them (its sockets are steered around), and its kill signal waits
 * for what it holds (the worker's draining state).
 */
static void
worker_drain(struct app *a, struct worker *w)
{
	w->steered = listeners_drain(&a->wa.listeners, w->sock_key, true);
	w->drain = w->state == WS_ONLINE;
}

/* OP_RELOAD: one step of the rolling replacement. */
static int
reload_step(struct op *op, char **cause)
{
	struct worker	*old, *nw;
	struct app	*a;

	for (;;) {
		if (op->names[op->app] == NULL)
			return 1;
		a = app_find(op->sup, op->names[op->app]);
		if (a == NULL || (op->phase == RELOAD_BEGIN &&
		    (op->slot >= a->nwanted ||
		    (op->target >= 0 && op->slot >= op->target)))) {
			op->app++;
			op->slot = 0;
			op->phase = RELOAD_BEGIN;
			continue;
		}
		switch (op->phase) {
		case RELOAD_BEGIN:
			/* Another reload (or scale) of this app goes first. */
			if (app_busy(a))
				return 0;
			if (!a->up) {
				*cause = clm_asprintf("app %s was stopped "
				    "during the reload", a->wa.spec->name);
				return -1;
			}
			nw = worker_new(&a->sup->wctx, &a->wa, op->slot);
			/* Sockets of its own while the old worker drains its
			 * own (a worker that is not running leaves its queue
			 * to the new one). */
			old = a->workers[op->slot];
			if (worker_running(old))
				nw->sock_key = WORKER_KEY_INCOMING(op->slot);
			else
				nw->sock_key = old->sock_key;
			a->incoming = nw;
			op->phase = RELOAD_NEW;
			worker_want(nw, WANT_ONCE);
			continue;
		case RELOAD_NEW:
			nw = a->incoming;
			if (nw->state == WS_ONLINE && a->up) {
				old = a->workers[op->slot];
				worker_want(nw, WANT_UP);
				nw->restarts = old->restarts + 1;
				nw->runs = old->runs + 1;
				a->workers[op->slot] = nw;
				a->incoming = NULL;
				a->retiring = old;
				worker_drain(a, old);
				worker_want(old, WANT_DOWN);
				op->phase = RELOAD_OLD;
				continue;
			}
			if (!a->up)
				op->failure = clm_asprintf("app %s was stopped "
				    "during the reload", a->wa.spec->name);
			else
				op->failure = worker_failure(nw);
			if (op->failure == NULL)
				return 0;
			log_warnx("reload: %s; the old worker keeps serving",
			    op->failure);
			worker_want(nw, WANT_DOWN);
			op->phase = RELOAD_ABORT;
			continue;
		case RELOAD_OLD:
			if (worker_running(a->retiring))
				return 0;
			nw = a->workers[op->slot];
			if (a->retiring->sock_key != nw->sock_key) {
				listeners_close_slot(&a->wa.listeners,
				    a->retiring->sock_key);
				listeners_rekey(&a->wa.listeners, nw->sock_key,
				    op->slot);
				nw->sock_key = op->slot;
			}
			worker_destroy(a->retiring);
			a->retiring = NULL;
			op->slot++;
			op->phase = RELOAD_BEGIN;
			continue;
		case RELOAD_ABORT:
			if (worker_running(a->incoming))
				return 0;
			if (a->incoming->sock_key !=
			    a->workers[op->slot]->sock_key)
				listeners_close_slot(&a->wa.listeners,
				    a->incoming->sock_key);
			worker_destroy(a->incoming);
			a->incoming = NULL;
			*cause = op->failure;
			op->failure = NULL;
			return -1;
		}
	}
}

/* OP_SHRINK: the workers past the target have stopped: drop them. */
static int
shrink_step(struct op *op, char **cause)
{
	struct app	*a = app_find(op->sup, op->names[0]);
	int		 j;

	if (a == NULL)
		return 1;
	for (j = op->target; j < a->nworkers; j++) {
		if (worker_running(a->workers[j]))
			return 0;
	}
	while (a->nworkers > op->target) {
		worker_close_sockets(a->workers[a->nworkers - 1]);
		worker_destroy(a->workers[--a->nworkers]);
	}
	return 1;
}

/* 1: done; 0: not yet; -1: failed (*cause set). */
static int
op_check(struct op *op, char **cause)
{
	struct app	*a;
	size_t		 i;
	int		 r;

	if (op->kind == OP_RELOAD)
		return reload_step(op, cause);
	if (op->kind == OP_SHRINK)
		return shrink_step(op, cause);
	for (i = 0; op->names[i] != NULL; i++) {
		if ((a = app_find(op->sup, op->names[i])) == NULL)
			continue;
		if (op->kind == OP_ONLINE) {
			if ((r = check_online(op, a, cause)) != 1)
				return r;
		} else if (op->one >= 0 && op->one < a->nworkers) {
			if (worker_running(a->workers[op->one]) ||
			    a->workers[op->one]->state == WS_WAITING)
				return 0;
		} else if (app_running(a))
			return 0;
	}
	return 1;
}

static char *
op_timeout_cause(struct op *op)
{
	char		*list = clm_strdup(""), *s;
	struct app	*a;
	size_t		 i;
	int		 j;

	for (i = 0; op->names[i] != NULL; i++) {
		if ((a = app_find(op->sup, op->names[i])) == NULL)
			continue;
		for (j = 0; j < a->nworkers; j++) {
			struct worker	*w = a->workers[j];

			if (w->state == WS_ONLINE && op->kind == OP_ONLINE)
				continue;
			s = clm_asprintf("%s%s%s:%d (%s)", list,
			    *list ? ", " : "", a->wa.spec->name, w->slot,
			    worker_state_names[w->state]);
			free(list);
			list = s;
		}
	}
	s = clm_asprintf("timed out waiting for %s: %s",
	    op->kind == OP_ONLINE ? "workers to come online" :
	    "workers to stop", list);
	free(list);
	return s;
}

/* The workers an OP_ONLINE took as online though they were late: a
 * warning for the reply, or NULL. */
static char *
op_late(struct op *op)
{
	struct worker	*w;
	struct app	*a;
	char		*list = NULL, *s;
	size_t		 i;
	int		 j;

	for (i = 0; op->names[i] != NULL; i++) {
		if ((a = app_find(op->sup, op->names[i])) == NULL)
			continue;
		for (j = 0; j < a->nwanted; j++) {
			w = a->workers[j];
			if ((op->one >= 0 && j != op->one) ||
			    w->state != WS_ONLINE || !w->ready_late)
				continue;
			s = clm_asprintf("%s%sworker %s:%d (pid %d) did not "
			    "listen nor say READY=1 within %u ms (a slow "
			    "starter? raise --listen-timeout): taken as online",
			    list != NULL ? list : "", list != NULL ? "; " : "",
			    a->wa.spec->name, j, w->pid,
			    a->wa.spec->listen_timeout_ms);
			free(list);
			list = s;
		}
	}
	return list;
}

static void
op_finish(struct op *op, const char *code, const char *msg)
{
	size_t		 i, k;
	struct app	*a, **apps;
	char		**gone;

	if (op->kind == OP_DELETE && code == NULL) {
		gone = clm_calloc(clm_strv_len(op->names) + 1, sizeof *gone);
		for (i = 0, k = 0; op->names[i] != NULL; i++)
			if (app_find(op->sup, op->names[i]) != NULL)
				gone[k++] = clm_strdup(op->names[i]);
		if (op->sup->wctx.logs != NULL)	/* none for a test's fakes */
			logs_apps_deleted(op->sup->wctx.logs, gone);
		apps = clm_calloc(clm_strv_len(gone) + 1, sizeof *apps);
		for (i = 0, k = 0; gone[i] != NULL; i++) {
			if ((a = app_find(op->sup, gone[i])) != NULL &&
			    !a->removed) {
				log_info("%s: deleted", a->wa.spec->name);
				a->removed = true;	/* once, if named twice */
				apps[k++] = a;
			}
		}
		apps_remove(op->sup, apps);
		free(apps);
		clm_strv_free(gone);
	}
	if (op->kind == OP_RELOAD)
		sup_reload_event(op->sup, op->names, code != NULL ?
		    "reload-failed" : "reload-end", msg);
	if (op->done != NULL)
		op->done(op->arg, code, msg);
}

static void
sup_check_ops(struct clm_supervisor *sup)
{
	struct op	**opp = &sup->ops, *op;
	uint64_t	  now = clm_now_ms(), next = 0;
	char		 *cause;
	int		  r;

	while ((op = *opp) != NULL) {
		cause = NULL;
		r = op_check(op, &cause);
		if (r == 0 && op->deadline_ms != 0 && now >= op->deadline_ms) {
			cause = op_timeout_cause(op);
			r = -2;
		}
		if (r == 0) {
			if (op->deadline_ms != 0 &&
			    (next == 0 || op->deadline_ms < next))
				next = op->deadline_ms;
			opp = &op->next;
			continue;
		}
		*opp = op->next;
		if (r == 1 && op->kind == OP_ONLINE)
			cause = op_late(op);	/* a warning, not a failure */
		op_finish(op, r == 1 ? NULL : r == -2 ? CLM_E_TIMEOUT :
		    CLM_E_SPAWN, cause);
		free(cause);
		op_free(op);
		/* The callback may have added ops: start over. */
		opp = &sup->ops;
	}
	uv_timer_stop(&sup->deadline);
	if (next != 0)
		uv_timer_start(&sup->deadline, sup_deadline_cb, next - now, 0);
}

static void
sup_deadline_cb(uv_timer_t *t)
{
	sup_check_ops(t->data);
}

/* A stray has stopped: its sockets go, unless its slot's worker has
 * them; that worker's sockets (a reload's new ones) take the slot's key,
 * as at the end of a reload. */
static void
stray_sockets(struct app *a, struct worker *s)
{
	struct worker	*w = s->slot < a->nworkers ? a->workers[s->slot] : NULL;

	if (w == NULL || w->sock_key != s->sock_key)
		listeners_close_slot(&a->wa.listeners, s->sock_key);
	if (w != NULL && w->sock_key != w->slot) {
		listeners_rekey(&a->wa.listeners, w->sock_key, w->slot);
		w->sock_key = w->slot;
	}
}

/* Free the strays that have stopped. */
static void
sup_sweep_strays(struct clm_supervisor *sup)
{
	struct app	*a;
	size_t		 i;
	int		 j;

	for (i = 0; i < sup->napps; i++) {
		a = sup->apps[i];
		for (j = 0; j < a->nstrays;) {
			if (worker_running(a->strays[j])) {
				j++;
				continue;
			}
			stray_sockets(a, a->strays[j]);
			worker_destroy(a->strays[j]);
			a->strays[j] = a->strays[--a->nstrays];
		}
	}
	sup->nstrays = 0;
	for (i = 0; i < sup->napps; i++)
		sup->nstrays += sup->apps[i]->nstrays;
}

/* Does a depend on the app named? */
static bool
app_depends_on(const struct app *a, const char *name)
{
	char *const	*d = a->wa.spec->depends_on;
	size_t		 i;

	for (i = 0; d != NULL && d[i] != NULL; i++) {
		if (strcmp(d[i], name) == 0)
			return true;
	}
	return false;
}

/* Every dependency of a is up with all its workers online (or done). */
static bool
app_deps_online(struct clm_supervisor *sup, const struct app *a)
{
	char *const	*d = a->wa.spec->depends_on;
	struct app	*dep;
	struct worker	*w;
	size_t		 i;
	int		 j;

	for (i = 0; d != NULL && d[i] != NULL; i++) {
		if ((dep = app_find(sup, d[i])) == NULL || !dep->up ||
		    dep->await_deps)
			return false;
		for (j = 0; j < dep->nwanted; j++) {
			w = dep->workers[j];
			if (w->state != WS_ONLINE && !worker_finished(w))
				return false;
		}
	}
	return true;
}

static void	app_start_workers(struct app *);

/* What a hook's callback knows of its app: the app may be gone. */
struct hook_arg {
	struct clm_supervisor	*sup;
	char			*name;
	unsigned		 gen;
	char			*cmd;
};

/* Run a hook of app a with its environment and cwd (and its user). */
static int
app_hook(struct app *a, const char *cmd, hook_done_cb done, char **cause)
{
	extern char			**environ;
	struct clm_supervisor		*sup = a->sup;
	const struct clm_app_spec	*spec = a->wa.spec;
	struct hook_arg			*h;
	char			       **env = NULL, **prefix = NULL;
	char				*name_var;
	char *const			*src = spec->env ? spec->env : environ;
	size_t				 i;
	int				 rc;

	for (i = 0; src[i] != NULL; i++)
		clm_strv_push(&env, src[i]);
	h = clm_calloc(1, sizeof *h);
	h->sup = sup;
	h->name = clm_strdup(spec->name);
	h->gen = ++a->hook_gen;
	h->cmd = clm_strdup(cmd);
	name_var = clm_asprintf("CLM_APP_NAME=%s", spec->name);
	clm_strv_push(&env, name_var);
	free(name_var);
	if (spec->user != NULL && sup->exec_shim != NULL) {
		worker_exec_prefix(sup->exec_shim, spec, &prefix);
		secenv_hide(env);	/* clm-exec runs as root */
	}
	rc = hook_run(sup->loop, cmd, spec->cwd, env, prefix, HOOK_TIMEOUT_MS,
	    done, h, cause);
	if (rc != 0) {
		free(h->name);
		free(h->cmd);
		free(h);
	}
	clm_strv_free(env);
	clm_strv_free(prefix);
	return rc;
}

static void
hook_arg_free(struct hook_arg *h)
{
	free(h->name);
	free(h->cmd);
	free(h);
}

static void
pre_start_done(void *arg, bool ok, const char *status, const char *tail)
{
	struct hook_arg	*h = arg;
	struct app	*a = app_find(h->sup, h->name);

	if (a == NULL || a->hook_gen != h->gen || !a->hook_running) {
		hook_arg_free(h);
		return;
	}
	a->hook_running = false;
	if (ok) {
		log_info("%s: pre_start done (%s)", h->name, status);
	} else {
		free(a->hook_failure);
		a->hook_failure = clm_asprintf("%s: pre_start '%s' failed "
		    "(%s), so its workers were not started%s%s", h->name,
		    h->cmd, status, *tail ? "; its last lines:\n" : "", tail);
		log_warnx("%s", a->hook_failure);
		a->up = false;
		a->await_deps = false;
		listeners_pause(&a->wa.listeners);
	}
	sup_kick(h->sup);
	hook_arg_free(h);
}

static void
post_stop_done(void *arg, bool ok, const char *status, const char *tail)
{
	struct hook_arg	*h = arg;

	if (ok)
		log_info("%s: post_stop done (%s)%s%s", h->name, status,
		    *tail ? ": " : "", tail);
	else
		log_warnx("%s: post_stop '%s' failed (%s)%s%s", h->name,
		    h->cmd, status, *tail ? ": " : "", tail);
	hook_arg_free(h);
}

/*
 * depends_on: start the apps whose dependencies are now online, and stop
 * the apps being stopped none of whose dependents (being stopped) still
 * runs.
 */
static void
sup_check_deps(struct clm_supervisor *sup)
{
	struct app	*a, *b, **dependents = NULL;
	char		*cause = NULL;
	size_t		 i, k, ndependents = 0;
	int		 j;
	bool		 wait;

	/* The apps that depend on any: few or none among thousands. */
	for (i = 0; i < sup->napps; i++) {
		if (sup->apps[i]->wa.spec->depends_on == NULL)
			continue;
		if (ndependents % 16 == 0)
			dependents = clm_realloc(dependents,
			    (ndependents + 16) * sizeof *dependents);
		dependents[ndependents++] = sup->apps[i];
	}
	for (i = 0; i < sup->napps; i++) {
		a = sup->apps[i];
		if (a->post_stop_due && !app_running(a)) {
			a->post_stop_due = false;
			log_info("%s: stopped: running post_stop",
			    a->wa.spec->name);
			if (a->wa.spec->post_stop != NULL && app_hook(a,
			    a->wa.spec->post_stop, post_stop_done,
			    &cause) != 0) {
				log_warnx("%s: post_stop: %s",
				    a->wa.spec->name, cause);
				free(cause);
				cause = NULL;
			}
		}
		if (a->await_deps && a->up && !a->hook_running &&
		    app_deps_online(sup, a)) {
			log_info("%s: %s: starting", a->wa.spec->name,
			    a->wa.spec->depends_on != NULL ? "its dependencies "
			    "are online" : "pre_start is done");
			a->await_deps = false;
			app_start_workers(a);
		}
		if (!a->stop_pending)
			continue;
		wait = false;
		for (k = 0; k < ndependents && !wait; k++) {
			b = dependents[k];
			wait = b != a && !b->up && app_running(b) &&
			    app_depends_on(b, a->wa.spec->name);
		}
		if (wait)
			continue;
		a->stop_pending = false;
		log_info("%s: the apps that depend on it are down: stopping",
		    a->wa.spec->name);
		for (j = 0; j < a->nworkers; j++)
			worker_want(a->workers[j], WANT_DOWN);
		if (a->incoming != NULL)
			worker_want(a->incoming, WANT_DOWN);
	}
	free(dependents);
}

static void
sup_kick_cb(uv_idle_t *idle)
{
	struct clm_supervisor	*sup = idle->data;

	uv_idle_stop(idle);
	sup_check_deps(sup);
	if (sup->nstrays > 0)
		sup_sweep_strays(sup);
	sup_check_ops(sup);
}

static void
sup_kick(struct clm_supervisor *sup)
{
	if (sup->ops != NULL || sup->nstrays > 0)
		uv_idle_start(&sup->kick, sup_kick_cb);
}

/* Several operations that answer as one: the first failure wins. */
struct join {
	int			 pending;
	char			*code;
	char			*message;
	supervisor_done_cb	 done;
	void			*arg;
};

/* A join that waits for its creator's own join_done() too. */
static struct join *
join_new(supervisor_done_cb done, void *arg)
{
	struct join	*j = clm_calloc(1, sizeof *j);

	j->done = done;
	j->arg = arg;
	j->pending = 1;
	return j;
}

static void
join_done(void *arg, const char *code, const char *message)
{
	struct join	*j = arg;

	if (code != NULL && j->code == NULL) {
		j->code = clm_strdup(code);
		j->message = clm_strdup(message);
	}
	if (--j->pending > 0)
		return;
	if (j->done != NULL)
		j->done(j->arg, j->code, j->message);
	free(j->code);
	free(j->message);
	free(j);
}

/* ---- the interface ---- */

/* A helper file installed with clmd, or NULL (and a warning). */
static char *
helper_path(const char *name)
{
	char	*path = clm_helper_path(name);

	if (path == NULL)
		log_warnx("%s not found beside clmd nor in %s: workers run "
		    "without it", name, CLM_PKGLIBDIR);
	return path;
}

#define MEMWATCH_MS	1000

/* Whether worker w is due for a replacement: its memory passed the app's
 * limit (max_memory_restart), or it has run long enough (max_uptime). */
static bool
sup_recycle_due(struct clm_supervisor *sup, struct app *a, struct worker *w)
{
	const struct clm_app_spec	*spec = a->wa.spec;
	uint64_t			 rss, now;

	if (w->state != WS_ONLINE)
		return false;
	if (spec->max_memory != 0 && sup->rss(w->pid, &rss) == 0 &&
	    rss > spec->max_memory) {
		log_info("%s:%d: pid %d uses %llu bytes, over its limit of "
		    "%llu: replacing it", spec->name, w->slot, w->pid,
		    (unsigned long long)rss,
		    (unsigned long long)spec->max_memory);
		events_app(spec, w->slot, w->pid, "memory", "%llu bytes, over "
		    "max_memory_restart: replacing it", (unsigned long long)rss);
		return true;
	}
	now = sup->wctx.now_ms();
	if (w->health_bad) {
		log_warnx("%s:%d: pid %d failed its health check %u times in "
		    "a row: replacing it", spec->name, w->slot, w->pid,
		    w->health_fails);
		return true;
	}
	if (w->alive_ms == 0)	/* adopted (clm update, a new clmd) */
		w->alive_ms = now;
	if (spec->watchdog_ms != 0 && now - w->alive_ms > spec->watchdog_ms) {
		log_warnx("%s:%d: pid %d has not said WATCHDOG=1 for %llu ms "
		    "(watchdog %u ms): hung, replacing it", spec->name, w->slot,
		    w->pid, (unsigned long long)(now - w->alive_ms),
		    spec->watchdog_ms);
		events_app(spec, w->slot, w->pid, "watchdog", "no WATCHDOG=1 for "
		    "%llu ms: replacing it", (unsigned long long)(now - w->alive_ms));
		return true;
	}
	if (w->recycle_at_ms != 0 && now >= w->recycle_at_ms) {
		log_info("%s:%d: pid %d has run %llu ms (max_uptime %u ms, "
		    "jitter %u ms): replacing it", spec->name, w->slot, w->pid,
		    (unsigned long long)(now - w->started_ms),
		    spec->max_uptime_ms, spec->max_uptime_jitter_ms);
		return true;
	}
	return false;
}

static void
cron_reload_done(void *arg, const char *code, const char *message)
{
	char	*name = arg;

	if (code != NULL)
		log_warnx("%s: the reload failed: %s", name, message);
	else
		log_info("%s: reloaded", name);
	free(name);
}

/* A watch or cron reload of the app named, when it runs and nothing else
 * is under way. */
static void
sup_policy_reload(struct clm_supervisor *sup, const char *name,
    const char *why)
{
	struct app	*a = app_find(sup, name);
	char		*names[2] = { NULL, NULL };

	if (a == NULL)
		return;
	if (!a->up || app_busy(a)) {
		log_info("%s: %s: not reloaded (%s)", name, why, a->up ?
		    "a reload or scale is under way" : "the app is stopped");
		return;
	}
	log_info("%s: %s: reloading", name, why);
	names[0] = a->wa.spec->name;
	op_add(sup, OP_RELOAD, names, 0, cron_reload_done,
	    clm_strdup(a->wa.spec->name))->target = -1;
}

static void
watch_fired(void *arg, const char *name)
{
	sup_policy_reload(arg, name, "watch: files changed");
}

/*
 * watch: the app's tree watched as its spec says (again when the spec
 * changes: an app file applied). -1 with *cause when it cannot be.
 */
static int
sup_watch_sync(struct clm_supervisor *sup, struct app *a, char **cause)
{
	const struct clm_app_spec	*spec = a->wa.spec;
	char			       **paths = NULL, *key, *p;
	size_t				 i;
	bool				 on;
	int				 rc = 0;

	key = clm_strdup("");
	for (i = 0; spec->watch != NULL && spec->watch[i] != NULL; i++) {
		p = clm_asprintf("%s%s\n", key, spec->watch[i]);
		free(key);
		key = p;
	}
	for (i = 0; spec->ignore_watch != NULL &&
	    spec->ignore_watch[i] != NULL; i++) {
		p = clm_asprintf("%s!%s\n", key, spec->ignore_watch[i]);
		free(key);
		key = p;
	}
	p = clm_asprintf("%s%u|%s", key, spec->watch_delay_ms, spec->cwd);
	free(key);
	key = p;
	if (a->watch_for != NULL && strcmp(a->watch_for, key) == 0) {
		free(key);
		return 0;
	}
	free(a->watch_for);
	a->watch_for = key;
	watch_free(a->watch);
	a->watch = NULL;
	for (i = 0; spec->watch != NULL && spec->watch[i] != NULL; i++) {
		if (strcasecmp(spec->watch[i], "no") == 0 ||
		    strcasecmp(spec->watch[i], "false") == 0 ||
		    strcasecmp(spec->watch[i], "off") == 0)
			continue;
		on = strcasecmp(spec->watch[i], "yes") == 0 ||
		    strcasecmp(spec->watch[i], "true") == 0 ||
		    strcasecmp(spec->watch[i], "on") == 0;
		p = on ? clm_strdup(spec->cwd) :
		    clm_path_join(spec->cwd, spec->watch[i]);
		clm_strv_push(&paths, p);
		free(p);
	}
	if (paths == NULL)
		return 0;
	a->watch = watch_new(sup->loop, spec->name, paths, spec->ignore_watch,
	    sup->home->logdir, spec->watch_delay_ms, watch_fired, sup, cause);
	if (a->watch == NULL)
		rc = -1;
	else
		log_info("%s: watching %zu folders and files for changes",
		    spec->name, watch_count(a->watch));
	clm_strv_free(paths);
	return rc;
}

/* cron_restart: reload the app when its time has come. */
static void
sup_check_cron(struct clm_supervisor *sup, struct app *a)
{
	const struct clm_app_spec	*spec = a->wa.spec;
	struct cron			 c;
	char				*key, *cause = NULL;
	int64_t				 now = (int64_t)time(NULL);

	if (spec->cron_restart == NULL) {
		a->cron_next = 0;
		return;
	}
	key = clm_asprintf("%s|%s", spec->cron_restart,
	    spec->cron_tz ? spec->cron_tz : "");
	if (a->cron_for == NULL || strcmp(key, a->cron_for) != 0) {
		free(a->cron_for);
		a->cron_for = key;
		a->cron_next = 0;
	} else
		free(key);
	if (a->cron_next != 0 && (a->cron_next == -1 || now < a->cron_next))
		return;
	if (a->cron_next > 0) {
		key = clm_asprintf("cron_restart (%s)", spec->cron_restart);
		sup_policy_reload(sup, spec->name, key);
		free(key);
	}
	if (cron_parse(spec->cron_restart, &c, &cause) != 0) {
		log_warnx("%s: cron_restart: %s", spec->name, cause);
		free(cause);
		a->cron_next = -1;
		return;
	}
	a->cron_next = cron_next(&c, spec->cron_tz, now);
}

/*
 * --max-memory-restart, max_uptime, watchdog: a worker past its app's
 * memory limit or its time, or hung (no WATCHDOG=1 within the watchdog),
 * is replaced like a reload of its slot (a new worker first,
 * then the old one stopped gracefully), one slot of an app at a time.
 * cron_restart: a rolling reload of the whole app at its times.
 */
void
supervisor_check_memory(struct clm_supervisor *sup)
{
	struct app		*a;
	struct op		*op;
	char			*names[2] = { NULL, NULL }, *cause = NULL;
	size_t			 i;
	int			 j;

	for (i = 0; i < sup->napps; i++) {
		a = sup->apps[i];
		sup_check_cron(sup, a);
		if ((a->wa.spec->watch != NULL || a->watch != NULL) &&
		    sup_watch_sync(sup, a, &cause) != 0) {
			log_warnx("%s: %s", a->wa.spec->name, cause);
			free(cause);
			cause = NULL;
		}
		if ((a->wa.spec->max_memory == 0 &&
		    a->wa.spec->max_uptime_ms == 0 &&
		    a->wa.spec->watchdog_ms == 0 &&
		    a->wa.spec->health_check == NULL) || !a->up || app_busy(a))
			continue;
		for (j = 0; j < a->nworkers; j++) {
			health_tick(a->workers[j], sup->wctx.now_ms());
			if (!sup_recycle_due(sup, a, a->workers[j]))
				continue;
			names[0] = a->wa.spec->name;
			op = op_add(sup, OP_RELOAD, names, 0, NULL, NULL);
			op->slot = j;
			op->target = j + 1;
			break;
		}
	}
}

static void
memwatch_cb(uv_timer_t *t)
{
	supervisor_check_memory(t->data);
}

/* A worker's state changed: look at the pending operations. */
static void
sup_worker_changed(void *arg, struct worker *w, enum wstate was)
{
	events_worker(w, was);
	sup_kick(arg);
	sup_changed(arg);
}

void
supervisor_on_change(struct clm_supervisor *sup, void (*cb)(void *),
    void *arg)
{
	sup->on_change = cb;
	sup->on_change_arg = arg;
}

static int
sup_rss(int pid, uint64_t *rss)
{
	uint64_t	cpu_ms;

	return procstat_read(pid, &cpu_ms, rss);
}

static struct clm_supervisor *
sup_new(uv_loop_t *loop, const struct clm_home *home,
    const struct clm_daemon_config *cfg, const struct worker_procs *procs,
    uint64_t (*now_ms)(void), int (*rss)(int, uint64_t *))
{
	struct clm_supervisor	*sup = clm_calloc(1, sizeof *sup);

	sup->loop = loop;
	sup->home = home;
	sup->ncpu = clm_ncpu();
	sup->byname = nametab_new();
	sup->defaults = cfg->defaults;
	options_copy(&sup->defaults, &cfg->defaults);	/* its strings */
	sup->rss = rss;
	sup->wctx.loop = loop;
	sup->wctx.now_ms = now_ms;
	sup->wctx.procs = procs;
	sup->wctx.logdir = home->logdir;
	sup->wctx.backoff_first_ms = cfg->backoff_initial_ms;
	sup->wctx.backoff_max_ms = cfg->backoff_max_ms;
	sup->wctx.changed = sup_worker_changed;
	sup->wctx.arg = sup;
	uv_idle_init(loop, &sup->kick);
	sup->kick.data = sup;
	uv_timer_init(loop, &sup->deadline);
	sup->deadline.data = sup;
	uv_timer_init(loop, &sup->memwatch);
	sup->memwatch.data = sup;
	uv_timer_start(&sup->memwatch, memwatch_cb, MEMWATCH_MS, MEMWATCH_MS);
	sup->open_handles = 3;
	return sup;
}

struct clm_supervisor *
supervisor_new(uv_loop_t *loop, const struct clm_home *home,
    const struct clm_daemon_config *cfg)
{
	struct clm_supervisor	*sup;

	sup = sup_new(loop, home, cfg, &worker_procs_uv, clm_now_ms, sup_rss);
	sup->preload = helper_path("libclm-preload.so");
	sup->node_preload = helper_path("clm-node.js");
	sup->exec_shim = helper_path("clm-exec");
	sup->wctx.preload = sup->preload;
	sup->wctx.node_preload = sup->node_preload;
	sup->wctx.exec_shim = sup->exec_shim;
	sup->wctx.logs = logs_new(loop, home);
	return sup;
}

struct clm_supervisor *
supervisor_new_fake(uv_loop_t *loop, const struct clm_home *home,
    const struct clm_daemon_config *cfg, const struct worker_procs *procs,
    uint64_t (*now_ms)(void), int (*rss)(int pid, uint64_t *rss))
{
	struct clm_supervisor	*sup;

	sup = sup_new(loop, home, cfg, procs, now_ms, rss);
	sup->ncpu = 64;		/* tests want more workers than cores */
	return sup;
}

/* libuv runs close callbacks last-in-first-out: the struct that embeds
 * the three handles goes with the last of them. */
static void
sup_free_cb(uv_handle_t *h)
{
	struct clm_supervisor	*sup = h->data;

	if (--sup->open_handles > 0)
		return;
	free(sup->preload);
	free(sup->node_preload);
	free(sup->exec_shim);
	free(sup);
}

void
supervisor_free(struct clm_supervisor *sup)
{
	struct op	*op;

	while ((op = sup->ops) != NULL) {
		sup->ops = op->next;
		if (op->done != NULL)
			op->done(op->arg, CLM_E_SHUTDOWN,
			    "the daemon is shutting down");
		op_free(op);
	}
	while (sup->napps > 0)
		app_remove(sup->apps[sup->napps - 1]);
	free(sup->apps);
	options_clear(&sup->defaults);
	nametab_free(sup->byname);
	if (sup->wctx.logs != NULL)
		logs_free(sup->wctx.logs);
	uv_close((uv_handle_t *)&sup->kick, sup_free_cb);
	uv_close((uv_handle_t *)&sup->memwatch, sup_free_cb);
	uv_close((uv_handle_t *)&sup->deadline, sup_free_cb);
}

/* How long to wait for workers to come online, stopping them first. */
static uint64_t
apps_timeout(struct clm_supervisor *sup, char **names, bool stopping)
{
	uint64_t	 t = 0, u, chain = 0;
	struct app	*a;
	size_t		 i;

	for (i = 0; names[i] != NULL; i++) {
		if ((a = app_find(sup, names[i])) == NULL)
			continue;
		u = a->wa.spec->listen_timeout_ms;
		if (stopping)
			u += a->wa.spec->kill_timeout_ms;
		if (a->hook_running)
			u += HOOK_TIMEOUT_MS;
		/* depends_on: the apps go one after another. */
		if (a->wa.spec->depends_on != NULL || a->await_deps ||
		    a->stop_pending)
			chain += u;
		if (u > t)
			t = u;
	}
	return (chain > t ? chain + t : t) + 1000;
}

static void
note(char ***notes, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = clm_vasprintf(fmt, ap);
	va_end(ap);
	clm_strv_push(notes, s);
	free(s);
}

/* Can clmd run this app's workers as the user and group it names? */
static int
check_identity(struct clm_supervisor *sup, const struct clm_app_spec *spec,
    char **cause)
{
	struct passwd	*pw = NULL;

	if (spec->user == NULL && spec->group == NULL)
		return 0;
	if (spec->user != NULL && (pw = getpwnam(spec->user)) == NULL) {
		*cause = clm_asprintf("app %s: no user named '%s' on this "
		    "machine", spec->name, spec->user);
		return -1;
	}
	if (spec->group != NULL && getgrnam(spec->group) == NULL) {
		*cause = clm_asprintf("app %s: no group named '%s' on this "
		    "machine", spec->name, spec->group);
		return -1;
	}
	if (geteuid() != 0 && (pw == NULL || pw->pw_uid != geteuid() ||
	    spec->group != NULL)) {
		*cause = clm_asprintf("app %s: running workers as another user "
		    "or group needs clmd to run as root (this one runs as uid "
		    "%ld)", spec->name, (long)geteuid());
		return -1;
	}
	if (sup->exec_shim == NULL) {
		*cause = clm_asprintf("app %s: clm-exec, which switches users, "
		    "is missing from this installation", spec->name);
		return -1;
	}
	return 0;
}

static int	name_free(struct clm_supervisor *, const char *, char **);

/* Start a new app (no app of that name may be left); up false: add it
 * stopped. */
static int
app_add(struct clm_supervisor *sup, struct clm_app_spec *spec, char ***notes,
    bool up, char **cause)
{
	struct app	*a;
	bool		 clamped;
	int		 n;

	if (check_identity(sup, spec, cause) == -1) {
		clm_app_spec_free(spec);
		return -1;
	}
	clm_app_spec_fill(spec, &sup->defaults);
	n = clm_instances_resolve(spec->instances, sup->ncpu, &clamped);
	if (clamped) {
		note(notes, "%s: -i %d clamped to %d (the number of logical "
		    "cores)", spec->name, spec->instances, n);
		/* What runs is what clm save keeps: said once. */
		spec->instances = n;
	}
	a = app_new(sup, spec);
	if (app_listen(a, cause) == -1 || sup_watch_sync(sup, a, cause) == -1) {
		app_remove(a);
		return -1;
	}
	app_grow(a, n);
	if (!up) {	/* saved stopped: it stays so, its ports refuse */
		listeners_pause(&a->wa.listeners);
		log_info("%s: added stopped (%d worker%s)", spec->name, n,
		    n == 1 ? "" : "s");
		return 0;
	}
	a->up = true;
	if (spec->pre_start != NULL) {
		log_info("%s: running pre_start", spec->name);
		a->await_deps = true;	/* its workers wait for it */
		a->hook_running = true;
		if (app_hook(a, spec->pre_start, pre_start_done, cause) != 0) {
			app_remove(a);
			return -1;
		}
		return 0;
	}
	if (!app_deps_online(sup, a)) {
		log_info("%s: waiting for its dependencies to be online "
		    "(depends_on)", spec->name);
		a->await_deps = true;
		sup_kick(sup);
		return 0;
	}
	app_start_workers(a);
	return 0;
}

static void
app_start_workers(struct app *a)
{
	const struct clm_app_spec	*spec = a->wa.spec;
	int				 i;

	log_info("%s: starting %d worker%s: %s%s%s", spec->name, a->nwanted,
	    a->nwanted == 1 ? "" : "s", spec->interpreter ?
	    spec->interpreter : "", spec->interpreter ? " " : "",
	    spec->script);
	for (i = 0; i < a->nwanted; i++)
		worker_want(a->workers[i], WANT_UP);
}

int
supervisor_add_stopped(struct clm_supervisor *sup, struct clm_app_spec *spec,
    char ***notes, char **cause)
{
	if (name_free(sup, spec->name, cause) == -1) {
		clm_app_spec_free(spec);
		return -1;
	}
	return app_add(sup, spec, notes, false, cause);
}

bool
supervisor_running(struct clm_supervisor *sup, const char *name)
{
	struct app	*a = app_find(sup, name);

	return a != NULL && !a->deleting && (a->up || app_running(a));
}

/* 0 if an app of this name may be added (none, or a stopped one). */
static int
name_free(struct clm_supervisor *sup, const char *name, char **cause)
{
	struct app	*a = app_find(sup, name);

	if (a != NULL && (a->deleting || a->up || app_running(a))) {
		*cause = clm_asprintf("an app named '%s' is already running "
		    "(use clm restart %s, or pick another name with --name)",
		    name, name);
		return -1;
	}
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name two of these apps share, or NULL: sorted, not pairwise, since an
 * app file may hold thousands of apps. */
static const char *
duplicate_name(struct clm_app_spec **specs, size_t n)
{
	const char	**names, *dup = NULL;
	size_t		  i;

	if (n < 2)
		return NULL;
	names = clm_calloc(n, sizeof *names);
	for (i = 0; i < n; i++)
		names[i] = specs[i]->name;
	qsort(names, n, sizeof *names, name_cmp);
	for (i = 1; i < n && dup == NULL; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			dup = names[i];
	free(names);
	return dup;
}

/* The workers running once these apps are added (for the fd limit). */
static size_t
workers_after(struct clm_supervisor *sup, struct clm_app_spec **specs,
    size_t n)
{
	size_t	i, total = 0;
	bool	clamped;

	for (i = 0; i < sup->napps; i++)
		if (sup->apps[i]->up)
			total += (size_t)sup->apps[i]->nworkers;
	for (i = 0; i < n; i++)
		total += (size_t)clm_instances_resolve(specs[i]->instances,
		    sup->ncpu, &clamped);
	return total;
}

static ssize_t
spec_index(struct clm_app_spec **specs, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(specs[i]->name, name) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* Depth-first: -1 with *cause naming the cycle through specs[i]. mark:
 * 0 new, 1 on the path, 2 done; path holds the names on it. */
static int
deps_visit(struct clm_app_spec **specs, size_t n, size_t i, int *mark,
    char ***path, char **cause)
{
	char *const	*d = specs[i]->depends_on;
	char		*s, *t;
	ssize_t		 k;
	size_t		 j, from;

	if (mark[i] == 2)
		return 0;
	clm_strv_push(path, specs[i]->name);
	if (mark[i] == 1) {
		for (from = 0; strcmp((*path)[from], specs[i]->name) != 0;
		    from++)
			;
		s = clm_strdup((*path)[from]);
		for (j = from + 1; (*path)[j] != NULL; j++) {
			t = clm_asprintf("%s -> %s", s, (*path)[j]);
			free(s);
			s = t;
		}
		*cause = clm_asprintf("depends_on makes a cycle: %s (an app "
		    "cannot wait for itself)", s);
		free(s);
		return -1;
	}
	mark[i] = 1;
	for (j = 0; d != NULL && d[j] != NULL; j++) {
		if ((k = spec_index(specs, n, d[j])) != -1 &&
		    deps_visit(specs, n, (size_t)k, mark, path, cause) == -1)
			return -1;
	}
	mark[i] = 2;
	free((*path)[clm_strv_len(*path) - 1]);
	(*path)[clm_strv_len(*path) - 1] = NULL;
	return 0;
}

/* depends_on: every name an app of specs or one that exists; no cycle. */
static int
deps_check(struct clm_supervisor *sup, struct clm_app_spec **specs,
    size_t n, char **cause)
{
	char	**path = NULL, *const *d;
	int	 *mark, rc = 0;
	size_t	  i, j;

	for (i = 0; i < n; i++) {
		d = specs[i]->depends_on;
		for (j = 0; d != NULL && d[j] != NULL; j++) {
			if (spec_index(specs, n, d[j]) == -1 &&
			    app_find(sup, d[j]) == NULL) {
				*cause = clm_asprintf("%s: depends_on names "
				    "'%s', which is neither running nor in "
				    "what is started (start it first, or in "
				    "the same app file)", specs[i]->name,
				    d[j]);
				return -1;
			}
		}
	}
	mark = clm_calloc(n + 1, sizeof *mark);
	for (i = 0; i < n && rc == 0; i++) {
		rc = deps_visit(specs, n, i, mark, &path, cause);
		clm_strv_free(path);
		path = NULL;
	}
	free(mark);
	return rc;
}

int
supervisor_add_apps(struct clm_supervisor *sup, struct clm_app_spec **specs,
    size_t n, char ***notes, supervisor_done_cb done, void *arg,
    const char **code, char **cause)
{
	struct app	*a;
	const char	*dup;
	char	       **names;
	size_t		 i, k;

	/* All or nothing: check every app before starting any. */
	if ((dup = duplicate_name(specs, n)) != NULL) {
		*cause = clm_asprintf("two apps are named '%s'", dup);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (name_free(sup, specs[i]->name, cause) == -1) {
			*code = CLM_E_EXISTS;
			goto fail_code;
		}
	}
	if (limits_check_workers(workers_after(sup, specs, n), cause) == -1)
		goto fail;
	if (deps_check(sup, specs, n, cause) == -1)
		goto fail;
	names = clm_calloc(1, sizeof *names);
	for (i = 0; i < n; i++) {
		if ((a = app_find(sup, specs[i]->name)) != NULL)
			app_remove(a);
		if (app_add(sup, specs[i], notes, true, cause) == -1) {
			/* Undo what started: stop and remove it. */
			*code = CLM_E_INVAL;
			supervisor_delete(sup, names, NULL, NULL);
			clm_strv_free(names);
			for (k = i + 1; k < n; k++)
				clm_app_spec_free(specs[k]);
			return -1;
		}
		clm_strv_push(&names, specs[i]->name);
	}
	op_add(sup, OP_ONLINE, names, apps_timeout(sup, names, false), done,
	    arg);
	clm_strv_free(names);
	return 0;

fail:
	*code = CLM_E_INVAL;
fail_code:
	for (i = 0; i < n; i++)
		clm_app_spec_free(specs[i]);
	return -1;
}

int
supervisor_add(struct clm_supervisor *sup, struct clm_app_spec *spec,
    char ***notes, supervisor_done_cb done, void *arg, const char **code,
    char **cause)
{
	return supervisor_add_apps(sup, &spec, 1, notes, done, arg, code,
	    cause);
}

void
supervisor_specs(struct clm_supervisor *sup, struct clm_app_spec ***out,
    size_t *n)
{
	size_t	i;

	*out = clm_calloc(sup->napps + 1, sizeof **out);
	for (i = 0; i < sup->napps; i++)
		(*out)[i] = clm_app_spec_copy(sup->apps[i]->wa.spec);
	*n = sup->napps;
}

void
supervisor_set_options(struct clm_supervisor *sup, char **names,
    const struct clm_app_spec *set)
{
	struct app	*a;
	size_t		 i;

	for (i = 0; names[i] != NULL; i++) {
		if ((a = app_find(sup, names[i])) == NULL)
			continue;
		options_apply_set(a->wa.spec, set);
		log_info("%s: new options from clm restart", names[i]);
	}
}

int
supervisor_update_env(struct clm_supervisor *sup, char **names,
    char **env)
{
	struct app	*a;
	size_t		 i;

	for (i = 0; names[i] != NULL; i++) {
		if ((a = app_find(sup, names[i])) == NULL)
			continue;
		clm_strv_free(a->wa.spec->env);
		a->wa.spec->env = clm_strv_share(env);
	}
	return 0;
}

void
supervisor_apply(struct clm_supervisor *sup, struct clm_app_spec **specs,
    size_t n, char ***notes, supervisor_done_cb done, void *arg)
{
	struct join	*j = join_new(done, arg);
	struct app	*a;
	char		*names[2] = { NULL, NULL }, *cause = NULL;
	bool		 clamped;
	size_t		 i;
	int		 want;

	for (i = 0; i < n; i++) {
		a = app_find(sup, specs[i]->name);
		if (a == NULL || (!a->up && !app_running(a) && !a->deleting)) {
			if (a != NULL)
				app_remove(a);
			if (app_add(sup, specs[i], notes, true, &cause) == -1) {
				j->pending++;
				join_done(j, CLM_E_INVAL, cause);
				free(cause);
				cause = NULL;
				continue;
			}
			names[0] = specs[i]->name;
			j->pending++;
			op_add(sup, OP_ONLINE, names,
			    apps_timeout(sup, names, false), join_done, j);
			continue;
		}
		if (a->deleting || app_busy(a)) {
			cause = clm_asprintf("app '%s' is being deleted, "
			    "reloaded or scaled; apply the file when that is "
			    "done", specs[i]->name);
			j->pending++;
			join_done(j, CLM_E_INVAL, cause);
			free(cause);
			clm_app_spec_free(specs[i]);
			continue;
		}
		/* New options, then the instance count, then a rolling
		 * reload of the workers that stay. */
		want = clm_instances_resolve(specs[i]->instances, sup->ncpu,
		    &clamped);
		if (clamped)
			note(notes, "%s: -i %d clamped to %d (the number of "
			    "logical cores)", a->wa.spec->name,
			    specs[i]->instances, want);
		clm_strv_free(specs[i]->listen);
		specs[i]->listen = clm_strv_dup(a->wa.spec->listen);
		clm_app_spec_fill(specs[i], &sup->defaults);
		clm_app_spec_free(a->wa.spec);
		a->wa.spec = specs[i];
		listeners_own(&a->wa.listeners, a->wa.spec->name, a->wa.spec->user,
		    a->wa.spec->group);
		names[0] = a->wa.spec->name;
		if (want < a->nworkers) {
			j->pending++;
			app_resize(a, want, join_done, j);
		}
		j->pending++;
		op_add(sup, OP_RELOAD, names, 0, join_done, j)->target =
		    a->nworkers;
		if (want > a->nworkers) {
			j->pending++;
			app_resize(a, want, join_done, j);
		}
	}
	free(specs);
	join_done(j, NULL, NULL);
}

int
supervisor_select(struct clm_supervisor *sup, const char *target,
    char ***names, const char **code, char **cause)
{
	struct app	*a;
	size_t		 i, k;

	*names = NULL;
	if (strcmp(target, "all") == 0) {
		*names = clm_calloc(sup->napps + 1, sizeof **names);
		for (i = 0, k = 0; i < sup->napps; i++) {
			if (!sup->apps[i]->deleting)
				(*names)[k++] = clm_strdup(
				    sup->apps[i]->wa.spec->name);
		}
		return 0;
	}
	if (strchr(target, ':') != NULL) {
		*code = CLM_E_INVAL;
		*cause = clm_asprintf("'%s' names one worker; this command "
		    "takes an app's name, or all", target);
		return -1;
	}
	if ((a = app_find(sup, target)) == NULL) {
		*code = CLM_E_NOAPP;
		*cause = clm_asprintf("no app named '%s' (see clm list)",
		    target);
		return -1;
	}
	if (a->deleting) {
		*code = CLM_E_NOAPP;
		*cause = clm_asprintf("app '%s' is being deleted", target);
		return -1;
	}
	clm_strv_push(names, target);
	return 0;
}

static void
want_up(struct worker *w)
{
	worker_want(w, WANT_UP);
}

/* Want the named apps up, apply fn to each of their workers, and answer
 * once every one is online. */
static void
apps_up(struct clm_supervisor *sup, char **names, void (*fn)(struct worker *),
    supervisor_done_cb done, void *arg)
{
	struct app	*a;
	size_t		 i;
	int		 j;

	for (i = 0; names[i] != NULL; i++) {
		if ((a = app_find(sup, names[i])) == NULL || a->deleting)
			continue;
		if (!a->up)	/* a stopped app: its ports listen again */
			listeners_resume(&a->wa.listeners);
		a->up = true;
		a->stop_pending = false;
		free(a->hook_failure);
		a->hook_failure = NULL;
		for (j = 0; j < a->nwanted; j++)
			fn(a->workers[j]);
	}
	op_add(sup, OP_ONLINE, names, apps_timeout(sup, names, true), done,
	    arg);
}

void
supervisor_start(struct clm_supervisor *sup, char **names,
    supervisor_done_cb done, void *arg)
{
	apps_up(sup, names, want_up, done, arg);
}

static void
stop_apps(struct clm_supervisor *sup, char **names, bool deleting)
{
	struct app	*a;
	size_t		 i;

	for (i = 0; names[i] != NULL; i++) {
		if ((a = app_find(sup, names[i])) == NULL)
			continue;
		/* Stopped by a person: its ports refuse connections at once
		 * (a restart or a reload keeps them queueing). */
		if (a->up && !deleting)
			listeners_pause(&a->wa.listeners);
		if (a->up && a->wa.spec->post_stop != NULL)
			a->post_stop_due = true;
		a->up = false;
		a->hook_running = false;	/* a pre_start's end is moot */
		if (deleting)
			a->deleting = true;
		a->await_deps = false;
		/* depends_on: it stops after the apps stopped with it that
		 * depend on it (sup_check_deps). */
		a->stop_pending = true;
	}
	sup_check_deps(sup);
}

void
supervisor_stop(struct clm_supervisor *sup, char **names,
    supervisor_done_cb done, void *arg)
{
	stop_apps(sup, names, false);
	op_add(sup, OP_DOWN, names, 0, done, arg);
}

void
supervisor_restart(struct clm_supervisor *sup, char **names,
    supervisor_done_cb done, void *arg)
{
	apps_up(sup, names, worker_restart, done, arg);
}

void
supervisor_delete(struct clm_supervisor *sup, char **names,
    supervisor_done_cb done, void *arg)
{
	stop_apps(sup, names, true);
	op_add(sup, OP_DELETE, names, 0, done, arg);
}

void
supervisor_reload(struct clm_supervisor *sup, char **names,
    supervisor_done_cb done, void *arg)
{
	struct join	*j = join_new(done, arg);
	struct app	*a;
	char	       **reload, **start;
	size_t		 i;

	/* A stopped app is only started: its workers are new anyway. */
	reload = clm_calloc(1, sizeof *reload);
	start = clm_calloc(1, sizeof *start);
	for (i = 0; names[i] != NULL; i++) {
		a = app_find(sup, names[i]);
		if (a != NULL && !a->up && !a->deleting)
			clm_strv_push(&start, names[i]);
		else
			clm_strv_push(&reload, names[i]);
	}
	j->pending++;
	apps_up(sup, start, want_up, join_done, j);
	j->pending++;
	op_add(sup, OP_RELOAD, reload, 0, join_done, j)->target = -1;
	join_done(j, NULL, NULL);
	clm_strv_free(reload);
	clm_strv_free(start);
}

/*
 * Set the number of workers of an app: start the new ones (if the app is
 * up), or stop those past n and drop them once they have stopped.
 */
static void
app_resize(struct app *a, int n, supervisor_done_cb done, void *arg)
{
	struct clm_supervisor	*sup = a->sup;
	char			*names[2] = { a->wa.spec->name, NULL };
	struct op		*op;
	int			 j;

	if (n != a->nworkers)
	{
		log_info("%s: scaling from %d to %d workers", a->wa.spec->name,
		    a->nworkers, n);
		events_app(a->wa.spec, -1, 0, "scale", "from %d to %d workers",
		    a->nworkers, n);
	}
	if (n < a->nworkers) {
		a->nwanted = n;
		for (j = n; j < a->nworkers; j++) {
			worker_drain(a, a->workers[j]);
			worker_want(a->workers[j], WANT_DOWN);
		}
		op = op_add(sup, OP_SHRINK, names, 0, done, arg);
		op->target = n;
		return;
	}
	j = a->nworkers;
	app_grow(a, n);
	if (a->up) {
		for (; j < n; j++)
			worker_want(a->workers[j], WANT_UP);
	}
	op_add(sup, a->up ? OP_ONLINE : OP_DOWN, names,
	    apps_timeout(sup, names, false), done, arg);
}

int
supervisor_scale(struct clm_supervisor *sup, const char *name,
    long long count, bool relative, char ***notes, supervisor_done_cb done,
    void *arg, const char **code, char **cause)
{
	struct app	*a = app_find(sup, name);
	long long	 want;
	bool		 clamped = false;
	int		 n;

	if (a == NULL || a->deleting) {
		*code = CLM_E_NOAPP;
		*cause = clm_asprintf("no app named '%s' (see clm list)", name);
		return -1;
	}
	if (app_busy(a)) {
		*code = CLM_E_INVAL;
		*cause = clm_asprintf("app '%s' is being reloaded or scaled; "
		    "scale it when that is done", name);
		return -1;
	}
	if (relative) {
		want = a->nworkers + count;
		if (want < 1) {
			note(notes, "%+lld leaves no worker: scaled to 1 (use "
			    "clm stop %s to stop them all)", count, name);
			want = 1;
		}
		n = clm_instances_resolve(want > sup->ncpu ? sup->ncpu + 1 :
		    (int)want, sup->ncpu, &clamped);
	} else {
		if (count < -1 || count > CLM_INSTANCES_LIMIT) {
			*code = CLM_E_INVAL;
			*cause = clm_asprintf("scale %s %lld: the count must "
			    "be from 1 to the number of cores, 0 or max for "
			    "all, -1 for all but one", name, count);
			return -1;
		}
		want = count;
		n = clm_instances_resolve((int)count, sup->ncpu, &clamped);
	}
	if (clamped)
		note(notes, "%lld workers clamped to %d (the number of logical "
		    "cores)", want, n);
	a->wa.spec->instances = n;
	if (n == a->nworkers)
		note(notes, "%s already has %d worker%s", name, n,
		    n == 1 ? "" : "s");
	app_resize(a, n, done, arg);
	return 0;
}

unsigned
supervisor_sigkills(const struct clm_supervisor *sup)
{
	return sup->wctx.sigkills;
}

void
supervisor_stop_all(struct clm_supervisor *sup, supervisor_done_cb done,
    void *arg)
{
	char	**names;
	size_t	  i;

	names = clm_calloc(1, sizeof *names);
	for (i = 0; i < sup->napps; i++)
		clm_strv_push(&names, sup->apps[i]->wa.spec->name);
	supervisor_stop(sup, names, done, arg);
	clm_strv_free(names);
}

/* The app and slot of "NAME:ID" (NULL when there is no such worker). */
static struct app *
worker_find(struct clm_supervisor *sup, const char *target, int *slot)
{
	struct app	*a;
	char		*name, *cause = NULL;

	if (clm_worker_target(target, &name, slot, &cause) != 1) {
		free(cause);
		return NULL;
	}
	a = app_find(sup, name);
	free(name);
	return a != NULL && *slot < a->nworkers ? a : NULL;
}

/* The app's workers into out (room for nworkers + 1): how many. */
static size_t
app_info(struct app *a, struct clm_worker_info *out, uint64_t now)
{
	size_t	k = 0;
	int	j;

	for (j = 0; j < a->nworkers; j++)
		worker_info(a->workers[j], &out[k++], now);
	/* A reload's old worker, while it drains and stops. */
	if (a->retiring != NULL && worker_running(a->retiring))
		worker_info(a->retiring, &out[k++], now);
	return k;
}

void
supervisor_info(struct clm_supervisor *sup, const char *name,
    struct clm_worker_info **out, size_t *n)
{
	uint64_t	 now = clm_now_ms();
	struct app	*a;
	size_t		 i, k = 0, total = 0;
	int		 j;

	if (name != NULL && strchr(name, ':') != NULL) {
		*out = NULL;
		*n = 0;
		if ((a = worker_find(sup, name, &j)) == NULL)
			return;
		*out = clm_calloc(1, sizeof **out);
		worker_info(a->workers[j], *out, now);
		*n = 1;
		return;
	}
	if (name != NULL) {	/* one app, found by name among thousands */
		a = app_find(sup, name);
		*out = a != NULL ? clm_calloc(a->nworkers + 1,
		    sizeof **out) : NULL;
		*n = a != NULL ? app_info(a, *out, now) : 0;
		return;
	}
	for (i = 0; i < sup->napps; i++)
		total += sup->apps[i]->nworkers + 1;
	*out = total ? clm_calloc(total, sizeof **out) : NULL;
	/* Samples older than a second are read again, WORKER_STAT_BUDGET at
	 * most (a list of 5,000 would read 5,000 files): those that
	 * come first now, the next ones at the next list. */
	sup->wctx.stat_reads = 0;
	sup->wctx.stat_max = WORKER_STAT_BUDGET;
	for (i = 0; i < sup->napps; i++)
		k += app_info(sup->apps[i], *out + k, now);
	sup->wctx.stat_max = 0;
	*n = k;
}

const struct clm_app_spec *
supervisor_spec(struct clm_supervisor *sup, const char *name)
{
	struct app	*a;
	int		 slot;

	if (strchr(name, ':') != NULL)
		a = worker_find(sup, name, &slot);
	else
		a = app_find(sup, name);
	return a ? a->wa.spec : NULL;
}

int
supervisor_worker(struct clm_supervisor *sup, const char *verb,
    const char *target, supervisor_done_cb done, void *arg,
    const char **code, char **cause)
{
	struct worker	*w;
	struct app	*a;
	struct op	*op;
	char		*name, *names[2] = { NULL, NULL };
	int		 slot;

	*code = CLM_E_INVAL;
	if (clm_worker_target(target, &name, &slot, cause) != 1)
		return -1;
	a = app_find(sup, name);
	free(name);
	if (a == NULL || a->deleting) {
		*code = CLM_E_NOAPP;
		*cause = clm_asprintf("no app named '%.*s' (see clm list)",
		    (int)(strrchr(target, ':') - target), target);
		return -1;
	}
	if (slot >= a->nwanted) {
		*code = CLM_E_NOAPP;
		*cause = clm_asprintf("app %s has no worker %d: its ids go "
		    "from 0 to %d (see clm list)", a->wa.spec->name, slot,
		    a->nwanted - 1);
		return -1;
	}
	w = a->workers[slot];
	names[0] = a->wa.spec->name;
	if (strcmp(verb, "stop") == 0) {
		log_info("%s:%d: stopped by itself (clm stop %s)",
		    names[0], slot, target);
		if (a->up)
			worker_drain(a, w);
		worker_want(w, WANT_DOWN);
		op_add(sup, OP_DOWN, names, 0, done, arg)->one = slot;
	} else if (strcmp(verb, "restart") == 0) {
		if (!a->up)
			listeners_resume(&a->wa.listeners);
		a->up = true;
		worker_restart(w);
		op_add(sup, OP_ONLINE, names, apps_timeout(sup, names, true),
		    done, arg)->one = slot;
	} else if (strcmp(verb, "reload") == 0) {
		if (!a->up) {
			*cause = clm_asprintf("app %s is stopped: clm restart "
			    "%s starts the worker", names[0], target);
			return -1;
		}
		op = op_add(sup, OP_RELOAD, names, 0, done, arg);
		op->slot = slot;
		op->target = slot + 1;
	} else {
		*cause = clm_asprintf("clm %s takes an app's name, not a "
		    "worker (%s)", verb, target);
		return -1;
	}
	return 0;
}

char *
supervisor_status(struct clm_supervisor *sup)
{
	size_t	i;
	int	j, total = 0, online = 0;

	for (i = 0; i < sup->napps; i++) {
		for (j = 0; j < sup->apps[i]->nworkers; j++) {
			total++;
			online += sup->apps[i]->workers[j]->state == WS_ONLINE;
		}
	}
	return clm_asprintf("%zu app%s, %d of %d worker%s online", sup->napps,
	    sup->napps == 1 ? "" : "s", online, total, total == 1 ? "" : "s");
}

struct clm_logs *
supervisor_logs(struct clm_supervisor *sup)
{
	return sup->wctx.logs;
}

/* ---- clm update ---- */

static void
export_worker(struct worker *w, struct clm_state_worker *sw)
{
	sw->slot = w->slot;
	sw->pid = w->pid;
	sw->state = clm_strdup(worker_state_names[w->state]);
	sw->started_ms = w->started_ms;
	sw->restarts = w->restarts;
	sw->unstable = w->unstable;
	sw->runs = w->runs;
	sw->exit_code = w->exit_code;
	sw->term_signal = w->term_signal;
	sw->run_id = w->run_id;
	sw->chan_fd = w->chan != NULL ? channel_fd(w->chan) : -1;
	sw->pidfd = -1;		/* the next clmd opens its own */
	sw->start_time = w->start_time;
	sw->sock_key = w->sock_key;
}

static void
export_stray(struct worker *w, struct clm_state_app *sa)
{
	if (worker_running(w))
		export_worker(w, &sa->strays[sa->nstrays++]);
}

int
supervisor_export(struct clm_supervisor *sup, struct clm_state *st,
    bool anytime, char **cause)
{
	struct clm_state_app	*sa;
	struct app		*a;
	struct worker		*w;
	size_t			 i, k, *order;
	int			 j, n;

	if (sup->ops != NULL && !anytime) {
		*cause = clm_strdup("an operation is under way (a start, stop, "
		    "reload...); try again when it is done");
		return -1;
	}
	for (i = 0; i < sup->napps && !anytime; i++) {
		a = sup->apps[i];
		for (j = 0; j < a->nworkers; j++) {
			w = a->workers[j];
			if (w->state == WS_LAUNCHING || w->state == WS_STOPPING ||
			    w->state == WS_DRAINING) {
				*cause = clm_asprintf("worker %s:%d is %s; try "
				    "again in a moment", a->wa.spec->name, j,
				    worker_state_names[w->state]);
				return -1;
			}
		}
	}
	st->runs = sup->wctx.runs;
	st->napps = sup->napps;
	st->apps = clm_calloc(sup->napps + 1, sizeof *st->apps);
	for (i = 0; i < sup->napps; i++) {
		a = sup->apps[i];
		sa = &st->apps[i];
		sa->spec = st->borrow_specs ? a->wa.spec :
		    clm_app_spec_copy(a->wa.spec);
		sa->want = a->nwanted;
		sa->up = a->up;
		sa->signals_ready = a->wa.signals_ready;
		sa->nlisteners = a->wa.listeners.n;
		sa->listeners = clm_calloc(a->wa.listeners.n + 1,
		    sizeof *sa->listeners);
		/* In their groups' order: the next clmd knows it again. */
		order = clm_calloc(a->wa.listeners.n + 1, sizeof *order);
		listeners_order(&a->wa.listeners, order);
		for (k = 0; k < a->wa.listeners.n; k++) {
			const struct clm_listener *l =
			    &a->wa.listeners.v[order[k]];

			sa->listeners[k].addr = l->addr;
			sa->listeners[k].addr.host = clm_strdup(l->addr.host);
			sa->listeners[k].slot = l->slot;
			sa->listeners[k].fd = l->fd;
		}
		free(order);
		sa->nlisten_fds = a->wa.nlisten_fds;
		sa->listen_fds = clm_calloc(a->wa.nlisten_fds + 1, sizeof(int));
		if (a->wa.nlisten_fds > 0)
			memcpy(sa->listen_fds, a->wa.listen_fds,
			    a->wa.nlisten_fds * sizeof(int));
		/* The workers past nwanted (a scale down), a reload's new
		 * and old one: an operation a crash would end. */
		n = a->nwanted < a->nworkers ? a->nwanted : a->nworkers;
		sa->nworkers = (size_t)n;
		sa->workers = clm_calloc(a->nworkers + 1, sizeof *sa->workers);
		for (j = 0; j < n; j++)
			export_worker(a->workers[j], &sa->workers[j]);
		sa->strays = clm_calloc(a->nworkers - n + a->nstrays + 3,
		    sizeof *sa->strays);
		for (j = n; j < a->nworkers; j++)
			export_stray(a->workers[j], sa);
		for (j = 0; j < a->nstrays; j++)
			export_stray(a->strays[j], sa);
		if (a->incoming != NULL)
			export_stray(a->incoming, sa);
		if (a->retiring != NULL)
			export_stray(a->retiring, sa);
	}
	return 0;
}

/* The mirror of export_worker(). */
static void
import_worker(struct worker *w, struct clm_state_worker *sw, enum wwant want)
{
	w->started_ms = sw->started_ms;
	w->restarts = sw->restarts;
	w->unstable = sw->unstable;
	w->runs = sw->runs;
	w->exit_code = sw->exit_code;
	w->term_signal = sw->term_signal;
	w->run_id = sw->run_id;
	w->sock_key = sw->sock_key;
	if (sw->pidfd != -1)	/* an older clmd's */
		close(sw->pidfd);
	sw->pidfd = -1;
	worker_import(w, sw->state, want, sw->pid, sw->start_time,
	    sw->chan_fd);
}

/* A worker of an operation the crash ended: taken over, and stopped. */
static void
import_stray(struct app *a, struct clm_state_worker *sw)
{
	struct worker	*w;

	w = worker_new(&a->sup->wctx, &a->wa, sw->slot);
	a->strays = clm_realloc(a->strays, (a->nstrays + 1) *
	    sizeof *a->strays);
	a->strays[a->nstrays++] = w;
	a->sup->nstrays++;
	log_info("%s:%d: pid %d was in an operation that the crash of clmd "
	    "ended (a reload, a scale): stopping it", a->wa.spec->name,
	    sw->slot, sw->pid);
	import_worker(w, sw, WANT_DOWN);
	worker_want(w, WANT_DOWN);
}

void
supervisor_import(struct clm_supervisor *sup, struct clm_state *st)
{
	struct clm_state_app	*sa;
	struct clm_state_worker	*sw;
	struct app		*a;
	struct worker		*w;
	size_t			 i, k;

	sup->wctx.runs = st->runs;
	for (i = 0; i < st->napps; i++) {
		sa = &st->apps[i];
		a = app_new(sup, sa->spec);
		sa->spec = NULL;
		a->up = sa->up;
		a->wa.signals_ready = sa->signals_ready;
		for (k = 0; k < sa->nlisteners; k++) {
			a->wa.listeners.v = clm_realloc(a->wa.listeners.v,
			    (a->wa.listeners.n + 1) * sizeof *a->wa.listeners.v);
			a->wa.listeners.v[a->wa.listeners.n].addr =
			    sa->listeners[k].addr;
			sa->listeners[k].addr.host = NULL;
			a->wa.listeners.v[a->wa.listeners.n].slot =
			    sa->listeners[k].slot;
			a->wa.listeners.v[a->wa.listeners.n].fd = sa->listeners[k].fd;
			a->wa.listeners.n++;
		}
		/* Exported in their groups' order (an image from before
		 * the drain exported them as they were made: the same order
		 * for an app of one address). */
		listeners_adopted(&a->wa.listeners);
		a->wa.nlisten_fds = sa->nlisten_fds;
		a->wa.listen_fds = clm_calloc(sa->nlisten_fds + 1, sizeof(int));
		memcpy(a->wa.listen_fds, sa->listen_fds,
		    sa->nlisten_fds * sizeof(int));
		app_grow(a, (int)sa->nworkers);
		a->nwanted = sa->want;
		for (k = 0; k < sa->nworkers; k++) {
			sw = &sa->workers[k];
			w = a->workers[k];
			import_worker(w, sw, a->up ? WANT_UP : WANT_DOWN);
		}
		log_info("%s: %zu worker%s taken over", a->wa.spec->name,
		    sa->nworkers, sa->nworkers == 1 ? "" : "s");
		for (k = 0; k < sa->nstrays; k++)
			import_stray(a, &sa->strays[k]);
	}
}
