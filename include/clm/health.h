/*
 * App health checks: health_check = exec:COMMAND (also http://HOST:PORT/PATH
 * and tcp:HOST:PORT), run for each online worker every health_interval,
 * failed past health_timeout. An exec check runs `/bin/sh -c COMMAND` in
 * the app's folder and environment, as the app's user, with CLM_APP_NAME,
 * CLM_INSTANCE and CLM_PID (the worker's pid): exit 0 is healthy. After
 * health_retries failures in a row the worker is marked unhealthy; the
 * supervisor replaces it as it replaces a hung one (a reload of its slot).
 *
 * http://HOST:PORT/PATH (an HTTP/1.0 GET: status 2xx or 3xx is healthy) and
 * tcp:HOST:PORT (a connection accepted is healthy) are checks of the app,
 * not of a worker: the kernel picks which worker answers. They run once per
 * interval for the app while a worker of it is online, on clmd's loop (no
 * process, no DNS: HOST is numeric or localhost), and their tally is the
 * app's: every worker shows it, /readyz names the app while it fails. A
 * failing app-level check replaces no worker, as it cannot tell which one
 * failed.
 */
#ifndef CLM_HEALTH_H
#define CLM_HEALTH_H

#include "clm/worker.h"

/* Is s a health_check clm can run? -1 with *cause. */
int health_check_spec(const char *s, char **cause);

/* Once a second per online worker: start its check when one is due. */
void health_tick(struct worker *, uint64_t now_ms);
/* The worker goes (destroyed): a check under way forgets it. */
void health_forget(struct worker *);
/* The app goes: an app-level check under way forgets it. */
void health_app_forget(struct worker_app *);
/* The worker's health for clm list: "ok", "failing 2/3"; NULL: no check. */
char *health_status(const struct worker *);

#endif
