/*
 * What happens, as events: a worker launching, online, exiting (code or
 * signal), waiting to restart, errored; a reload's begin and end, a
 * scale, a replacement for memory or a missed watchdog, the daemon's
 * start and update. They go to the clients of `clm events` (a stream over
 * the control socket; a reader that falls behind is told, then dropped)
 * and to the app's on_event hook (one run at a time per app, its output
 * in clmd.log, killed after EVENTS_HOOK_TIMEOUT_MS).
 *
 * The worker's state changes come from one place, the supervisor's
 * change callback (events_worker); the others from the line that does
 * them (events_app).
 */
#ifndef CLM_EVENTS_H
#define CLM_EVENTS_H

#include <uv.h>

#include "clm/proto.h"
#include "clm/worker.h"

struct clm_call;

/* A reader further behind than this is dropped. */
#define EVENTS_BACKLOG_MAX	(256 * 1024)
/* A hook that runs longer is killed (SIGKILL to its process group);
 * CLM_HOOK_TIMEOUT_MS in clmd's environment sets it (tests). */
#define EVENTS_HOOK_TIMEOUT_MS	30000
/* Events of one app waiting for its hook to finish, at most (the oldest
 * are dropped). */
#define EVENTS_HOOK_QUEUE	16

void	events_init(uv_loop_t *);
/* w's state went from was to w->state (the supervisor's callback). */
void	events_worker(const struct worker *w, enum wstate was);
/* An event of an app (spec NULL: the daemon's); id -1 and pid 0: none. */
void	events_app(const struct clm_app_spec *spec, int id, int pid,
	    const char *event, const char *fmt, ...) CLM_PRINTF(5, 6);
/* clm events [NAME]: the call gets one reply per event from now on. */
void	events_subscribe(struct clm_call *, const char *app);
/* The daemon stops: end every stream, kill the hooks. */
void	events_stop_all(void);
/* The line `clm events` prints for an event. */
char	*events_human(const struct clm_event *);

#endif
