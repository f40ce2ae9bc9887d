/* The daemon's commands: one handler per request name, in one table. */
#ifndef CLM_HANDLERS_H
#define CLM_HANDLERS_H

#include <uv.h>

#include "clm/home.h"
#include "clm/server.h"
#include "clm/supervisor.h"

struct clm_daemon_ctx {
	uv_loop_t		*loop;
	struct clm_home		 home;
	struct clm_supervisor	*sup;
	struct clm_server	*srv;
	bool			 shutting_down;
	struct clm_call	       **kill_calls;	/* answered when all stopped */
	size_t			 nkill_calls;
	void			(*shutdown)(struct clm_daemon_ctx *);
	/* Called once the start-up resurrect is over, however it went. */
	void			(*resurrected)(struct clm_daemon_ctx *);
	/* clm update, once path --check-upgrade agreed: exec it. Returns
	 * only on failure, having answered the call. */
	void			(*upgrade)(struct clm_daemon_ctx *,
				    struct clm_call *, const char *path);
	char			*exe;		/* this clmd's binary */
};

/* Start the apps saved in dump.json; call may be NULL (clmd --resurrect). */
void handlers_resurrect(struct clm_daemon_ctx *, struct clm_call *);
/*
 * clmd --apps FILE: the apps of an app file (INI, or a PM2 ecosystem
 * file), in clmd's environment. handlers_load_file: 0, or -1 with
 * *errors. handlers_start_file: start those that are not there yet (as
 * --resurrect does: d->resurrected when done).
 */
int handlers_load_file(const char *path, struct clm_app_spec ***specs,
    size_t *n, char ***errors);
void handlers_start_file(struct clm_daemon_ctx *, const char *path);

/* clm update (call may be NULL: SIGUSR2): path NULL means our binary. */
void handlers_update(struct clm_daemon_ctx *, struct clm_call *,
    const char *path);

/* server_dispatch_cb: ctx is the struct clm_daemon_ctx. */
void handlers_dispatch(void *ctx, struct clm_call *);

#endif
