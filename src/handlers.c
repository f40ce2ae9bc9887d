/*
 * The daemon's commands. Each handler gets a decoded request and answers
 * it, at once or when the supervisor's operation completes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/handlers.h"
#include "clm/log.h"

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
};

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
	server_reply(p->call, r);
	clm_strv_free(p->notes);
	free(p->show);
	free(p);
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
h_list(struct clm_daemon_ctx *d, struct clm_call *call)
{
	struct clm_reply	*r = proto_reply_new();

	supervisor_info(d->sup, NULL, &r->workers, &r->nworkers);
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

static void
h_start(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	struct pending			*p;
	struct clm_app_spec		*spec;
	const char			*code;
	char				*cause, **names;

	if (req->spec == NULL) {
		/* Start a stopped app again. */
		if (req->target == NULL) {
			server_reply_error(call, CLM_E_BADREQ, "start needs "
			    "a spec or a target");
			return;
		}
		if (supervisor_select(d->sup, req->target, &names, &code,
		    &cause) == -1) {
			server_reply_error(call, code, "%s", cause);
			free(cause);
			return;
		}
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
static void
target_op(struct clm_daemon_ctx *d, struct clm_call *call,
    void (*op)(struct clm_supervisor *, char **, supervisor_done_cb, void *),
    bool show)
{
	const struct clm_request	*req = server_call_request(call);
	struct pending			*p;
	const char			*code;
	char				*cause, **names;

	if (supervisor_select(d->sup, req->target, &names, &code,
	    &cause) == -1) {
		server_reply_error(call, code, "%s", cause);
		free(cause);
		return;
	}
	p = pending_new(d, call, show && strcmp(req->target, "all") != 0 ?
	    req->target : NULL);
	op(d->sup, names, pending_done, p);
	clm_strv_free(names);
}

static void
h_stop(struct clm_daemon_ctx *d, struct clm_call *call)
{
	target_op(d, call, supervisor_stop, true);
}

static void
h_restart(struct clm_daemon_ctx *d, struct clm_call *call)
{
	target_op(d, call, supervisor_restart, true);
}

static void
h_delete(struct clm_daemon_ctx *d, struct clm_call *call)
{
	target_op(d, call, supervisor_delete, false);
}

static void
h_reload(struct clm_daemon_ctx *d, struct clm_call *call)
{
	target_op(d, call, supervisor_reload, true);
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
	{ "describe", h_describe, true, true },
	{ "start", h_start, false, false },
	{ "stop", h_stop, true, false },
	{ "restart", h_restart, true, false },
	{ "delete", h_delete, true, false },
	{ "reload", h_reload, true, false },
	{ "scale", h_scale, true, false },
	{ "kill", h_kill, false, true },
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
}
