/*
 * The daemon's commands. Each handler gets a decoded request and answers
 * it, at once or when the supervisor's operation completes.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/config.h"
#include "clm/ecosystem.h"
#include "clm/events.h"
#include "clm/handlers.h"
#include "clm/heap.h"
#include "clm/listeners.h"
#include "clm/log.h"
#include "clm/logs.h"
#include "clm/logview.h"
#include "clm/metrics.h"
#include "clm/notify.h"
#include "clm/secenv.h"
#include "clm/state.h"
#include "clm/upgrade.h"

struct handler {
	const char	*name;
	void		(*fn)(struct clm_daemon_ctx *, struct clm_call *);
	bool		 needs_target;
	bool		 during_shutdown;	/* allowed while stopping */
};

/* A call waiting for a supervisor operation. */
struct pending {
	struct clm_daemon_ctx	*d;
	struct clm_call		*call;
	char		       **notes;
	char			*show;	/* app whose workers the reply shows */
	bool			 reload;	/* tell systemd when it is over */
};

/* READY=1 for systemd, with what runs. */
static void
notify_ready(struct clm_daemon_ctx *d)
{
	char	*status = supervisor_status(d->sup);

	notify_send("READY=1\nSTATUS=%s", status);
	free(status);
}

static struct pending *
pending_new(struct clm_daemon_ctx *d, struct clm_call *call, const char *show)
{
	struct pending	*p = clm_calloc(1, sizeof *p);

	p->d = d;
	p->call = call;
	p->show = clm_strdup(show);
	return p;
}

static void
pending_done(void *arg, const char *code, const char *message)
{
	struct pending		*p = arg;
	struct clm_reply	*r;
	size_t			 i;

	if (code != NULL)
		r = proto_reply_error(code, "%s", message);
	else {
		r = proto_reply_new();
		if (p->show != NULL)
			supervisor_info(p->d->sup, p->show, &r->workers,
			    &r->nworkers);
	}
	for (i = 0; p->notes != NULL && p->notes[i] != NULL; i++)
		clm_strv_push(&r->notes, p->notes[i]);
	if (code == NULL && message != NULL)	/* done, with a warning */
		proto_reply_note(r, "warning: %s", message);
	if (p->reload)
		notify_ready(p->d);
	if (p->call != NULL)
		server_reply(p->call, r);
	else {
		/* No client: clmd --resurrect at start-up. */
		if (code != NULL)
			log_warnx("resurrect: %s", message);
		else
			log_info("resurrect: every saved app is online");
		proto_reply_free(r);
		p->d->resurrected(p->d);
	}
	clm_strv_free(p->notes);
	free(p->show);
	free(p);
}

/* The apps a target names; on failure the call is answered, NULL. */
static char **
select_apps(struct clm_daemon_ctx *d, struct clm_call *call,
    const char *target)
{
	const char	*code;
	char		*cause, **names;

	if (supervisor_select(d->sup, target, &names, &code, &cause) == -1) {
		server_reply_error(call, code, "%s", cause);
		free(cause);
		return NULL;
	}
	return names;
}

static void
h_ping(struct clm_daemon_ctx *d, struct clm_call *call)
{
	struct clm_reply	*r = proto_reply_new();

	r->daemon_pid = getpid();
	r->daemon_version = clm_strdup(CLM_VERSION);
	server_reply(call, r);
}

static void
h_metrics(struct clm_daemon_ctx *d, struct clm_call *call)
{
	struct clm_reply	*r = proto_reply_new();

	r->text = metrics_render(d->sup);
	server_reply(call, r);
}

static void
h_logs(struct clm_daemon_ctx *d, struct clm_call *call)
{
	logview_start(d, call);
}

static void
h_events(struct clm_daemon_ctx *d, struct clm_call *call)
{
	/* An app that does not exist yet may: it is watched from its
	 * start. */
	events_subscribe(call, server_call_request(call)->target);
}

static void
h_flush(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	struct clm_reply		*r;
	char				**names, *cause;
	size_t				 n;

	names = select_apps(d, call, req->target ? req->target : "all");
	if (names == NULL)
		return;
	if (logview_flush(d, names, &n, &cause) == -1) {
		server_reply_error(call, CLM_E_INTERNAL, "%s", cause);
		free(cause);
	} else {
		r = proto_reply_new();
		proto_reply_note(r, "emptied %zu log file%s", n,
		    n == 1 ? "" : "s");
		server_reply(call, r);
	}
	clm_strv_free(names);
}

static void
h_reload_logs(struct clm_daemon_ctx *d, struct clm_call *call)
{
	struct clm_reply	*r = proto_reply_new();

	logs_reopen(supervisor_logs(d->sup));
	proto_reply_note(r, "log files reopened");
	server_reply(call, r);
}

static void
h_list(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	struct clm_reply		*r = proto_reply_new();
	size_t				 i;

	supervisor_info(d->sup, NULL, &r->workers, &r->nworkers);
	if (req->json) {
		/* clm list --json: printed here, once; the CLI need not
		 * decode thousands of workers to print them again. */
		r->text = proto_workers_json(r->workers, r->nworkers);
		for (i = 0; i < r->nworkers; i++)
			proto_worker_info_clear(&r->workers[i]);
		free(r->workers);
		r->workers = NULL;
		r->nworkers = 0;
	}
	server_reply(call, r);
}

static void
h_describe(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	const struct clm_app_spec	*spec;
	struct clm_reply		*r;

	if ((spec = supervisor_spec(d->sup, req->target)) == NULL) {
		server_reply_error(call, CLM_E_NOAPP,
		    "no app named '%s' (see clm list)", req->target);
		return;
	}
	r = proto_reply_new();
	r->spec = clm_app_spec_copy(spec);
	supervisor_info(d->sup, req->target, &r->workers, &r->nworkers);
	server_reply(call, r);
}

/* Start several apps, all or none: an app file, or a resurrect. */
static void
start_apps(struct clm_daemon_ctx *d, struct clm_call *call,
    struct clm_app_spec **specs, size_t n, char **notes)
{
	struct pending	*p = pending_new(d, call, NULL);
	const char	*code;
	char		*cause;

	p->notes = notes;
	if (supervisor_add_apps(d->sup, specs, n, &p->notes, pending_done, p,
	    &code, &cause) == -1) {
		pending_done(p, code, cause);
		free(cause);
	}
}

/*
 * A guest: a client let in by socket_group, neither root nor the daemon's
 * user. Its apps run as itself, never as root: a start's apps get its user
 * (another --user or a --group is refused), and it changes the
 * environment or options only of apps that already run as itself.
 */
static bool
guest(const struct clm_call *call)
{
	uid_t	uid = server_call_uid(call);

	return call != NULL && uid != 0 && uid != geteuid();
}

/* A guest of a root daemon: its apps would otherwise run as root. (A
 * daemon of another user runs every app as that user anyway.) */
static bool
root_guest(const struct clm_call *call)
{
	return geteuid() == 0 && guest(call);
}

/* The guest's user name, or NULL with *cause. */
static char *
guest_name(const struct clm_call *call, char **cause)
{
	struct passwd	*pw = getpwuid(server_call_uid(call));

	if (pw == NULL || pw->pw_name == NULL) {
		*cause = clm_asprintf("uid %u has no user name: its apps "
		    "cannot run as itself", (unsigned)server_call_uid(call));
		return NULL;
	}
	return clm_strdup(pw->pw_name);
}

/* Make spec run as the guest. -1 with *cause when it asks for more. */
static int
guest_spec(const struct clm_call *call, struct clm_app_spec *spec,
    char **cause)
{
	struct clm_listen_addr	 a;
	char			*name;
	size_t			 i;
	bool			 privileged;

	if (!root_guest(call))
		return 0;
	if ((name = guest_name(call, cause)) == NULL)
		return -1;
	if ((spec->user != NULL && strcmp(spec->user, name) != 0) ||
	    spec->group != NULL) {
		*cause = clm_asprintf("app %s: you (%s) control this daemon "
		    "through socket_group: your apps run as %s, with no "
		    "--user or --group of their own", spec->name, name, name);
		free(name);
		return -1;
	}
	for (i = 0; spec->listen != NULL && spec->listen[i] != NULL; i++) {
		if (listeners_parse(spec->listen[i], &a, cause) == -1) {
			free(name);
			return -1;
		}
		privileged = listeners_port_privileged(a.port);
		listeners_addr_clear(&a);
		if (privileged) {
			*cause = clm_asprintf("app %s: --listen %s is a "
			    "privileged port, which only root gives to an app",
			    spec->name, spec->listen[i]);
			free(name);
			return -1;
		}
	}
	free(spec->user);
	spec->user = name;
	return 0;
}

/* May the guest change these apps (their environment, their options)? */
static bool
guest_owns(struct clm_daemon_ctx *d, struct clm_call *call, char **names)
{
	const struct clm_app_spec	*spec;
	char				*name, *cause = NULL;
	size_t				 i;

	if (!root_guest(call))
		return true;
	if ((name = guest_name(call, &cause)) == NULL) {
		server_reply_error(call, CLM_E_PERM, "%s", cause);
		free(cause);
		return false;
	}
	for (i = 0; names != NULL && names[i] != NULL; i++) {
		spec = supervisor_spec(d->sup, names[i]);
		if (spec != NULL && (spec->user == NULL ||
		    strcmp(spec->user, name) != 0)) {
			server_reply_error(call, CLM_E_PERM, "app %s does not "
			    "run as you (%s): through socket_group you change "
			    "only your own apps", names[i], name);
			free(name);
			return false;
		}
	}
	free(name);
	return true;
}

/* The environment an app gets from clm's (env): all of it, or, for an
 * app run as another user without inherit_env, a minimal base. */
static char **
user_env(const struct clm_app_spec *spec, char *const *env)
{
	if (spec == NULL || spec->user == NULL || spec->inherit_env)
		return clm_strv_dup(env);
	return secenv_user_env(env);
}

/* Copies of the apps of a request, checked as a start needs them. */
static struct clm_app_spec **
request_apps(const struct clm_call *call, const struct clm_request *req,
    char **cause)
{
	struct clm_app_spec	**specs;
	size_t			  i;

	for (i = 0; i < req->napps; i++) {
		if (clm_app_name_check(req->apps[i]->name, cause) == -1)
			return NULL;
		if (req->apps[i]->script == NULL ||
		    req->apps[i]->script[0] != '/') {
			*cause = clm_asprintf("app %s: the script path must be "
			    "absolute", req->apps[i]->name);
			return NULL;
		}
	}
	specs = clm_calloc(req->napps + 1, sizeof *specs);
	for (i = 0; i < req->napps; i++)
		specs[i] = clm_app_spec_copy(req->apps[i]);
	for (i = 0; i < req->napps; i++) {
		if (guest_spec(call, specs[i], cause) == -1) {
			for (i = 0; i < req->napps; i++)
				clm_app_spec_free(specs[i]);
			free(specs);
			return NULL;
		}
	}
	for (i = 0; i < req->napps; i++) {
		char	**base, **env;

		if (req->env == NULL)
			continue;
		/* An app of another user: the app file's lines on a minimal
		 * base, not the whole of clm's environment. */
		base = user_env(specs[i], req->env);
		env = clm_env_merge(base, specs[i]->env);
		clm_strv_free(base);
		clm_strv_free(specs[i]->env);
		/* The same as the app before's (an app file's apps mostly
		 * are): one copy for them all. */
		if (i > 0 && clm_strv_eq(env, specs[i - 1]->env)) {
			clm_strv_free(env);
			env = clm_strv_share(specs[i - 1]->env);
		}
		specs[i]->env = env;
	}
	return specs;
}

static void
h_start(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	struct pending			*p;
	struct clm_app_spec		*spec, **specs;
	const char			*code;
	char				*cause, **names, **env;
	size_t				 i, k;

	if (req->napps > 0) {
		if ((specs = request_apps(call, req, &cause)) == NULL) {
			server_reply_error(call, CLM_E_INVAL, "%s", cause);
			free(cause);
			return;
		}
		/* An app file again: start what is missing; what runs
		 * already stays as it is. */
		names = NULL;
		for (i = 0, k = 0; i < req->napps; i++) {
			if (supervisor_running(d->sup, specs[i]->name)) {
				cause = clm_asprintf("%s is running already: "
				    "left as it is (clm reload FILE applies "
				    "the file's changes to it)",
				    specs[i]->name);
				clm_strv_push(&names, cause);
				free(cause);
				clm_app_spec_free(specs[i]);
			} else
				specs[k++] = specs[i];
		}
		start_apps(d, call, specs, k, names);
		free(specs);
		return;
	}

	if (req->spec == NULL) {
		/* Start a stopped app again. */
		if (req->target == NULL) {
			server_reply_error(call, CLM_E_BADREQ, "start needs "
			    "a spec or a target");
			return;
		}
		if ((names = select_apps(d, call, req->target)) == NULL)
			return;
		p = pending_new(d, call, strcmp(req->target, "all") == 0 ?
		    NULL : req->target);
		supervisor_start(d->sup, names, pending_done, p);
		clm_strv_free(names);
		return;
	}
	if (clm_app_name_check(req->spec->name, &cause) == -1) {
		server_reply_error(call, CLM_E_INVAL, "%s", cause);
		free(cause);
		return;
	}
	if (req->spec->script == NULL || req->spec->script[0] != '/') {
		server_reply_error(call, CLM_E_INVAL,
		    "the script path must be absolute");
		return;
	}
	spec = clm_app_spec_copy(req->spec);
	if (guest_spec(call, spec, &cause) == -1) {
		server_reply_error(call, CLM_E_PERM, "%s", cause);
		free(cause);
		clm_app_spec_free(spec);
		return;
	}
	env = user_env(spec, spec->env);
	clm_strv_free(spec->env);
	spec->env = env;
	p = pending_new(d, call, spec->name);
	if (supervisor_add(d->sup, spec, &p->notes, pending_done, p, &code,
	    &cause) == -1) {
		clm_strv_free(p->notes);
		free(p->show);
		free(p);
		server_reply_error(call, code, "%s", cause);
		free(cause);
	}
}

/* stop, restart, delete: the same shape on a target. */
static struct pending *
target_op(struct clm_daemon_ctx *d, struct clm_call *call,
    void (*op)(struct clm_supervisor *, char **, supervisor_done_cb, void *),
    bool show)
{
	const struct clm_request	*req = server_call_request(call);
	struct pending			*p;
	char				**names;

	if ((names = select_apps(d, call, req->target)) == NULL)
		return NULL;
	p = pending_new(d, call, show && strcmp(req->target, "all") != 0 ?
	    req->target : NULL);
	op(d->sup, names, pending_done, p);
	clm_strv_free(names);
	return p;
}

/* stop, restart, reload of one worker, NAME:ID. false: not such a
 * target. */
static bool
worker_op(struct clm_daemon_ctx *d, struct clm_call *call, const char *verb)
{
	const struct clm_request	*req = server_call_request(call);
	struct pending			*p;
	const char			*code;
	char				*cause;

	if (req->target == NULL || strchr(req->target, ':') == NULL)
		return false;
	if (req->update_env) {
		server_reply_error(call, CLM_E_INVAL, "--update-env applies to "
		    "an app: the workers of an app share its environment");
		return true;
	}
	p = pending_new(d, call, req->target);
	if (supervisor_worker(d->sup, verb, req->target, pending_done, p,
	    &code, &cause) == -1) {
		free(p->show);
		free(p);
		server_reply_error(call, code, "%s", cause);
		free(cause);
	}
	return true;
}

static void
h_stop(struct clm_daemon_ctx *d, struct clm_call *call)
{
	if (!worker_op(d, call, "stop"))
		target_op(d, call, supervisor_stop, true);
}

static void
h_restart(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	char				**names, **env, **prev;
	char				 *one[2] = { NULL, NULL };
	size_t				  i;

	if (req->spec != NULL && req->target != NULL &&
	    strchr(req->target, ':') != NULL) {
		server_reply_error(call, CLM_E_INVAL, "options apply to an "
		    "app (clm restart %.*s ...), not to one worker",
		    (int)strcspn(req->target, ":"), req->target);
		return;
	}
	if (worker_op(d, call, "restart"))
		return;
	if (req->spec != NULL) {	/* clm restart NAME --listen-timeout */
		if ((names = select_apps(d, call, req->target)) == NULL)
			return;
		if (!guest_owns(d, call, names)) {
			clm_strv_free(names);
			return;
		}
		supervisor_set_options(d->sup, names, req->spec);
		clm_strv_free(names);
	}
	if (req->update_env) {
		if (req->env == NULL) {
			server_reply_error(call, CLM_E_BADREQ, "restart "
			    "--update-env needs the environment");
			return;
		}
		if ((names = select_apps(d, call, req->target)) == NULL)
			return;
		if (!guest_owns(d, call, names)) {
			clm_strv_free(names);
			return;
		}
		for (i = 0, prev = NULL; names[i] != NULL; i++) {
			one[0] = names[i];
			env = user_env(supervisor_spec(d->sup, names[i]),
			    req->env);
			if (prev != NULL && clm_strv_eq(env, prev)) {
				clm_strv_free(env);	/* one copy for all */
				env = clm_strv_share(prev);
			}
			supervisor_update_env(d->sup, one, env);
			clm_strv_free(prev);
			prev = env;
		}
		clm_strv_free(prev);
		clm_strv_free(names);
	}
	target_op(d, call, supervisor_restart, true);
}

static void
h_delete(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	struct clm_worker_info		*w;
	struct pending			*p;
	char				**names;
	size_t				  i, k, n, nw, running;

	if ((names = select_apps(d, call, req->target)) == NULL)
		return;
	p = pending_new(d, call, NULL);
	n = clm_strv_len(p->notes);
	p->notes = clm_realloc(p->notes, (n + clm_strv_len(names) + 2) *
	    sizeof *p->notes);
	for (i = 0; names[i] != NULL; i++) {
		supervisor_info(d->sup, names[i], &w, &nw);
		for (k = 0, running = 0; k < nw; k++) {
			running += w[k].pid > 0;
			proto_worker_info_clear(&w[k]);
		}
		free(w);
		p->notes[n++] = clm_asprintf("deleted %s (%zu worker%s, %zu "
		    "running, stopped; its log files stay)", names[i], nw,
		    nw == 1 ? "" : "s", running);
	}
	p->notes[n] = NULL;
	if (names[0] == NULL)
		clm_strv_push(&p->notes, "no app to delete");
	supervisor_delete(d->sup, names, pending_done, p);
	clm_strv_free(names);
}

static void
h_reload(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	struct clm_app_spec		**specs;
	struct pending			*p;
	char				*cause, **names = NULL;
	size_t				 i;
	bool				 own;

	if (req->napps == 0) {
		if (req->target == NULL) {
			server_reply_error(call, CLM_E_BADREQ, "reload needs a "
			    "target (an app name or all) or apps");
			return;
		}
		if (worker_op(d, call, "reload"))
			return;
		notify_send("RELOADING=1");
		if ((p = target_op(d, call, supervisor_reload, true)) != NULL)
			p->reload = true;
		else
			notify_ready(d);
		return;
	}
	/* An app file: new options and counts for running apps (a guest:
	 * only of its own). */
	for (i = 0; i < req->napps; i++)
		clm_strv_push(&names, req->apps[i]->name);
	own = guest_owns(d, call, names);
	clm_strv_free(names);
	if (!own)
		return;
	if ((specs = request_apps(call, req, &cause)) == NULL) {
		server_reply_error(call, CLM_E_INVAL, "%s", cause);
		free(cause);
		return;
	}
	notify_send("RELOADING=1");
	p = pending_new(d, call, NULL);
	p->reload = true;
	supervisor_apply(d->sup, specs, req->napps, &p->notes, pending_done,
	    p);
}

static void
h_save(struct clm_daemon_ctx *d, struct clm_call *call)
{
	struct clm_app_spec	**specs;
	struct clm_reply	 *r;
	char			 *cause, *path, **stopped;
	size_t			  n, i;

	supervisor_specs(d->sup, &specs, &n);
	stopped = clm_calloc(1, sizeof *stopped);
	for (i = 0; i < n; i++) {
		if (!supervisor_running(d->sup, specs[i]->name))
			clm_strv_push(&stopped, specs[i]->name);
	}
	if (state_save(&d->home, specs, n, stopped, &cause) == -1) {
		server_reply_error(call, CLM_E_INTERNAL, "%s", cause);
		free(cause);
	} else {
		path = state_path(&d->home);
		log_info("saved %zu app%s to %s", n, n == 1 ? "" : "s", path);
		r = proto_reply_new();
		proto_reply_note(r, "saved %zu app%s to %s", n,
		    n == 1 ? "" : "s", path);
		server_reply(call, r);
		free(path);
	}
	for (i = 0; i < n; i++)
		clm_app_spec_free(specs[i]);
	free(specs);
	clm_strv_free(stopped);
}

void
handlers_resurrect(struct clm_daemon_ctx *d, struct clm_call *call)
{
	struct clm_app_spec	**specs;
	char			**notes = NULL, *cause, **stopped = NULL;
	char			 *s;
	size_t			  n, i, k = 0;
	bool			  missing;

	if (state_load(&d->home, &specs, &n, &stopped, &missing,
	    &cause) == -1) {
		if (call != NULL)
			server_reply_error(call, missing ? CLM_E_NOAPP :
			    CLM_E_INVAL, "%s", cause);
		else {
			if (!missing)
				log_warnx("resurrect: %s", cause);
			d->resurrected(d);
		}
		free(cause);
		return;
	}
	/* Apps that are there already stay as they are; those saved
	 * stopped come back stopped. */
	for (i = 0; i < n; i++) {
		if (supervisor_spec(d->sup, specs[i]->name) != NULL) {
			s = clm_asprintf("%s is there already; left as it is",
			    specs[i]->name);
			clm_strv_push(&notes, s);
			free(s);
			clm_app_spec_free(specs[i]);
		} else if (clm_strv_has(stopped, specs[i]->name)) {
			/* The spec goes to the supervisor: name it first. */
			s = clm_asprintf("%s was saved stopped: it stays "
			    "stopped (clm start %s starts it)", specs[i]->name,
			    specs[i]->name);
			if (supervisor_add_stopped(d->sup, specs[i], &notes,
			    &cause) == -1) {
				free(s);
				s = cause;
			}
			clm_strv_push(&notes, s);
			free(s);
		} else
			specs[k++] = specs[i];
	}
	clm_strv_free(stopped);
	log_info("resurrect: starting %zu saved app%s", k, k == 1 ? "" : "s");
	start_apps(d, call, specs, k, notes);
	free(specs);
}

int
handlers_load_file(const char *path, struct clm_app_spec ***specs,
    size_t *n, char ***errors)
{
	struct ecosystem_opts	 eo = { NULL, NULL, false };
	char			**warnings = NULL;
	size_t			  i;
	int			  r;

	if (!ecosystem_is_file(path))
		return config_load_apps(path, environ, NULL, NULL, specs, n,
		    errors);
	r = ecosystem_load(path, environ, &eo, specs, n, &warnings, errors);
	for (i = 0; warnings != NULL && warnings[i] != NULL; i++)
		log_warnx("%s", warnings[i]);
	clm_strv_free(warnings);
	return r;
}

void
handlers_start_file(struct clm_daemon_ctx *d, const char *path)
{
	struct clm_app_spec	**specs;
	char			**errors = NULL;
	size_t			  n, i, k = 0;

	if (handlers_load_file(path, &specs, &n, &errors) == -1) {
		for (i = 0; errors != NULL && errors[i] != NULL; i++)
			log_warnx("--apps: %s", errors[i]);
		clm_strv_free(errors);
		d->resurrected(d);
		return;
	}
	for (i = 0; i < n; i++) {
		if (supervisor_spec(d->sup, specs[i]->name) != NULL)
			clm_app_spec_free(specs[i]);	/* there already */
		else
			specs[k++] = specs[i];
	}
	log_info("--apps %s: starting %zu app%s", path, k, k == 1 ? "" : "s");
	start_apps(d, NULL, specs, k, NULL);
	free(specs);
}

static void
h_resurrect(struct clm_daemon_ctx *d, struct clm_call *call)
{
	handlers_resurrect(d, call);
}

static void
h_scale(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	struct pending			*p;
	const char			*code;
	char				*cause;

	p = pending_new(d, call, req->target);
	if (supervisor_scale(d->sup, req->target, req->count, req->relative,
	    &p->notes, pending_done, p, &code, &cause) == -1) {
		clm_strv_free(p->notes);
		free(p->show);
		free(p);
		server_reply_error(call, code, "%s", cause);
		free(cause);
	}
}

/* clm update: the new binary proves it can take our state (the
 * handshake of upgrade.c), then we re-execute it. */
struct update {
	struct clm_daemon_ctx	*d;
	struct clm_call		*call;
};

static void
update_checked(void *arg, const char *path, const char *cause)
{
	struct update	*u = arg;

	if (cause != NULL) {
		if (u->call != NULL)
			server_reply_error(u->call, CLM_E_INVAL, "%s", cause);
		log_warnx("clm update: %s", cause);
	} else if (u->d->shutting_down) {
		if (u->call != NULL)
			server_reply_error(u->call, CLM_E_SHUTDOWN,
			    "the daemon is shutting down");
	} else
		u->d->upgrade(u->d, u->call, path);
	free(u);
}

static void
h_update(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);

	if (guest(call)) {
		server_reply_error(call, CLM_E_PERM, "clm update is for root "
		    "and the daemon's own user only");
		return;
	}
	handlers_update(d, call, req->target);
}

void
handlers_update(struct clm_daemon_ctx *d, struct clm_call *call,
    const char *path)
{
	struct update	*u;
	char		*cause = NULL;

	if (path == NULL)
		path = d->exe;
	if (path == NULL || path[0] != '/') {
		if (call != NULL)
			server_reply_error(call, CLM_E_INVAL, "the new clmd "
			    "must be given by an absolute path");
		return;
	}
	/* Root runs it: only a binary of root's that no one else can
	 * change. */
	if (clm_trust_path("the new clmd", path, &cause) == -1) {
		if (call != NULL)
			server_reply_error(call, CLM_E_INVAL, "%s", cause);
		log_warnx("clm update: %s", cause);
		free(cause);
		return;
	}
	u = clm_calloc(1, sizeof *u);
	u->d = d;
	u->call = call;
	upgrade_check(d->loop, path, update_checked, u);
}

static void
h_kill(struct clm_daemon_ctx *d, struct clm_call *call)
{
	d->kill_calls = clm_realloc(d->kill_calls,
	    (d->nkill_calls + 1) * sizeof *d->kill_calls);
	d->kill_calls[d->nkill_calls++] = call;
	if (!d->shutting_down) {
		log_info("clm kill: stopping every app, then the daemon");
		d->shutdown(d);
	}
}

static const struct handler handlers[] = {
	{ "ping", h_ping, false, true },
	{ "list", h_list, false, true },
	{ "logs", h_logs, false, true },
	{ "events", h_events, false, true },
	{ "flush", h_flush, false, true },
	{ "reload-logs", h_reload_logs, false, true },
	{ "metrics", h_metrics, false, true },
	{ "describe", h_describe, true, true },
	{ "start", h_start, false, false },
	{ "stop", h_stop, true, false },
	{ "restart", h_restart, true, false },
	{ "delete", h_delete, true, false },
	{ "reload", h_reload, false, false },
	{ "save", h_save, false, true },
	{ "resurrect", h_resurrect, false, false },
	{ "scale", h_scale, true, false },
	{ "kill", h_kill, false, true },
	{ "update", h_update, false, false },
};

void
handlers_dispatch(void *ctx, struct clm_call *call)
{
	struct clm_daemon_ctx		*d = ctx;
	const struct clm_request	*req = server_call_request(call);
	const struct handler		*h = NULL;
	size_t				 i;

	for (i = 0; i < CLM_ARRAY_SIZE(handlers); i++) {
		if (strcmp(handlers[i].name, req->cmd) == 0) {
			h = &handlers[i];
			break;
		}
	}
	if (h == NULL) {
		server_reply_error(call, CLM_E_UNKNOWN, "unknown command "
		    "'%s' (is clm newer than clmd %s? see clm update)",
		    req->cmd, CLM_VERSION);
		return;
	}
	if (d->shutting_down && !h->during_shutdown) {
		server_reply_error(call, CLM_E_SHUTDOWN,
		    "the daemon is shutting down");
		return;
	}
	if (h->needs_target && req->target == NULL) {
		server_reply_error(call, CLM_E_BADREQ,
		    "command '%s' needs a target (an app name or all)",
		    req->cmd);
		return;
	}
	h->fn(d, call);
	heap_used();
}
